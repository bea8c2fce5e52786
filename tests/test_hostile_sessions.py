"""The app while the server misbehaves or other clients pull mail away: it says what happened in
a sentence, keeps its keys working, and never crashes.

Against Dovecot: messages expunged by another client in random order, and a message deleted
while it is open. Against the scripted fake server (a real loopback socket): an absurd literal,
a never-ending line and a stall while the folder is being listed.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from sage_tui.screens.help import HelpScreen
from sage_tui.widgets.reader import GONE_NOTE
from tests.support.app import main_screen, make_app, settle, until
from tests.support.engine import plain_config
from tests.support.fake_server import FakeIMAPServer, Session
from tests.support.seed import make_message, seed_folder


async def opened(pilot):  # type: ignore[no-untyped-def]
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders), timeout=30)
    return screen


def unexpected(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications if n.title == "Unexpected error"]


# -- other clients ----------------------------------------------------------------------


async def test_expunges_in_random_order_leave_exactly_the_rest(dovecot, imap_user, raw_imap):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 11)])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user), watch=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await settle(pilot, lambda: any(w.group == "watch" and w.is_running for w in app.workers))
        await asyncio.sleep(0.5)  # the watcher is in IDLE
        other = raw_imap(imap_user)
        other.select_folder("INBOX")
        uids = sorted(other.search("ALL"))
        doomed = random.Random(9).sample(uids, 6)
        for uid in doomed:  # one EXPUNGE each, in no particular order
            other.delete_messages([uid])
            other.uid_expunge([uid])
        kept = sorted(set(uids) - set(doomed))
        await settle(pilot, lambda: sorted(screen.model.uids) == kept, timeout=20)
        assert screen.model.total == 4 and not unexpected(app)


async def test_a_message_deleted_elsewhere_while_open_is_reported(dovecot, imap_user, raw_imap):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 4)])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user), watch=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None)
        reading = screen.reader.message.uid
        await settle(pilot, lambda: any(w.group == "watch" and w.is_running for w in app.workers))
        await asyncio.sleep(0.5)
        other = raw_imap(imap_user)
        other.select_folder("INBOX")
        other.delete_messages([reading])
        other.uid_expunge([reading])
        await settle(pilot, lambda: reading not in screen.model.uids, timeout=20)
        assert any(n.message == GONE_NOTE and n.title == "Message gone"
                   for n in app._notifications)
        assert app.is_running and not unexpected(app)


async def test_opening_a_message_that_is_already_gone_says_so(dovecot, imap_user, raw_imap):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 4)])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))  # no watcher
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        gone = screen.model.row_at(1).uid  # not the first row: that one is already previewed
        other = raw_imap(imap_user)
        other.select_folder("INBOX")
        other.delete_messages([gone])
        other.uid_expunge([gone])
        await pilot.press("j", "enter")
        body = screen.reader.query_one("#reader-body")
        await settle(pilot, lambda: "could not be opened" in str(body.render()))
        words = str(body.render())
        assert "no longer exists" in words and "deleted elsewhere" in words
        assert app.is_running and not unexpected(app)


# -- hostile servers --------------------------------------------------------------------


def fake_config(server: FakeIMAPServer, **overrides: object):  # type: ignore[no-untyped-def]
    from sage_tui.imap import ConnectionConfig

    fields: dict[str, object] = {
        "host": server.host, "port": server.port, "username": "user", "password": "pw",
        "use_ssl": False, "timeout": 2.0, "max_retries": 0,
    }
    fields.update(overrides)
    return ConnectionConfig(**fields)  # type: ignore[arg-type]


def absurd(session: Session, tag: str, args: str) -> None:
    session.send(b"* 1 FETCH (UID 1 FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {99999999999}\r\n")
    session.hold(10)


def endless(session: Session, tag: str, args: str) -> None:
    session.send(b"* 1 FETCH (UID 1 FLAGS (")
    session.stream(b"x" * 65536)


@pytest.mark.parametrize(("handler", "words"), [
    (absurd, "announced a 99,999,999,999-byte response"),
    (endless, "over-long line"),
])
async def test_a_hostile_server_gets_a_banner_and_the_keys_keep_working(handler, words):
    messages = [make_message(i, subject=f"message {i}") for i in range(1, 4)]
    with FakeIMAPServer(messages=messages, handlers={"FETCH": handler}) as server:
        app = make_app(fake_config(server))
        async with app.run_test(size=(160, 40)) as pilot:
            screen = main_screen(app)
            banner = screen.query_one("#banner")
            await settle(pilot, lambda: banner.has_class("-shown"), timeout=20)
            shown = str(banner.render())
            assert "Could not open INBOX" in shown and words in shown
            assert "Traceback" not in shown and not unexpected(app)
            assert [f.name for f in screen.folder_tree.folders] == ["INBOX"]
            await pilot.press("question_mark")
            await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, HelpScreen))
            await pilot.press("ctrl+r")  # tries again, fails the same clean way
            await settle(pilot, lambda: banner.has_class("-shown"), timeout=20)
            assert app.is_running
        assert not server.errors


def banner_words(screen) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(screen.query_one(f"#{name}").render())
                    for name in ("banner", "status-banner")
                    if screen.query(f"#{name}") and screen.query_one(f"#{name}").has_class(
                        "-shown"))


async def test_the_ui_answers_keys_while_the_server_stalls():
    def stall(session: Session, tag: str, args: str) -> None:
        session.send(b"* 1 FETCH (UID 1 FLAGS ()")  # half a response, then nothing
        session.hold(60)

    messages = [make_message(i, subject=f"message {i}") for i in range(1, 4)]
    with FakeIMAPServer(messages=messages, handlers={"FETCH": stall}) as server:
        app = make_app(fake_config(server, timeout=30.0))  # far longer than any key takes
        async with app.run_test(size=(160, 40)) as pilot:
            screen = main_screen(app)
            await until(pilot, lambda: any(item.verb == "FETCH" for item in server.received))
            loading = [w for w in app.workers if w.group == "folder-load" and w.is_running]
            assert loading  # the folder load is waiting on the stalled server
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert all(w.is_running for w in loading)  # still stalled: the key did not wait
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
            server.stop()  # the stalled server goes away: the load ends in words, not a hang
            await until(pilot, lambda: "INBOX" in banner_words(screen), timeout=30)
            assert app.is_running and not unexpected(app)


async def test_a_broken_fetch_response_still_lists_every_message():
    """One message's FETCH response is garbage: the folder still shows all three rows."""
    from tests.support.fake_server import fetch_response

    messages = [make_message(i, subject=f"message {i}") for i in range(1, 4)]

    def broken(session: Session, tag: str, args: str) -> None:
        items = args.partition(" ")[2]
        session.send(b"* 1 FETCH (UID 1 FLAGS () X-WEIRD (((( BODY[HEADER.FIELDS (SUBJECT)] "
                     b"{21}\r\nSubject: broken one\r\n)\r\n")
        for number in (2, 3):
            session.send(fetch_response(number, number, messages[number - 1], items))
        session.reply(tag, "OK Fetch completed")

    with FakeIMAPServer(messages=messages, handlers={"FETCH": broken}) as server:
        app = make_app(fake_config(server))
        async with app.run_test(size=(160, 40)) as pilot:
            screen = main_screen(app)
            await settle(pilot, lambda: screen.loaded, timeout=20)
            subjects = sorted(screen.model.row_at(i).subject for i in range(len(screen.model)))
            assert subjects == ["broken one", "message 2", "message 3"]
            assert not unexpected(app)
        assert not server.errors
