"""``sage-tui doctor``: the connection health check as a command (no Textual here).

DNS, TCP, TLS (version, certificate subject, issuer and expiry), greeting, capabilities, login,
folder list and round-trip latency, each timed, stopping at the first failure. The exit code
names the problem (``Problem``: 0 healthy, 3 DNS, 4 refused, 5 timeout, 6 untrusted certificate,
7 certificate for another host name, 8 other TLS failure, 9 login refused, 10 server problem,
11 network error, 1 unexpected).
"""

from __future__ import annotations

from .checks import Doctor, run_doctor
from .model import Check, Problem, Report, Status, TLSInfo
from .render import render_json, render_text

__all__ = [
    "Check",
    "Doctor",
    "Problem",
    "Report",
    "Status",
    "TLSInfo",
    "render_json",
    "render_text",
    "run_doctor",
]
