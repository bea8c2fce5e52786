"""A scripted IMAP server on a real loopback socket, for faults no honest server commits.

Dovecot (tests/support/dovecot.py) is the server for everything it can do; this one exists for
what it will not do on purpose: malformed responses, truncated literals, absurd literal sizes,
never-ending lines, a BYE in the middle of a command, PREAUTH on a connection meant to be
encrypted, bytes injected after a STARTTLS OK, a refused or missing STARTTLS.

It speaks just enough IMAP for the engine and the app to log in, list folders, open a folder and
list its messages (``messages`` are served as UIDs 1..n). Any command can be replaced by a
*handler* ``handler(session, tag, args)`` (or by a bytes template in which ``{tag}`` is the
command's tag), which is how each test scripts its fault. Every command line received is
recorded with whether it arrived encrypted, so a test can assert that a password was never sent
in plain text. Every socket has a timeout, so ``stop()`` cannot hang.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

Handler = Callable[["Session", str, str], None]
"""``handler(session, tag, args)``: answer one command (``args`` is the rest of the line)."""

BASE_CAPABILITIES = ("IMAP4rev1", "AUTH=PLAIN", "IDLE", "UIDPLUS", "MOVE", "UNSELECT")
LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")
SECTION = re.compile(r"BODY\.PEEK\[([^\]]*)\]")


@dataclass(frozen=True)
class Received:
    """One command line as the server read it (literals inlined)."""

    connection: int
    line: bytes
    encrypted: bool

    @property
    def verb(self) -> str:
        words = self.line.split(None, 3)
        if len(words) < 2:
            return ""
        verb = words[1].decode("ascii", "replace").upper()
        if verb == "UID" and len(words) > 2:
            return "UID " + words[2].decode("ascii", "replace").upper()
        return verb


class SessionClosed(Exception):
    """The client went away (or the test closed the session)."""


class Session:
    """One client connection: read commands, send responses, upgrade to TLS."""

    def __init__(self, server: FakeIMAPServer, sock: socket.socket, number: int) -> None:
        self.server = server
        self.sock: socket.socket = sock
        self.number = number
        self.encrypted = False
        self.closed = False
        self._buffer = b""

    # -- sending --------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise SessionClosed(str(exc)) from exc

    def reply(self, tag: str, text: str = "OK done") -> None:
        self.send(f"{tag} {text}\r\n")

    def stream(self, chunk: bytes, *, limit: int = 64 * 1024 * 1024) -> int:
        """Send ``chunk`` again and again until the client hangs up (or ``limit`` bytes)."""
        sent = 0
        while sent < limit and not self.server.stopping.is_set():
            try:
                self.send(chunk)
            except SessionClosed:
                break
            sent += len(chunk)
        return sent

    def hold(self, seconds: float = 30.0) -> None:
        """Say nothing more until the client hangs up, the server stops, or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(OSError):
            self.sock.settimeout(0.1)
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            try:
                if not self.sock.recv(65536):
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        raise SessionClosed("held until the end")

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()

    def starttls(self) -> None:
        """Wrap the socket server-side; bytes buffered before the upgrade are dropped."""
        context = self.server.tls_context
        assert context is not None, "STARTTLS needs a server tls_context"
        self._buffer = b""
        self.sock.settimeout(5)  # the handshake needs the client's turn: not the 0.2 s tick
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            raise SessionClosed(f"TLS handshake failed: {exc}") from exc
        self.sock.settimeout(0.2)
        self.encrypted = True

    # -- reading --------------------------------------------------------------------------

    def _readline(self) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > 1024 * 1024:
                raise SessionClosed("client line too long")
            chunk = self._recv()
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line + b"\r\n"

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += self._recv()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _recv(self) -> bytes:
        while True:
            if self.server.stopping.is_set():
                raise SessionClosed("server stopping")
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except (OSError, ssl.SSLError) as exc:
                raise SessionClosed(str(exc)) from exc
            if not chunk:
                raise SessionClosed("EOF")
            return chunk

    def read_command(self) -> tuple[str, str, str]:
        """The next command as (tag, verb, args); literals are read and inlined."""
        line = self._readline()
        while True:
            match = LITERAL.search(line)
            if match is None:
                break
            if not match.group(2):
                self.send(b"+ go ahead\r\n")
            line = line[: match.start()] + self._read_exactly(int(match.group(1)))
            line += self._readline()
        self.server.received.append(Received(self.number, line.rstrip(b"\r\n"), self.encrypted))
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        tag, _, rest = text.partition(" ")
        verb, _, args = rest.partition(" ")
        verb = verb.upper()
        if verb == "UID":
            sub, _, args = args.partition(" ")
            verb = f"UID {sub.upper()}"
        return tag, verb, args


class FakeIMAPServer:
    """A loopback IMAP server whose every answer a test can script.

    Args:
        messages: Raw messages served as UIDs 1..n of every folder.
        folders: Folder names LIST reports (INBOX first).
        handlers: Command verb ("LOGIN", "UID FETCH", "STARTTLS", ...) -> handler or template.
        greeting: The first line (``{caps}`` is replaced by the capabilities).
        tls_context: Server-side context for STARTTLS (and for ``implicit_tls``).
        implicit_tls: Speak TLS from the first byte.
        starttls: Offer STARTTLS in the capabilities (default: when a tls_context is given).
        password: LOGIN succeeds only with it (None: any password).
        host: Loopback address to listen on (127.0.0.2 looks like a remote host to the app).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        messages: Iterable[bytes] = (),
        folders: Iterable[str] = ("INBOX",),
        handlers: dict[str, Handler | bytes] | None = None,
        greeting: bytes = b"* OK [CAPABILITY {caps}] fake IMAP ready\r\n",
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        starttls: bool | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.messages = list(messages)
        self.folders = list(folders)
        self.handlers: dict[str, Handler | bytes] = dict(handlers or {})
        self.greeting = greeting
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.offer_starttls = tls_context is not None if starttls is None else starttls
        self.password = password
        self.received: list[Received] = []
        self.stopping = threading.Event()
        self.sessions: list[Session] = []
        self.errors: list[BaseException] = []
        self._listener = socket.socket()
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeIMAPServer:
        thread = threading.Thread(target=self._accept_loop, name="fake-imap", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.stopping.set()
        for session in list(self.sessions):
            session.close()
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FakeIMAPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def verbs(self) -> list[str]:
        return [item.verb for item in self.received]

    def capabilities(self, session: Session) -> str:
        caps = list(BASE_CAPABILITIES)
        if self.offer_starttls and not session.encrypted:
            caps.append("STARTTLS")
        return " ".join(caps)

    # -- serving --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        number = 0
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            number += 1
            sock.settimeout(0.2)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True,
                                      name=f"fake-imap-{number}")
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket, number: int) -> None:
        session = Session(self, sock, number)
        self.sessions.append(session)
        try:
            if self.implicit_tls:
                session.starttls()
            session.send(self.greeting.replace(b"{caps}", self.capabilities(session).encode()))
            while not session.closed:
                tag, verb, args = session.read_command()
                handler = self.handlers.get(verb) or DEFAULTS.get(verb)
                if handler is None:
                    session.reply(tag, f"BAD unknown command {verb}")
                elif isinstance(handler, bytes):
                    session.send(handler.replace(b"{tag}", tag.encode()))
                else:
                    handler(session, tag, args)
        except SessionClosed:
            pass
        except OSError:
            if not (session.closed or self.stopping.is_set()):
                raise
        except Exception as exc:  # a bug in a test's script: keep it for the test to see
            self.errors.append(exc)
        finally:
            session.close()


# -- the default answers ------------------------------------------------------------------


def _capability(session: Session, tag: str, args: str) -> None:
    session.send(f"* CAPABILITY {session.server.capabilities(session)}\r\n")
    session.reply(tag, "OK CAPABILITY completed")


def _login(session: Session, tag: str, args: str) -> None:
    expected = session.server.password
    if expected is not None and expected not in args:
        session.reply(tag, "NO [AUTHENTICATIONFAILED] Authentication failed.")
        return
    session.reply(tag, f"OK [CAPABILITY {session.server.capabilities(session)}] Logged in")


def _logout(session: Session, tag: str, args: str) -> None:
    session.send("* BYE Logging out\r\n")
    session.reply(tag, "OK Logout completed")
    session.close()


def _ok(session: Session, tag: str, args: str) -> None:
    session.reply(tag)


def _starttls(session: Session, tag: str, args: str) -> None:
    if session.server.tls_context is None or session.encrypted:
        session.reply(tag, "BAD STARTTLS not available")
        return
    session.reply(tag, "OK Begin TLS negotiation now")
    session.starttls()


def _list(session: Session, tag: str, args: str) -> None:
    for name in session.server.folders:
        session.send(f'* LIST (\\HasNoChildren) "/" "{name}"\r\n')
    session.reply(tag, "OK List completed")


def _status(session: Session, tag: str, args: str) -> None:
    name = args.split(" (", 1)[0]
    session.send(f"* STATUS {name} (MESSAGES {len(session.server.messages)} UNSEEN 0)\r\n")
    session.reply(tag, "OK Status completed")


def _select(session: Session, tag: str, args: str, *, readonly: bool = False) -> None:
    count = len(session.server.messages)
    session.send(
        f"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* {count} EXISTS\r\n"
        f"* OK [UIDVALIDITY 7] UIDs valid\r\n* OK [UIDNEXT {count + 1}] Predicted next UID\r\n"
    )
    session.reply(tag, "OK [READ-ONLY] Examine completed" if readonly
                  else "OK [READ-WRITE] Select completed")


def _search(session: Session, tag: str, args: str) -> None:
    uids = " ".join(str(uid) for uid in range(1, len(session.server.messages) + 1))
    session.send(f"* SEARCH {uids}\r\n".replace(" \r\n", "\r\n"))
    session.reply(tag, "OK Search completed")


def parse_set(text: str, highest: int) -> list[int]:
    """``1:3,7,9:*`` -> [1, 2, 3, 7, 9, ..., highest] (within 1..highest)."""
    out: list[int] = []
    for token in text.split(","):
        first, _, last = token.partition(":")
        start = highest if first == "*" else int(first)
        end = start if not last else highest if last == "*" else int(last)
        low, high = sorted((start, end))
        out.extend(n for n in range(low, high + 1) if 1 <= n <= highest)
    return sorted(set(out))


def fetch_response(number: int, uid: int, raw: bytes, items: str) -> bytes:
    """One ``* n FETCH (...)`` answering the items a client asked for."""
    parts = [f"UID {uid}".encode()]
    if "FLAGS" in items:
        parts.append(b"FLAGS ()")
    if "INTERNALDATE" in items:
        parts.append(b'INTERNALDATE "01-Jun-2024 12:00:00 +0000"')
    if "RFC822.SIZE" in items:
        parts.append(f"RFC822.SIZE {len(raw)}".encode())
    for section in SECTION.findall(items):
        data = raw if section == "" else raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        parts.append(f"BODY[{section}] {{{len(data)}}}\r\n".encode() + data)
    return f"* {number} FETCH (".encode() + b" ".join(parts) + b")\r\n"


def _fetch(session: Session, tag: str, args: str, *, by_uid: bool) -> None:
    message_set, _, items = args.partition(" ")
    messages = session.server.messages
    for number in parse_set(message_set, len(messages)):
        session.send(fetch_response(number, number, messages[number - 1], items))
    session.reply(tag, "OK Fetch completed")


DEFAULTS: dict[str, Handler] = {
    "CAPABILITY": _capability,
    "LOGIN": _login,
    "LOGOUT": _logout,
    "NOOP": _ok,
    "ENABLE": _ok,
    "UNSELECT": _ok,
    "CLOSE": _ok,
    "STARTTLS": _starttls,
    "LIST": _list,
    "STATUS": _status,
    "SELECT": _select,
    "EXAMINE": lambda s, t, a: _select(s, t, a, readonly=True),
    "UID SEARCH": _search,
    "SEARCH": _search,
    "FETCH": lambda s, t, a: _fetch(s, t, a, by_uid=False),
    "UID FETCH": lambda s, t, a: _fetch(s, t, a, by_uid=True),
}
