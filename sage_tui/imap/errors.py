"""One exception tree for the engine, and the single place where foreign errors are translated.

Callers (the UI, scripts following the seed library's guide) catch these classes only. Every
``imapclient``, ``imaplib``, ``socket`` and ``ssl`` error is mapped here, with a sentence a user
understands, the original chained as ``__cause__``, and a ``transient`` verdict that the retry
loop and the circuit breaker act on. Secrets are scrubbed from every message.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Iterable

from imapclient import exceptions as imapclient_errors

from .transport import ResponseRejected


class IMAPError(Exception):
    """Base of every engine error.

    Attributes:
        title: A short heading for a notification ("Connection failed").
        transient: True when trying again later may succeed (network trouble); such failures
            are retried with backoff and count towards opening the circuit.
    """

    title = "IMAP error"
    transient = False
    partial: object | None = None
    """What a multi-chunk operation completed before it failed (e.g. a ``MoveResult``)."""

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if transient is not None:
            self.transient = transient


class IMAPConnectionError(IMAPError):
    """The server could not be reached, or the connection broke."""

    title = "Connection failed"
    transient = True


class IMAPTLSError(IMAPConnectionError):
    """TLS could not be set up (bad certificate, wrong host name, no STARTTLS).

    Not transient: retrying a certificate that does not verify only delays the bad news.
    """

    title = "Secure connection failed"
    transient = False


class IMAPProtocolError(IMAPConnectionError):
    """The server sent a response the client cannot or will not read (malformed, far too
    large, cut short). The connection is discarded.

    Not transient: a server that answers this way once will answer this way again, and
    retrying only repeats the download.
    """

    title = "Unreadable server response"
    transient = False


class PoolTimeoutError(IMAPConnectionError):
    """Every pooled connection stayed busy for the whole checkout timeout.

    Not transient for the breaker: a busy pool says nothing about the server's health.
    """

    title = "All connections busy"
    transient = False


class CircuitOpenError(IMAPConnectionError):
    """Calls fail at once while the circuit is open, instead of waiting on a dead server.

    Attributes:
        retry_in: Seconds until the breaker lets one probe through.
    """

    title = "Server unavailable"
    transient = False

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class IMAPAuthenticationError(IMAPError):
    """The server refused the credentials. Never retried: it would only lock the account."""

    title = "Authentication failed"


class IMAPSearchError(IMAPError):
    """The server rejected a SEARCH."""

    title = "Search failed"


class IMAPMessageError(IMAPError):
    """A fetch, store, copy, move or expunge was refused."""

    title = "Message operation failed"


class IMAPFolderError(IMAPError):
    """A folder could not be selected, created, renamed or deleted."""

    title = "Folder operation failed"


class UIDValidityChangedError(IMAPFolderError):
    """The folder's UIDVALIDITY changed: every UID the caller holds for it is now meaningless.

    Raised instead of acting on stale UIDs, which could flag or move the wrong messages.
    """

    title = "Folder was reset on the server"


class IMAPCapabilityError(IMAPError):
    """The server lacks an extension that the operation cannot do without."""

    title = "Not supported by the server"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def translate(
    exc: BaseException,
    *,
    what: str,
    kind: type[IMAPError] = IMAPError,
    secrets: Iterable[str] = (),
) -> IMAPError:
    """Map a foreign exception onto the engine's tree.

    Args:
        exc: What was raised (an engine error passes through unchanged).
        what: What was being done, for the message ("fetching 60 messages from INBOX").
        kind: The class for a server refusal (NO/BAD) in this operation, e.g. ``IMAPSearchError``.
        secrets: Strings that must never appear in the message (the password).

    Returns:
        An ``IMAPError`` whose ``__cause__`` the caller sets with ``raise ... from exc``.
    """
    if isinstance(exc, IMAPError):
        return exc
    secrets = tuple(secrets)
    detail = scrub(_describe(exc), secrets)
    error: IMAPError
    if isinstance(exc, imapclient_errors.LoginError):
        error = IMAPAuthenticationError(f"Authentication failed for {what}: {detail}")
    elif isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
        error = IMAPTLSError(
            f"While {what}, the server's certificate could not be verified: "
            f"{scrub(certificate_problem(exc), secrets)}. {INSECURE_HINT}"
        )
    elif isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        error = IMAPConnectionError(f"The connection closed during {what}: {detail}")
    elif isinstance(exc, ssl.SSLError):
        error = IMAPTLSError(f"TLS failed during {what}: {detail}")
    elif isinstance(exc, TimeoutError | socket.timeout):
        error = IMAPConnectionError(f"The server did not answer in time during {what}")
    elif isinstance(exc, socket.gaierror):
        error = IMAPConnectionError(f"The server name could not be resolved for {what}: {detail}")
    elif isinstance(exc, ConnectionRefusedError):
        error = IMAPConnectionError(f"The server refused the connection for {what}")
    elif _rejected(exc):
        error = IMAPProtocolError(f"Stopped reading the server's answer to {what}: {detail}")
    elif isinstance(exc, imapclient_errors.ProtocolError):
        error = IMAPProtocolError(f"The server's answer to {what} could not be read: {detail}")
    elif isinstance(exc, imaplib.IMAP4.abort | OSError | EOFError):
        error = IMAPConnectionError(f"The connection broke during {what}: {detail}")
    elif isinstance(exc, imapclient_errors.CapabilityError):
        error = IMAPCapabilityError(f"The server cannot do {what}: {detail}")
    elif isinstance(exc, imaplib.IMAP4.error):
        error = kind(f"The server refused {what}: {detail}")
    else:
        error = IMAPError(f"Unexpected error during {what}: {type(exc).__name__}: {detail}")
    error.__cause__ = exc
    return error


def _rejected(exc: BaseException) -> bool:
    """The transport refused a response (imaplib re-raises it as a plain abort: look inside)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, ResponseRejected):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


INSECURE_HINT = (
    "If you trust this server anyway, turn verification off for this account only: "
    "ssl_verify = false in its configuration, or --insecure on the command line "
    "(the header then warns that the certificate is not verified)"
)

_CERT_PROBLEMS = {
    10: "the certificate has expired",
    9: "the certificate is not valid yet (check this computer's clock)",
    18: "the certificate is self-signed, so nothing vouches for the server's identity",
    19: "the certificate chain ends in a self-signed certificate this computer does not trust",
    20: "the certificate was issued by an authority this computer does not trust",
    21: "the certificate was issued by an authority this computer does not trust",
}


def certificate_problem(exc: BaseException) -> str:
    """What is wrong with a certificate, in words (``verify_message`` alone is jargon)."""
    code = getattr(exc, "verify_code", None)
    message = str(getattr(exc, "verify_message", "") or exc)
    lowered = message.lower()
    if "mismatch" in lowered or code in (62, 64):
        name = message.rsplit("valid for", 1)[-1].strip(" '\"") if "valid for" in message else ""
        where = f" {name}" if name else " this server's name"
        return f"the certificate is for a different host, not for{where} ({message})"
    if code in _CERT_PROBLEMS:
        return f"{_CERT_PROBLEMS[code]} ({message})"
    return message


def _describe(exc: BaseException) -> str:
    """Readable text of an exception: imaplib puts ``b'...'`` reprs and tags into its messages."""
    text = str(exc).strip() or type(exc).__name__
    for prefix in ("b'", 'b"'):
        text = text.replace(prefix, "'" if prefix == "b'" else '"')
    return text
