"""One logged-in IMAP connection: TLS set-up, login, and the selected-folder state.

An ``imapclient.IMAPClient`` is not thread-safe and cannot be reconnected after a socket error,
so a ``Connection`` is used by one thread at a time (enforced, not hoped for) and is thrown away
when it breaks. It remembers which folder is selected so that consecutive operations on the same
folder skip the SELECT round trip.
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import imapclient
from imapclient import SocketTimeout
from imapclient import exceptions as imapclient_errors

from .config import ConnectionConfig
from .errors import IMAPConnectionError, IMAPError, IMAPTLSError
from .models import SelectInfo
from .transport import GuardedIMAPClient, SocketHook

log = logging.getLogger(__name__)

_ids = itertools.count(1)


def make_ssl_context(config: ConnectionConfig) -> ssl.SSLContext:
    """A verifying TLS context (the default); ``ssl_verify=False`` is the explicit opt-out."""
    context = ssl.create_default_context(cafile=config.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not config.ssl_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Connection:
    """A logged-in connection with one user at a time.

    Attributes:
        id: A small number for logs and tests.
        raw: The underlying ``imapclient.IMAPClient``.
        capabilities: Upper-case capability names after login.
        selected: The folder currently selected on this connection, if any.
        last_used: Monotonic time of the last completed use.
        broken: Set when the connection must not be reused.
        enabled: Upper-case extensions switched on with ENABLE ("CONDSTORE", "QRESYNC").
    """

    def __init__(self, raw: imapclient.IMAPClient, *, clock: Callable[[], float]) -> None:
        self.id = next(_ids)
        self.raw = raw
        self._clock = clock
        self.capabilities = frozenset(
            (cap.decode() if isinstance(cap, bytes) else str(cap)).upper()
            for cap in raw.capabilities()
        )
        self.selected: SelectInfo | None = None
        self.last_used = clock()
        self.broken = False
        self.enabled: frozenset[str] = frozenset()
        self._user = threading.Lock()

    @classmethod
    def open(
        cls, config: ConnectionConfig, *, clock: Callable[[], float] = time.monotonic,
        on_socket: SocketHook | None = None,
    ) -> Connection:
        """Connect, set up TLS as configured, and log in.

        ``on_socket`` is told of the socket once it is connected, before the greeting (the pool
        keeps it, to shut it if the app quits meanwhile). Raises whatever the libraries raise;
        the caller translates (it knows the operation). STARTTLS failures raise and never fall
        back to plain text.
        """
        context = make_ssl_context(config) if (config.use_ssl or config.starttls) else None
        try:
            raw = GuardedIMAPClient(
                config.host,
                port=config.port,
                use_uid=True,
                ssl=config.use_ssl,
                ssl_context=context,
                timeout=SocketTimeout(connect=config.timeout, read=config.timeout),
                on_socket=on_socket,
            )
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # a BYE (or garbage) greeting: turned away
            raise IMAPConnectionError(
                f"{config.host} turned the connection away: {str(exc).strip()}"
            ) from exc
        try:
            raw.normalise_times = False  # keep INTERNALDATE timezone-aware
            if config.starttls:
                _upgrade(raw, config, context)
            raw.login(config.username, config.password)
            enabled = _enable_resync(raw)
        except BaseException:
            shutdown_quietly(raw)
            raise
        conn = cls(raw, clock=clock)
        conn.enabled = enabled
        return conn

    @property
    def tls_version(self) -> str | None:
        """``"TLSv1.3"`` and the like, or None on a plain-text connection."""
        sock = self.raw.socket()
        version = getattr(sock, "version", None)
        return version() if callable(version) else None

    def acquire(self) -> None:
        """Claim the connection for the calling thread; a second user is a bug, so it raises."""
        if not self._user.acquire(blocking=False):
            raise RuntimeError(f"connection {self.id} is already in use by another thread")

    def release(self) -> None:
        self.last_used = self._clock()
        self._user.release()

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def ensure_selected(self, folder: str, readonly: bool, *, fresh: bool = False) -> SelectInfo:
        """SELECT (or EXAMINE) ``folder`` unless it already is, in a mode that allows the work.

        A read-write selection serves read-only work too; read-only work never needs a
        re-SELECT. A failed SELECT leaves the connection with nothing selected. ``fresh``
        NOOPs an already selected folder so that its message count is current.
        """
        current = self.selected
        if current is not None and current.name == folder and (readonly or not current.readonly):
            if fresh:  # the caller needs today's EXISTS, not the one from the last SELECT
                return self.refresh() or current
            return current
        self.selected = None
        response = self.raw.select_folder(folder, readonly=readonly)
        self.selected = _select_info(folder, response, readonly)
        return self.selected

    def refresh(self) -> SelectInfo | None:
        """NOOP, and apply the EXISTS/EXPUNGE updates it brings to the selected folder's count."""
        _, responses = self.raw.noop()
        info = self.selected
        if info is None:
            return None
        exists = info.exists
        for response in responses:
            if len(response) >= 2 and isinstance(response[0], int):
                if response[1] == b"EXISTS":
                    exists = response[0]
                elif response[1] == b"EXPUNGE":
                    exists -= 1
            elif len(response) >= 2 and response[0] == b"VANISHED":  # QRESYNC's EXPUNGE
                exists -= _vanished_count(response[1:])
        if exists != info.exists:
            self.selected = _replace_exists(info, exists)
        return self.selected

    def survives(self, exc: BaseException) -> bool:
        """Whether the connection is still usable after ``exc`` escaped an operation on it.

        A plain NO/BAD answer leaves the protocol in step; anything else (socket errors, a
        timeout with a half-read response, a response we could not parse) does not.
        """
        if isinstance(exc, IMAPError):
            return not exc.transient and exc.__cause__ is None
        return isinstance(exc, imaplib.IMAP4.error) and not isinstance(
            exc, imaplib.IMAP4.abort | imapclient_errors.ProtocolError
        )

    def logout(self) -> None:
        """LOGOUT politely, but never let a dead server hold up a shutdown."""
        try:
            sock = self.raw.socket()
            sock.settimeout(min(2.0, sock.gettimeout() or 2.0))
            self.raw.logout()
        except Exception as exc:  # the connection is going away either way
            log.debug("logout of connection %s failed: %s", self.id, exc)
            shutdown_quietly(self.raw)
        self.broken = True


def _enable_resync(raw: imapclient.IMAPClient) -> frozenset[str]:
    """ENABLE QRESYNC (which includes CONDSTORE), or CONDSTORE alone, where offered.

    SELECT then reports HIGHESTMODSEQ, and FETCH takes CHANGEDSINCE (and, with QRESYNC,
    VANISHED): what the header cache needs to resync cheaply. With QRESYNC on, the server
    announces expunges as ``VANISHED <uids>`` instead of ``<n> EXPUNGE`` (``refresh`` counts both).
    """
    for extension in ("QRESYNC", "CONDSTORE"):
        if raw.has_capability(extension):
            answer = raw.enable(extension)
            enabled = {_text(item).upper() for item in answer or ()}
            if "QRESYNC" in enabled:
                enabled.add("CONDSTORE")  # RFC 7162 3.2.3: QRESYNC implies CONDSTORE
            return frozenset(enabled)
    return frozenset()


def _text(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _vanished_count(parts: tuple[object, ...]) -> int:
    """How many messages ``* VANISHED 3:5,9`` removes (EARLIER ones were never counted)."""
    if not parts or isinstance(parts[0], tuple):  # "(EARLIER) ...": a reply, not news
        return 0
    value = parts[0]
    if isinstance(value, int):
        return 1
    count = 0
    for token in _text(value).split(","):
        low, _, high = token.partition(":")
        if low.isdigit() and (not high or high.isdigit()):
            count += abs(int(high or low) - int(low)) + 1
    return count


def _upgrade(
    raw: imapclient.IMAPClient, config: ConnectionConfig, context: ssl.SSLContext | None
) -> None:
    """STARTTLS, or an ``IMAPTLSError``: never a login on the plain connection instead.

    A PREAUTH greeting means the server logged us in before any encryption, so nothing typed
    next would be protected: refused. A server that does not offer STARTTLS, or answers it
    with NO/BAD, is refused too (an attacker on the path strips the capability to force plain
    text). Whatever the server sent before the handshake is forgotten: imaplib reads on a new
    buffer after the upgrade, and the responses collected so far are dropped here, so bytes
    injected after the OK (the STARTTLS injection attack) are never taken as encrypted ones.
    """
    imap = raw._imap
    if imap.state != "NONAUTH":  # PREAUTH: already "authenticated", in plain text
        raise IMAPTLSError(
            f"{config.host} sent a PREAUTH greeting on a connection that must be upgraded "
            "with STARTTLS; refusing to continue unencrypted"
        )
    if "STARTTLS" not in imap.capabilities:
        raise IMAPTLSError(
            f"{config.host} does not offer STARTTLS, so the connection cannot be encrypted; "
            "nothing was sent. Use implicit TLS (port 993) if the server has it"
        )
    try:
        raw.starttls(context)
    except (ssl.SSLError, ssl.CertificateError, OSError):
        raise  # translated with the certificate wording by errors.translate
    except imaplib.IMAP4.error as exc:
        raise IMAPTLSError(
            f"{config.host} refused STARTTLS ({exc}); nothing was sent unencrypted"
        ) from exc
    imap.untagged_responses.clear()


def _select_info(folder: str, response: dict[bytes, object], readonly: bool) -> SelectInfo:
    def number(key: bytes) -> int | None:
        value = response.get(key)
        return value if isinstance(value, int) else None

    def flagset(key: bytes) -> frozenset[str]:
        value = response.get(key) or ()
        return frozenset(
            flag.decode() if isinstance(flag, bytes) else str(flag)
            for flag in value  # type: ignore[union-attr]
        )

    return SelectInfo(
        name=folder,
        exists=number(b"EXISTS") or 0,
        uidvalidity=number(b"UIDVALIDITY") or 0,
        uidnext=number(b"UIDNEXT"),
        highestmodseq=number(b"HIGHESTMODSEQ"),
        readonly=readonly or not response.get(b"READ-WRITE", False),
        flags=flagset(b"FLAGS"),
        permanent_flags=flagset(b"PERMANENTFLAGS"),
    )


def _replace_exists(info: SelectInfo, exists: int) -> SelectInfo:
    return replace(info, exists=max(0, exists))


def interrupt(raw: imapclient.IMAPClient) -> None:
    """Wake a thread blocked reading this connection, from another thread (an app quitting).

    Only the socket is shut: ``shutdown()`` would first close imaplib's buffered file, whose
    lock the reading thread holds, and so wait for the very read it is meant to end. The
    reader gets an error at once and the connection is discarded as broken by its owner.
    """
    sock = getattr(getattr(raw, "_imap", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def shutdown_quietly(raw: imapclient.IMAPClient) -> None:
    """Close the socket without a LOGOUT round trip (the connection is broken or unwanted)."""
    with contextlib.suppress(Exception):
        raw.shutdown()
