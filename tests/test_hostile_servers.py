"""A hostile or broken server never crashes the engine, never hangs it, never floods its memory.

Each test scripts one fault into the fake server (tests/support/fake_server.py, a real loopback
socket) and checks that the engine ends with an ``IMAPError`` subclass that says what happened,
within its timeout, and that a connection which saw a broken stream is never reused.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest

from sage_tui.imap import (
    ConnectionConfig,
    IMAPClient,
    IMAPConnectionError,
    IMAPError,
    IMAPMailboxService,
    IMAPProtocolError,
)
from sage_tui.imap.transport import MAX_LITERAL
from tests.support.fake_server import FakeIMAPServer, Session, fetch_response
from tests.support.seed import make_message

MESSAGES = [make_message(i, subject=f"message {i}") for i in range(1, 4)]


def config_for(server: FakeIMAPServer, **overrides: object) -> ConnectionConfig:
    fields: dict[str, object] = {
        "host": server.host, "port": server.port, "username": "user", "password": "pw",
        "use_ssl": False, "timeout": 2.0, "max_retries": 0, "retry_delay": 0.01,
    }
    fields.update(overrides)
    return ConnectionConfig(**fields)  # type: ignore[arg-type]


@pytest.fixture
def serve() -> Iterator:
    servers: list[FakeIMAPServer] = []

    def start(**options: object) -> FakeIMAPServer:
        options.setdefault("messages", MESSAGES)
        server = FakeIMAPServer(**options).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors  # the scripts themselves ran cleanly


def opened(server: FakeIMAPServer, **overrides: object) -> IMAPMailboxService:
    service = IMAPMailboxService(IMAPClient(config_for(server, **overrides)))
    service.select("INBOX", readonly=True)
    return service


def on_uid_fetch(handler):  # type: ignore[no-untyped-def]
    """Answer UID FETCH with ``handler``; everything else as an honest server."""
    return {"UID FETCH": handler}


# -- memory: literals and lines ----------------------------------------------------------


def test_an_absurd_literal_size_is_refused_before_anything_is_allocated(serve):
    def absurd(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 BODY[] {99999999999}\r\nabc")
        session.hold(10)

    server = serve(handlers=on_uid_fetch(absurd))
    service = opened(server, timeout=10.0)
    tracemalloc.start()
    try:
        started = time.monotonic()
        with pytest.raises(IMAPProtocolError) as info:
            service.fetch_message(1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "99,999,999,999-byte response" in str(info.value)
    assert time.monotonic() - started < 5  # refused at once, not after the 10 s read timeout
    assert peak < 5 * 1024 * 1024


def test_a_large_literal_that_never_arrives_costs_only_what_arrived(serve):
    """Announced below the limit, then 1 MiB sent and the connection closed."""
    announced = MAX_LITERAL - 1

    def trickle(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % announced + b"x" * (1024 * 1024))
        session.close()

    server = serve(handlers=on_uid_fetch(trickle))
    service = opened(server)
    tracemalloc.start()
    try:
        with pytest.raises(IMAPProtocolError) as info:
            service.fetch_message(1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "closed the connection 1,048,576 bytes into a" in str(info.value)
    assert peak < 16 * 1024 * 1024  # not the 256 MiB the server announced


def test_a_never_ending_line_is_cut_off(serve):
    def endless(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 FLAGS (")
        session.stream(b"\\Seen " * 10_000)

    server = serve(handlers=on_uid_fetch(endless))
    service = opened(server)
    started = time.monotonic()
    with pytest.raises(IMAPProtocolError, match="over-long line"):
        service.fetch([1, 2, 3], fields=["FLAGS"])
    assert time.monotonic() - started < 10


def test_a_truncated_literal_is_an_error_not_a_short_message(serve):
    def truncated(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 BODY[] {500}\r\n" + b"y" * 100)
        session.close()

    server = serve(handlers=on_uid_fetch(truncated))
    with pytest.raises(IMAPProtocolError, match="100 bytes into a 500-byte response"):
        opened(server).fetch_message(1)


def test_a_server_that_stalls_mid_response_times_out(serve):
    def stall(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 BODY[] {500}\r\n" + b"y" * 100)
        session.hold(10)

    server = serve(handlers=on_uid_fetch(stall))
    service = opened(server, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(IMAPConnectionError, match="did not answer in time"):
        service.fetch_message(1)
    assert time.monotonic() - started < 5


# -- the connection after a broken stream ------------------------------------------------


def test_a_connection_that_saw_a_broken_response_is_not_reused(serve):
    broken = {"done": False}

    def once_broken(session: Session, tag: str, args: str) -> None:
        if not broken["done"]:
            broken["done"] = True
            session.send(b"* 1 FETCH (UID 1 BODY[] {500}\r\n" + b"y" * 100)
            session.hold(10)
            return
        items = args.partition(" ")[2]
        session.send(fetch_response(1, 1, MESSAGES[0], items))
        session.reply(tag, "OK Fetch completed")

    server = serve(handlers=on_uid_fetch(once_broken))
    service = opened(server, timeout=0.5)
    with pytest.raises(IMAPConnectionError):
        service.fetch_message(1)
    message = service.fetch_message(1)  # a new connection, in step with the server
    assert message.subject == "message 1"
    logins = [item.connection for item in server.received if item.verb == "LOGIN"]
    assert len(logins) == 2


def test_an_unsolicited_bye_mid_command_is_a_connection_error(serve):
    def bye(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 FLAGS ())\r\n* BYE shutting down for maintenance\r\n")
        session.close()

    server = serve(handlers=on_uid_fetch(bye))
    with pytest.raises(IMAPConnectionError) as info:
        opened(server).fetch([1, 2], fields=["FLAGS"])
    assert "shutting down for maintenance" in str(info.value)


def test_a_bye_greeting_is_a_connection_error(serve):
    server = serve(greeting=b"* BYE too many connections\r\n")
    with pytest.raises(IMAPConnectionError):
        IMAPClient(config_for(server)).connect()


@pytest.mark.parametrize("garbage", [
    b"HELLO THERE\r\n",  # neither untagged, tagged nor a continuation
    b"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n{tag} OK done\r\n",  # unbalanced parentheses
    b"* x FETCH (UID y)\r\n{tag} OK done\r\n",  # numbers that are not numbers
    b"ZZZ9 OK a tag nobody sent\r\n",
    b"* 1 FETCH (UID 1 FLAGS ())\r\n{tag} MAYBE done\r\n",  # neither OK, NO nor BAD
])
def test_malformed_responses_end_in_an_engine_error(serve, garbage):
    def malformed(session: Session, tag: str, args: str) -> None:
        session.send(garbage.replace(b"{tag}", tag.encode()))
        session.hold(3)

    server = serve(handlers=on_uid_fetch(malformed))
    service = opened(server, timeout=1.0)
    try:
        result = service.fetch([1, 2, 3], fields=["FLAGS"])
    except IMAPError as error:
        assert str(error)
    else:  # a response the engine could read around: nothing invented
        assert all(row.uid in (1, 2, 3) for row in result)


# -- FETCH responses a parser chokes on: the message is still listed ---------------------


def _answer(lines: bytes):  # type: ignore[no-untyped-def]
    def handler(session: Session, tag: str, args: str) -> None:
        session.send(lines)
        session.reply(tag, "OK Fetch completed")

    return handler


def test_an_unparseable_envelope_still_lists_the_message(serve):
    server = serve(handlers=on_uid_fetch(_answer(
        b'* 1 FETCH (UID 1 FLAGS (\\Seen) ENVELOPE ("Mon, 1 Jan 2024" "short" NIL))\r\n'
        b'* 2 FETCH (UID 2 FLAGS () ENVELOPE GARBAGE)\r\n'
        b'* 3 FETCH (UID 3 FLAGS () ENVELOPE (NIL "fine" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n'
    )))
    rows = opened(server).fetch([1, 2, 3], fields=["ENVELOPE", "FLAGS"])
    assert [row.uid for row in rows] == [1, 2, 3]
    assert rows[0].seen and rows[2].subject == "fine"


def test_a_list_chunk_with_one_broken_message_lists_all_of_them(serve):
    good = fetch_response(2, 2, MESSAGES[1], "FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    server = serve(handlers=on_uid_fetch(_answer(
        b'* 1 FETCH (UID 1 FLAGS () X-WEIRD (((( BODY[HEADER.FIELDS (SUBJECT)] {21}\r\n'
        b'Subject: broken one\r\n)\r\n' + good +
        b'* 3 FETCH (UID 3 FLAGS (\\Flagged) RFC822.SIZE 12)\r\n'
    )))
    rows = opened(server).fetch([1, 2, 3])
    assert [row.uid for row in rows] == [1, 2, 3]
    assert rows[0].subject == "broken one"
    assert rows[1].subject == "message 2"
    assert rows[2].flagged


def test_odd_sequence_numbers_and_order_do_not_lose_rows(serve):
    """Responses out of order, a duplicate, and one for a message nobody asked for."""
    items = "FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]"
    server = serve(handlers=on_uid_fetch(_answer(
        fetch_response(3, 3, MESSAGES[2], items)
        + fetch_response(1, 1, MESSAGES[0], items)
        + b"* 2 FETCH (FLAGS (\\Seen))\r\n"  # another client's change: no UID
        + fetch_response(2, 2, MESSAGES[1], items)
        + fetch_response(1, 1, MESSAGES[0], items)
    )))
    rows = opened(server).fetch([1, 2, 3])
    assert [row.subject for row in rows] == ["message 1", "message 2", "message 3"]


def test_expunge_and_vanished_in_any_order_keep_the_count_sane(serve):
    def noop(session: Session, tag: str, args: str) -> None:
        session.send(b"* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n* VANISHED 2\r\n* 9 EXPUNGE\r\n"
                     b"* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n")
        session.reply(tag, "OK NOOP completed")

    server = serve(handlers={"NOOP": noop})
    service = opened(server)
    info = service.select("INBOX", readonly=True)  # fresh: NOOP on the selected folder
    assert info.exists == 0  # never negative, whatever the server claims


# -- folder names imapclient's parser chokes on (real Dovecot) ----------------------------

ODD_FOLDERS = ["x[y", "[a[b]]", "a]b", "[/]", "\\[x]", "[bold red]x[/]", "Ünïcode [ok", 'quo"te']


def test_folders_with_brackets_are_listed_with_counts(dovecot, imap_user, raw_imap):
    """Dovecot sends ``x[y`` as a bare atom; imapclient's lexer takes ``[`` for a section."""
    from tests.support.engine import plain_config

    raw = raw_imap(imap_user)
    for name in ODD_FOLDERS:
        raw.create_folder(name)
    for i in (1, 2):
        raw.append("x[y", make_message(i))
    with pytest.raises(Exception, match="No closing"):  # what broke the folder list before
        raw.list_folders()
    service = IMAPMailboxService(IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user)))
    folders = {folder.name: folder for folder in service.list_folders()}
    for name in ODD_FOLDERS:
        assert name in folders, name
    assert folders["x[y"].messages == 2 and folders["[a[b]]"].messages == 0
    assert not folders["["].selectable  # the parent Dovecot made for "[/]"
    service.select("x[y", readonly=True)
    assert [row.uid for row in service.fetch_newest(10)] == [2, 1]
