"""What ``sage-tui doctor`` found: checks, facts, the problem and its exit code.

Plain dataclasses with a ``to_json`` whose keys are a promise: scripts and monitoring parse them.
Keys are only ever added, never renamed or removed (``schema`` says which promise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from ..imap.config import ConnectionConfig

SCHEMA = 1


class Status(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Problem(IntEnum):
    """Why the check failed; the value is the process exit code (0 is healthy).

    2 is left to argparse (a usage error) and 130 to an interrupted prompt, as usual.
    """

    UNEXPECTED = 1
    DNS = 3
    REFUSED = 4
    TIMEOUT = 5
    CERTIFICATE_UNTRUSTED = 6
    CERTIFICATE_HOSTNAME = 7
    TLS = 8
    LOGIN = 9
    SERVER = 10
    NETWORK = 11

    @property
    def label(self) -> str:
        """The word the JSON report uses (``certificate-hostname``)."""
        return self.name.lower().replace("_", "-")


@dataclass
class Check:
    """One step: its stable ``name``, a ``title`` for people, the outcome and its time."""

    name: str
    title: str
    status: Status
    detail: str
    duration_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status.value,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }


@dataclass
class TLSInfo:
    """The negotiated protection and what the certificate says (None: not known)."""

    mode: str
    version: str | None = None
    cipher: str | None = None
    verified: bool | None = None
    subject: str | None = None
    issuer: str | None = None
    names: list[str] = field(default_factory=list)
    not_after: str | None = None
    days_left: int | None = None


@dataclass
class Report:
    """The whole diagnosis. ``problem`` and ``message`` are set by the first failed check."""

    config: ConnectionConfig
    checks: list[Check] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    connected_to: str | None = None
    greeting: str | None = None
    tls: TLSInfo | None = None
    capabilities: list[str] = field(default_factory=list)
    folder_count: int | None = None
    has_inbox: bool | None = None
    latency_ms: float | None = None
    latency_samples_ms: list[float] = field(default_factory=list)
    problem: Problem | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.tls is None:
            self.tls = TLSInfo(self.config.tls_mode)

    @property
    def healthy(self) -> bool:
        return self.problem is None and all(c.status is not Status.FAILED for c in self.checks)

    @property
    def exit_code(self) -> int:
        if self.problem is not None:
            return int(self.problem)
        return 0 if self.healthy else int(Problem.UNEXPECTED)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document; never holds the password."""
        config = self.config
        tls = self.tls or TLSInfo(config.tls_mode)
        return {
            "schema": SCHEMA,
            "healthy": self.healthy,
            "exit_code": self.exit_code,
            "problem": self.problem.label if self.problem is not None else None,
            "message": self.message,
            "server": {
                "host": config.host,
                "port": config.port,
                "user": config.username,
                "tls_mode": config.tls_mode,
                "addresses": list(self.addresses),
                "connected_to": self.connected_to,
                "greeting": self.greeting,
            },
            "tls": {
                "mode": tls.mode,
                "version": tls.version,
                "cipher": tls.cipher,
                "verified": tls.verified,
                "subject": tls.subject,
                "issuer": tls.issuer,
                "names": list(tls.names),
                "not_after": tls.not_after,
                "days_left": tls.days_left,
            },
            "capabilities": list(self.capabilities),
            "folders": {"count": self.folder_count, "inbox": self.has_inbox},
            "latency_ms": self.latency_ms,
            "latency_samples_ms": list(self.latency_samples_ms),
            "checks": [check.to_json() for check in self.checks],
        }
