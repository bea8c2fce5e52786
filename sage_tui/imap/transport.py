"""imaplib transports whose reads are bounded, so a hostile server cannot exhaust memory.

imaplib reads a literal (``{n}`` followed by n bytes) with one ``file.read(n)``: a buffered
reader allocates n bytes before the first one arrives, so ``{99999999999}`` asks for 93 GB, and
a server that announces 4 GB and trickles it is fed until memory runs out. A line longer than
imaplib's limit raises ``IMAP4.error``, the class of a plain NO answer, after which the pool would
reuse a connection whose stream is out of step.

Here a literal above ``MAX_LITERAL`` is refused at once, a literal is read in 1 MiB steps (memory
follows what actually arrives), a literal cut short by the server closing is an abort, and an
over-long line is an abort. Each failure is a ``ResponseRejected`` (an ``IMAP4.abort``): the
connection is discarded and the error says what the server did.

These override imapclient internals (``_create_IMAP4``) in this one module.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Callable
from typing import Any

import imapclient
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.tls import IMAP4_TLS, wrap_socket

MAX_LITERAL = 256 * 1024 * 1024
"""Largest literal accepted (bytes): far above real messages (servers cap mail at 25-150 MB)."""
READ_STEP = 1024 * 1024


class ResponseRejected(imaplib.IMAP4.abort):
    """The server sent something the client refuses to read (too large, cut short)."""


class _BoundedReads:
    """Mixin for ``imaplib.IMAP4`` subclasses: literals and lines with upper bounds."""

    def read(self, size: int) -> bytes:
        if size > MAX_LITERAL:
            raise ResponseRejected(
                f"the server announced a {size:,}-byte response, more than the "
                f"{MAX_LITERAL // (1024 * 1024)} MiB sage-tui accepts"
            )
        chunks: list[bytes] = []
        remaining = size
        while remaining > 0:
            chunk = super().read(min(remaining, READ_STEP))  # type: ignore[misc]
            if not chunk:
                raise ResponseRejected(
                    f"the server closed the connection {size - remaining:,} bytes into a "
                    f"{size:,}-byte response"
                )
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def readline(self) -> bytes:
        try:
            return super().readline()  # type: ignore[misc, no-any-return]
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # "got more than N bytes": the stream is lost
            raise ResponseRejected(f"the server sent an over-long line ({exc})") from exc


SocketHook = Callable[[socket.socket], None]
"""Told of a new connection's socket as soon as it is connected (before the greeting)."""


class BoundedIMAP4(_BoundedReads, IMAP4WithTimeout):
    """Plain-text (and STARTTLS) transport with bounded reads."""

    def __init__(self, host: str, port: int, timeout: float | None,
                 on_socket: SocketHook | None = None) -> None:
        self._on_socket = on_socket
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = super()._create_socket(timeout)
        if self._on_socket is not None:
            self._on_socket(sock)
        return sock


class BoundedIMAP4TLS(_BoundedReads, IMAP4_TLS):
    """Implicit-TLS transport with bounded reads."""

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None,
                 timeout: float | None, on_socket: SocketHook | None = None) -> None:
        self._on_socket = on_socket
        super().__init__(host, port, ssl_context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        # IMAP4_TLS's own steps, with the plain socket announced before the TLS handshake
        # (which a stalled server can hold up as long as the greeting).
        sock = socket.create_connection((self.host, self.port),
                                        self._timeout if timeout is None else timeout)
        if self._on_socket is not None:
            self._on_socket(sock)
        return wrap_socket(sock, self.ssl_context, self.host)


class GuardedIMAPClient(imapclient.IMAPClient):
    """``imapclient.IMAPClient`` on the bounded transports (the greeting is bounded too).

    ``on_socket`` is told of the socket as soon as it is connected: the pool keeps it, so that
    an app quitting can shut a connection still waiting for its greeting, TLS handshake or
    login instead of waiting out the timeout.
    """

    def __init__(self, *args: Any, on_socket: SocketHook | None = None, **kwargs: Any) -> None:
        self._on_socket = on_socket
        super().__init__(*args, **kwargs)

    def _create_IMAP4(self) -> imaplib.IMAP4:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return BoundedIMAP4TLS(self.host, self.port, self.ssl_context, connect_timeout,
                                   self._on_socket)
        return BoundedIMAP4(self.host, self.port, connect_timeout, self._on_socket)
