"""A password never leaves memory: not on screen, not in screenshots, errors, reprs, logs or the
doctor's report.

One real session against Dovecot with a known, unmistakable password (and one attempt with a
wrong one); everything the session produced that a user, a bug report or a log reader could see
is collected and searched for both passwords. Logging runs at DEBUG and the secret is *not*
registered for redaction, so the test proves nothing wrote it, not that a filter hid it.
"""

from __future__ import annotations

import importlib.util
import logging
import traceback
from pathlib import Path

import pytest

from sage_tui.account import Account
from sage_tui.imap import IMAPClient, IMAPError, IMAPMailboxService
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

SECRET = "Sentinel-Pa55-q9Zr7"
WRONG = "Wr0ng-Sentinel-k4Xv2"
PASSWORDS = (SECRET, WRONG)

HAVE_LOGS = importlib.util.find_spec("sage_tui.logs") is not None
HAVE_DOCTOR = importlib.util.find_spec("sage_tui.doctor") is not None


def leaks(texts: list[str]) -> list[str]:
    """The texts (shortened) that contain either password."""
    return [text[:200] for text in texts if any(p in text for p in PASSWORDS)]


def error_texts(error: BaseException) -> list[str]:
    """Everything an exception shows: str, repr, args, the whole chained traceback."""
    texts = [str(error), repr(error), repr(error.args),
             "".join(traceback.format_exception(error))]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        texts += [str(cause), repr(cause), repr(cause.args)]
        cause = cause.__cause__ or cause.__context__
    return texts


@pytest.fixture
def sentinel(dovecot):  # type: ignore[no-untyped-def]
    user = dovecot.add_user("sentinel", SECRET)
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 4)])
    return user


@pytest.fixture
def log_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    directory = tmp_path / "logs"
    monkeypatch.setenv("SAGE_TUI_LOG_DIR", str(directory))
    if not HAVE_LOGS:
        yield None
        return
    from sage_tui import logs

    logs.forget_secrets()  # nothing to redact with: a leak would show
    logs.setup_logging(logging.DEBUG)
    protocol = logging.getLogger("imapclient")  # the wire trace, LOGIN command included
    level = protocol.level
    protocol.setLevel(logging.DEBUG)
    yield directory
    protocol.setLevel(level)
    logs.shutdown_logging()


async def test_a_session_never_shows_or_stores_the_password(dovecot, sentinel, log_dir):
    seen: list[str] = []
    good = plain_config(dovecot.host, dovecot.port, sentinel)
    bad = plain_config(dovecot.host, dovecot.port, sentinel, password=WRONG, max_retries=0)

    # The app, logged in: list, open, read, look at the help; then screenshots and state.
    app = make_app(good)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders))
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None)
        seen.append(app.export_screenshot())
        await pilot.press("question_mark")
        await pilot.pause()
        seen.append(app.export_screenshot())
        seen += [n.message for n in app._notifications] + [n.title for n in app._notifications]
        seen += [repr(app.account), repr(app.client), repr(app.client.config),
                 str(app.client.config), repr(app.client.get_metrics()),
                 str(app.client.health_check())]

    # The app with the wrong password: the banner, the notifications, the screenshot.
    app = make_app(bad)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        screen = main_screen(app)
        banner = screen.query_one("#banner")
        await settle(pilot, lambda: banner.has_class("-shown"))
        seen.append(str(banner.render()))
        seen.append(app.export_screenshot())
        seen += [n.message for n in app._notifications]

    # The engine's own words: errors (with their causes and tracebacks), events, reprs.
    events: list[str] = []
    client = IMAPClient(bad)
    client.subscribe(lambda event: events.append(f"{event!r} {event.message}"))
    with pytest.raises(IMAPError) as info:
        IMAPMailboxService(client).list_folders()
    seen += error_texts(info.value) + events
    seen += [repr(client), repr(Account(bad, "me")), repr(client.get_metrics())]
    assert "Authentication failed" in str(info.value)

    # The log files (the logging helper's rotating file, at DEBUG).
    if log_dir is not None:
        files = [path for path in Path(log_dir).rglob("*") if path.is_file()]
        assert files, "the session wrote no log file"
        logged = [path.read_text(errors="replace") for path in files]
        assert any("LOGIN" in text for text in logged)  # the wire trace was really written
        seen += logged

    assert seen and not leaks(seen)


@pytest.mark.skipif(not HAVE_DOCTOR, reason="sage_tui.doctor is not in this tree yet")
def test_the_doctor_report_never_shows_the_password(dovecot, sentinel):
    from sage_tui.doctor.checks import run_doctor
    from sage_tui.doctor.render import render_json, render_text

    outputs: list[str] = []
    for password in PASSWORDS:
        config = plain_config(dovecot.host, dovecot.port, sentinel, password=password)
        report = run_doctor(config, noops=1)
        outputs += [render_text(report), render_json(report), repr(report)]
    assert "Authentication" in outputs[3] or "password" in outputs[3].lower()
    assert not leaks(outputs)
