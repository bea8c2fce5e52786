"""The doctor's report as text for a terminal, or as JSON for a script.

Everything the server sent (greeting, capabilities, certificate names, error words) is untrusted:
control characters are made visible (``sage_tui.text.one_line``) before they reach a terminal,
and JSON escapes everything that is not plain ASCII.
"""

from __future__ import annotations

import json
import textwrap

from ..text import one_line
from .model import Report, Status

WIDTH = 100
_STATUS_WORDS = {Status.OK: "ok", Status.FAILED: "FAILED", Status.SKIPPED: "skipped"}


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)


def render_text(report: Report) -> str:
    config = report.config
    mode = {"implicit": "implicit TLS", "starttls": "STARTTLS", "none": "no encryption"}
    lines = [
        f"sage-tui doctor: {one_line(config.display_name)}, port {config.port}, "
        f"{mode[config.tls_mode]}",
        "",
    ]
    for check in report.checks:
        took = f"{check.duration_ms:.1f} ms" if check.duration_ms is not None else ""
        head = f"  {_STATUS_WORDS[check.status]:<8} {check.title:<16} {took:>9}  "
        lines.append(textwrap.fill(one_line(check.detail), WIDTH, initial_indent=head,
                                   subsequent_indent=" " * len(head), break_on_hyphens=False))
    lines.extend(_tls_block(report))
    lines.append("")
    if report.healthy:
        lines.append("Healthy: every check passed.")
    else:
        failed = next((c.title for c in report.checks if c.status is Status.FAILED), "a check")
        what = report.problem.label if report.problem is not None else "problem"
        lines.append(f"Not healthy: {failed} failed ({what}, exit code {report.exit_code}).")
    return "\n".join(lines)


def _tls_block(report: Report) -> list[str]:
    tls = report.tls
    if tls is None or tls.version is None:
        return []
    rows = [("TLS", f"{tls.version}, {tls.cipher or 'unknown cipher'}")]
    if tls.subject:
        rows.append(("Certificate", tls.subject))
    if tls.issuer:
        rows.append(("Issued by", tls.issuer))
    if tls.names:
        rows.append(("Valid for", ", ".join(tls.names)))
    if tls.not_after:
        left = f" (in {tls.days_left:,} days)" if tls.days_left is not None else ""
        rows.append(("Expires", f"{tls.not_after}{left}"))
    if not tls.verified:
        rows.append(("Verified", "NO: --insecure / ssl_verify = false"))
    lines = [""]
    for label, value in rows:
        lines.append(textwrap.fill(one_line(value), WIDTH, initial_indent=f"  {label:<12} ",
                                   subsequent_indent=" " * 15, break_on_hyphens=False))
    return lines
