"""The connection health check, one step at a time on one connection.

The engine's ``Connection.open`` does DNS, TCP, TLS, greeting and login in one call; when it
fails, the user learns *that* it failed. Here each step runs and is timed on its own, on the very
socket the next step uses, so the report says *where* it failed: the name, the port, the
certificate, the password, the folders. The first failed step stops the run (the rest are marked
skipped), and the failure becomes a ``Problem`` with its own exit code.

The TLS context is the engine's (``make_ssl_context``: verification on unless the account opts
out) and STARTTLS is the engine's upgrade (refuses PREAUTH and a stripped STARTTLS), so the
doctor judges the connection the app would make.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import logging
import socket
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import SocketTimeout

from ..imap import salvage
from ..imap.config import ConnectionConfig
from ..imap.connection import _upgrade, make_ssl_context, shutdown_quietly
from ..imap.transport import BoundedIMAP4, GuardedIMAPClient
from . import certs
from .model import Check, Problem, Report, Status
from .problems import CheckFailed, diagnose

log = logging.getLogger(__name__)

NOOPS = 5
"""Round trips measured for the latency (the median is reported: one slow NOOP is noise)."""
GREETING_CHARS = 120


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    doing: str
    """Words for a failure message: "during {doing}"."""
    run: Callable[[], str]


class _Skip(Exception):
    """The step does not apply (TLS on a plain-text account): skipped, not failed."""


class _OnSocket(BoundedIMAP4):
    """imaplib on a socket that is already connected (and, for implicit TLS, encrypted)."""

    def __init__(self, sock: socket.socket, host: str, port: int) -> None:
        self._given = sock
        super().__init__(host, port, None)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return self._given


class _Client(GuardedIMAPClient):
    """The engine's bounded client, greeting read from the doctor's own socket."""

    def __init__(self, sock: socket.socket, config: ConnectionConfig) -> None:
        self._given = sock
        super().__init__(config.host, port=config.port, use_uid=True, ssl=config.use_ssl,
                         timeout=SocketTimeout(connect=config.timeout, read=config.timeout))

    def _create_IMAP4(self) -> imaplib.IMAP4:
        return _OnSocket(self._given, self.host, self.port)


class Doctor:
    """Runs the checks for one account; ``run()`` returns the ``Report`` and never raises
    (except ``KeyboardInterrupt``, after closing the connection)."""

    def __init__(self, config: ConnectionConfig, *, noops: int = NOOPS,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.config = config
        self.noops = noops
        self.clock = clock
        self.report = Report(config)
        self._families: list[tuple[int, int, int, tuple[object, ...]]] = []
        self._sock: socket.socket | None = None
        self._client: _Client | None = None
        self._logged_in = False
        encrypted = config.use_ssl or config.starttls
        self._context = make_ssl_context(config) if encrypted else None

    def steps(self) -> list[Step]:
        first = [
            Step("dns", "DNS resolution", "name resolution", self._dns),
            Step("tcp", "TCP connect", "the TCP connect", self._tcp),
        ]
        tls = Step("tls", "TLS", "the TLS handshake", self._tls)
        greeting = Step("greeting", "Server greeting", "the server greeting", self._greeting)
        rest = [
            Step("capabilities", "Capabilities", "CAPABILITY", self._capabilities),
            Step("login", "Login", "the login", self._login),
            Step("folders", "Folder list", "the folder list", self._folders),
            Step("latency", "Round trip", "the NOOP round trips", self._latency),
        ]
        middle = [tls, greeting] if self.config.use_ssl else [greeting, tls]
        return [*first, *middle, *rest]

    def run(self) -> Report:
        try:
            self._run_steps()
        finally:
            self._close()
        return self.report

    def _run_steps(self) -> None:
        steps = self.steps()
        for index, step in enumerate(steps):
            started = self.clock()
            try:
                detail = step.run()
            except _Skip as skip:
                self._record(step, Status.SKIPPED, str(skip), None)
                continue
            except Exception as exc:
                problem, message = diagnose(exc, step.doing, self.config)
                self._record(step, Status.FAILED, message, self._ms(started), problem)
                self.report.problem, self.report.message = problem, message
                for later in steps[index + 1:]:
                    self._record(later, Status.SKIPPED, f"not checked: {step.title} failed", None)
                return
            self._record(step, Status.OK, detail, self._ms(started))

    def _record(self, step: Step, status: Status, detail: str, duration_ms: float | None,
                problem: Problem | None = None) -> None:
        self.report.checks.append(Check(step.name, step.title, status, detail, duration_ms))
        if status is not Status.SKIPPED:
            log.log(logging.INFO if status is Status.OK else logging.WARNING,
                    "doctor: %s %s", step.title, status.value,
                    extra={"op": f"doctor.{step.name}", "duration_ms": duration_ms,
                           "outcome": "ok" if problem is None else problem.label})

    def _ms(self, started: float) -> float:
        return round((self.clock() - started) * 1000, 2)

    # -- the steps ---------------------------------------------------------------------------

    def _dns(self) -> str:
        infos = _resolve(self.config.host, self.config.port, self.config.timeout)
        seen: list[str] = []
        for family, kind, proto, _name, address in infos:
            self._families.append((family, kind, proto, address))
            if address[0] not in seen:
                seen.append(str(address[0]))
        self.report.addresses = seen
        return ", ".join(seen)

    def _tcp(self) -> str:
        errors: list[tuple[str, OSError]] = []
        for family, kind, proto, address in self._families:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.config.timeout)
            try:
                sock.connect(address)
            except OSError as exc:
                sock.close()
                errors.append((str(address[0]), exc))
                continue
            self._sock = sock
            self.report.connected_to = str(address[0])
            detail = f"connected to {address[0]} port {self.config.port}"
            if errors:
                detail += " (" + "; ".join(f"{a}: {e.strerror or e}" for a, e in errors) + ")"
            return detail
        raise errors[0][1]

    def _tls(self) -> str:
        config = self.config
        if self._context is None:
            if _is_loopback(self.report.connected_to):
                raise _Skip("not encrypted (--tls none); the server is on this computer, so "
                            "nothing crosses the network")
            raise _Skip("not encrypted (--tls none): the password and mail travel in plain text")
        if config.use_ssl:
            assert self._sock is not None
            self._sock = self._context.wrap_socket(self._sock, server_hostname=config.host)
            sock = self._sock
        else:
            assert self._client is not None
            _upgrade(self._client, config, self._context)
            sock = self._client.socket()
        assert isinstance(sock, ssl.SSLSocket)
        info = certs.describe(sock, config.tls_mode, verified=config.ssl_verify)
        self.report.tls = info
        how = "STARTTLS, " if config.starttls else ""
        if not config.ssl_verify:
            return (f"{how}{info.version}; certificate NOT verified "
                    "(--insecure or ssl_verify = false)")
        expiry = f", valid until {info.not_after}" if info.not_after else ""
        if info.days_left is not None and info.days_left < 14:
            expiry += f" (expires in {info.days_left} days)"
        return f"{how}{info.version}; certificate verified{expiry}"

    def _greeting(self) -> str:
        assert self._sock is not None
        self._client = _Client(self._sock, self.config)
        self._client.normalise_times = False
        welcome = self._client.welcome
        text = welcome.decode("utf-8", "replace") if isinstance(welcome, bytes) else str(welcome)
        text = text.strip()
        if len(text) > GREETING_CHARS:
            text = text[: GREETING_CHARS - 1].rstrip() + "…"
        self.report.greeting = text
        return text

    def _capabilities(self) -> str:
        assert self._client is not None
        caps = _names(self._client.capabilities())
        self.report.capabilities = caps
        if not {"IMAP4REV1", "IMAP4REV2"} & set(caps):
            raise CheckFailed(Problem.SERVER, (
                f"{self.config.host} port {self.config.port} does not say it speaks IMAP4rev1 "
                f"(capabilities: {' '.join(caps) or 'none'}): is this an IMAP port?"
            ))
        if "LOGINDISABLED" in caps:
            raise CheckFailed(Problem.SERVER, (
                "The server does not accept a password on this connection (LOGINDISABLED): "
                "it wants encryption first. Use --tls starttls or --tls implicit."
            ))
        return f"{len(caps)} before login: {' '.join(caps)}"

    def _login(self) -> str:
        assert self._client is not None
        self._client.login(self.config.username, self.config.password)
        self._logged_in = True
        caps = _names(self._client.capabilities())
        self.report.capabilities = caps
        return f"logged in as {self.config.username}; {len(caps)} capabilities after login"

    def _folders(self) -> str:
        assert self._client is not None
        names = [name for _flags, _delimiter, name in salvage.list_folders(self._client)]
        has_inbox = any(name.upper() == "INBOX" for name in names)
        self.report.folder_count, self.report.has_inbox = len(names), has_inbox
        count = f"{len(names)} folder{'' if len(names) == 1 else 's'}"
        if not has_inbox:
            raise CheckFailed(Problem.SERVER, (
                f"The server lists {count} but no INBOX, which every IMAP account has: the "
                "account may not be set up on the server yet."
            ))
        return f"{count}, INBOX present"

    def _latency(self) -> str:
        assert self._client is not None
        samples = []
        for _ in range(self.noops):
            started = self.clock()
            self._client.noop()
            samples.append(round((self.clock() - started) * 1000, 3))
        median = statistics.median(samples)
        self.report.latency_ms = round(median, 3)
        self.report.latency_samples_ms = samples
        return (f"median {median:.1f} ms over {len(samples)} NOOPs "
                f"(fastest {min(samples):.1f}, slowest {max(samples):.1f})")

    def _close(self) -> None:
        """LOGOUT when logged in (briefly: a stalled server must not hold the report up)."""
        client, self._client = self._client, None
        sock, self._sock = self._sock, None
        if client is not None:
            if self._logged_in:
                with contextlib.suppress(Exception):
                    client.socket().settimeout(min(2.0, self.config.timeout))
                    client.logout()
            shutdown_quietly(client)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def run_doctor(config: ConnectionConfig, *, noops: int = NOOPS) -> Report:
    """Check the connection ``config`` describes, step by step; see ``Doctor``."""
    return Doctor(config, noops=noops).run()


def _resolve(host: str, port: int, timeout: float) -> list[tuple]:  # type: ignore[type-arg]
    """``getaddrinfo`` with a deadline (it has none of its own; a broken resolver hangs)."""
    outcome: list[object] = []

    def work() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work, name="doctor-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"no answer from the name resolver within {timeout:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]  # type: ignore[return-value]


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _names(capabilities: object) -> list[str]:
    return sorted(
        (cap.decode("ascii", "replace") if isinstance(cap, bytes) else str(cap)).upper()
        for cap in capabilities  # type: ignore[attr-defined]
    )
