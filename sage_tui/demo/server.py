"""An embedded IMAP server (pymap's in-memory ``dict`` backend) holding the demo mailbox.

Why pymap in a thread: the demo and the tests need a real IMAP server that speaks to the very
same engine code path as production (imapclient over a socket), without Dovecot, network access
or credentials. pymap is pure Python and asyncio-based; running it on its own event loop in a
daemon thread keeps the Textual app's loop untouched and lets the server die with the process.

Why the mailbox is injected rather than APPENDed: the messages go straight into the dict
backend's mailbox objects, with flags and internal dates exactly as generated, and their MIME
parsing is deferred to first use (see ``_LazyMessage``): 2,700 APPENDs, or even pymap's own
``MailboxData.append`` (which parses every message up front), take about 4 s; injection takes
milliseconds. Should pymap's internals change, seeding falls back to ``MailboxData.append``.

What pymap 0.36 does not do, so the engine relies on its fall-backs: no SPECIAL-USE (folder
roles come from the well-known names Archive/Sent/Drafts/Trash/Junk), no CONDSTORE, no UNSELECT,
no ENABLE, no NAMESPACE. It does advertise MOVE, UIDPLUS, IDLE, CHILDREN, BINARY, MULTIAPPEND
and OBJECTID once logged in.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import threading
import uuid
from argparse import Namespace
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, cast

from proxyprotocol.sock import SocketInfo
from pymap.backend.dict import Config, Login
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxData, MailboxSet, Message
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.mime import MessageContent
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials import ObjectId
from pymap.parsing.specials.flag import Flag
from pymap.user import UserMetadata
from pysasl.hashing import Cleartext

from .mailbox import DEMO_ADDRESS, DEMO_FOLDERS, DemoMessage, generate_mailbox

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "DemoServer"]

DEMO_USERNAME = DEMO_ADDRESS
DEMO_PASSWORD = "demo"

START_TIMEOUT = 60.0
"""Seconds ``start`` waits for the listening socket before giving up (seeding is ~1 s)."""
STOP_TIMEOUT = 10.0
"""Seconds ``stop`` waits for the server thread to finish closing sessions."""


class _DemoConfig(Config):
    """pymap's dict-backend config with the defaults a loopback demo needs.

    The greeting is fixed because pymap's default calls ``socket.getfqdn()``, which can stall
    for seconds on hosts with broken reverse DNS.
    """

    @property
    def greeting(self) -> bytes:
        return b"Server ready sage-tui demo"


class DemoServer:
    """A pymap IMAP server on loopback, seeded with the demo mailbox, run in a daemon thread.

    Plain IMAP without TLS (STARTTLS is not offered): it listens on loopback only. LOGIN
    with ``username``/``password`` works; every login of that user sees the same in-memory
    mailbox, so pooled connections agree with each other. Nothing is written to disk: all
    changes vanish with ``stop()``.

    Args:
        mailbox: Folder name -> messages (oldest first; UIDs follow list order). ``None``
            means ``generate_mailbox()``. Every name in ``DEMO_FOLDERS`` is created even when
            absent from the mapping, so the folder tree is always complete.
        host: Interface to listen on.
        port: TCP port; 0 picks a free one, readable from ``port`` after ``start()``.

    Attributes:
        host: The listening interface.
        port: The bound port (the real one once started).
        username: Login name of the demo account.
        password: Its password.
    """

    def __init__(
        self,
        mailbox: Mapping[str, Sequence[DemoMessage]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = DEMO_USERNAME
        self.password = DEMO_PASSWORD
        self._mailbox = mailbox
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self._ready.is_set()

    def start(self) -> DemoServer:
        """Seed the mailbox, bind the socket and return once connections are accepted.

        Raises:
            RuntimeError: Already started, or the server failed to come up (the cause is
                chained, e.g. ``OSError`` for a port in use).
        """
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the demo server is already started")
            mailbox = generate_mailbox() if self._mailbox is None else self._mailbox
            self._ready.clear()
            self._error = None
            thread = threading.Thread(
                target=self._run, args=(mailbox,), name="sage-tui-demo-imap", daemon=True
            )
            self._thread = thread
            thread.start()
        if not self._ready.wait(START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"the demo IMAP server did not start within {START_TIMEOUT} s")
        if self._error is not None:
            error = self._error
            self.stop()
            raise RuntimeError(f"the demo IMAP server failed to start: {error}") from error
        return self

    def stop(self) -> None:
        """Close the listening socket and every session, and join the thread. Idempotent."""
        with self._lock:
            thread, loop, stopping = self._thread, self._loop, self._stopping
            self._thread = None
            if thread is None:
                return
            if loop is not None and stopping is not None:
                # The loop may already be closed if the thread died on its own.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stopping.set)
            thread.join(STOP_TIMEOUT)
            self._loop = None
            self._stopping = None
            self._ready.clear()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<DemoServer {self.host}:{self.port} {state}>"

    # -- the server thread --------------------------------------------------------------------

    def _run(self, mailbox: Mapping[str, Sequence[DemoMessage]]) -> None:
        """Own event loop for the server's whole life; ``asyncio.Runner`` cancels leftovers."""
        try:
            with asyncio.Runner() as runner:
                self._loop = runner.get_loop()
                runner.run(self._serve(mailbox))
        except BaseException as exc:  # reported to start(), or lost with a dying thread
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self, mailbox: Mapping[str, Sequence[DemoMessage]]) -> None:
        self._stopping = asyncio.Event()
        config = _DemoConfig(
            Namespace(proxy_protocol=None, passlib_cfg=None, inherited_sockets=None),
            host=self.host,
            port=self.port,
            demo_data=False,
            demo_user=self.username,
            demo_password=self.password,
            tls_enabled=False,
            ssl_context=ssl.create_default_context(ssl.Purpose.CLIENT_AUTH),
            # Cleartext: pymap's default PBKDF2 (500,000 rounds) costs ~0.3 s per LOGIN.
            hash_context=Cleartext(),
            # The default is a thread pool; the demo must leave no threads behind.
            cpu_subsystem=Subsystem.for_asyncio(),
            invalid_user_sleep=0.05,
            reject_dnsbl=False,
            bad_command_limit=None,
        )
        config.apply_context()  # pymap's concurrency primitives: asyncio, in this thread
        login = Login(config)
        await login.demo_user_identity.set(
            UserMetadata(config, self.username, password=self.password)
        )
        mailbox_set = await _seed(mailbox)
        config.set_cache[self.username] = (mailbox_set, FilterSet())
        imap = IMAPServer(login, config)

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._connections.add(task)
            try:
                sock_info = SocketInfo.get(writer, None, unique_id=uuid.uuid4().bytes)
                await imap(reader, cast(asyncio.StreamWriter, _WholeResponses(writer)), sock_info)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client went away: normal for a demo
            finally:
                writer.close()
                if task is not None:
                    self._connections.discard(task)

        server = await asyncio.start_server(connection, host=self.host, port=self.port)
        try:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            if self._connections:
                await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()


class _WholeResponses:
    """A ``StreamWriter`` that sends each IMAP response in one piece.

    pymap writes a response in fragments (``* 6 FETCH `` first, then the attributes after an
    ``await``) and calls ``drain()`` once the response is complete. Sent as they come, the
    fragments reach the client as separate TCP segments, and imapclient's ``idle_check``, which
    reads a non-blocking socket, then fails with "unterminated line" and drops the IDLE
    connection. Buffering until ``drain()`` keeps every response line whole (and saves
    syscalls). Everything but ``write``/``drain`` is the real writer's.
    """

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._pending.append(bytes(data))

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        self._pending.extend(bytes(item) for item in data)

    async def drain(self) -> None:
        if self._pending:
            chunk = b"".join(self._pending)
            self._pending.clear()
            self._writer.write(chunk)
        await self._writer.drain()

    def close(self) -> None:
        if self._pending and not self._writer.is_closing():
            self._writer.write(b"".join(self._pending))  # e.g. a final BYE
        self._pending.clear()
        self._writer.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


async def _seed(mailbox: Mapping[str, Sequence[DemoMessage]]) -> MailboxSet:
    """A pymap mailbox set holding every demo folder (subscribed) and the given messages."""
    mailbox_set = MailboxSet()
    names = list(DEMO_FOLDERS) + [name for name in mailbox if name not in DEMO_FOLDERS]
    for name in names:
        if name.upper() != "INBOX":
            await mailbox_set.add_mailbox(name)
        await mailbox_set.set_subscribed(name, True)
    flag_cache: dict[str, Flag] = {}
    threads: dict[bytes, ObjectId] = {}
    for name, messages in mailbox.items():
        data = await mailbox_set.get_mailbox(name)
        entries = [
            (
                message,
                frozenset(flag_cache.setdefault(f, Flag(f.encode("ascii"))) for f in message.flags),
            )
            for message in messages
        ]
        if _can_inject(data):
            _inject(data, entries, threads)
        else:  # pymap's internals changed: the public path is slower but always right
            for message, flags in entries:
                await data.append(AppendMessage(message.raw, message.internaldate, flags))
    return mailbox_set


class _LazyMessage(Message):
    """A dict-backend message whose MIME structure is parsed on first use.

    Why: pymap parses every message when it is appended (``MessageContent.parse``, ~1.3 ms
    each, mostly ``email.headerregistry``), which would make the demo take 4 s to start.
    Parsing on first access moves that cost to the first FETCH of headers or body, and only
    for the messages actually looked at (a first screen is 60 of 2,000).

    The dict backend reads ``_content`` in exactly two places, ``load_content`` and
    ``Message.copy`` (COPY/MOVE), so ``_content`` is made a property that parses on demand;
    the parsed result is stored in the base class's slot.
    """

    __slots__ = ["_raw"]
    _slot = Message._content  # the base class's slot descriptor

    def __init__(self, uid: int, internal_date: datetime, flags: frozenset[Flag], *,
                 raw: bytes, email_id: ObjectId, thread_id: ObjectId) -> None:
        self._raw: bytes | None = raw
        super().__init__(uid, internal_date, flags, email_id=email_id, thread_id=thread_id)

    @property  # type: ignore[override]
    def _content(self) -> MessageContent | None:
        content: MessageContent | None = _LazyMessage._slot.__get__(self, Message)
        if content is None and self._raw is not None:
            content = MessageContent.parse(self._raw)
            _LazyMessage._slot.__set__(self, content)
            self._raw = None
        return content

    @_content.setter
    def _content(self, content: MessageContent | None) -> None:
        _LazyMessage._slot.__set__(self, content)


_INTERNALS = ("_max_uid", "_messages", "_mod_sequences", "_updated")
"""The dict backend's private state that ``_inject`` writes (checked, with a fall-back)."""


def _can_inject(data: MailboxData) -> bool:
    return isinstance(data, MailboxData) and all(hasattr(data, name) for name in _INTERNALS)


def _inject(
    data: MailboxData,
    entries: Sequence[tuple[DemoMessage, frozenset[Flag]]],
    threads: dict[bytes, ObjectId],
) -> None:
    """Add messages the way ``MailboxData.append`` does (next UID, one mod-sequence), unparsed.

    Runs before the server accepts connections, so no lock or selected-mailbox update is
    needed. Thread ids are assigned like pymap's thread cache does, keyed by the thread's
    root Message-ID (first of References, else the message's own id).
    """
    uids: list[int] = []
    for message, flags in entries:
        data._max_uid = uid = data._max_uid + 1
        root = _thread_root(message.raw)
        thread_id = threads.get(root) if root else None
        if thread_id is None:
            thread_id = ObjectId.random_thread_id()
            if root:
                threads[root] = thread_id
        data._messages[uid] = _LazyMessage(
            uid,
            message.internaldate,
            flags,
            raw=message.raw,
            email_id=ObjectId.random_email_id(),
            thread_id=thread_id,
        )
        uids.append(uid)
    if uids:
        data._mod_sequences.update(uids)
        data._updated.set()


_REFERENCE = re.compile(rb"^(?:references|message-id):[ \t]*(<[^>\s]+>)", re.I | re.M)


def _thread_root(raw: bytes) -> bytes | None:
    """The first id of References if present, else the Message-ID, from the header block."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    found = {match.group(0)[:1].lower(): match.group(1) for match in _REFERENCE.finditer(head)}
    return found.get(b"r") or found.get(b"m")
