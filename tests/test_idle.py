"""The folder watcher against Dovecot: IDLE, split response lines, polling, reconnects, renewal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sage_tui.imap import FolderChange, FolderWatcher
from sage_tui.imap.errors import IMAPError
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


@contextmanager
def watching(watcher: FolderWatcher) -> Iterator[tuple[list[FolderChange], list[IMAPError]]]:
    changes: list[FolderChange] = []
    errors: list[IMAPError] = []
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(changes.append, stop, errors.append))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while watcher.mode is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # connected and selected; IDLE (or the first poll wait) has begun
        yield changes, errors
    finally:
        stop.set()
        thread.join(5)
        assert not thread.is_alive(), "the watcher must stop within a few check intervals"


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def deliver(dovecot, user, i: int) -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i, subject=f"new {i}")])


def test_idle_reports_new_mail(dovecot, imap_user):
    watcher = FolderWatcher(plain_config(dovecot.host, dovecot.port, imap_user), "INBOX")
    with watching(watcher) as (changes, errors):
        assert watcher.mode == "idle"
        deliver(dovecot, imap_user, 1)
        assert wait_until(lambda: changes)
    assert changes[0].reason == "idle" and not errors


def test_idle_survives_response_lines_split_across_segments(dovecot, imap_user, fault_proxy):
    """imapclient's idle_check aborts on a line that arrives in pieces; ours waits for it."""
    proxy = fault_proxy()
    watcher = FolderWatcher(plain_config(dovecot.host, proxy.port, imap_user), "INBOX")
    with watching(watcher) as (changes, errors):
        proxy.fragment(3)
        deliver(dovecot, imap_user, 1)
        assert wait_until(lambda: changes)
    assert changes[0].reason == "idle"
    assert not errors, errors


def test_polling_where_idle_is_not_used(dovecot, imap_user):
    watcher = FolderWatcher(plain_config(dovecot.host, dovecot.port, imap_user), "INBOX",
                            use_idle=False, poll_interval=0.2)
    with watching(watcher) as (changes, errors):
        assert watcher.mode == "poll"
        deliver(dovecot, imap_user, 1)
        assert wait_until(lambda: changes)
    assert changes[0].reason == "poll" and not errors


def test_a_dropped_connection_is_reopened_and_reported_as_a_change(
    dovecot, imap_user, fault_proxy
):
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, retry_delay=0.05)
    watcher = FolderWatcher(config, "INBOX")
    with watching(watcher) as (changes, errors):
        proxy.reset_all()
        assert wait_until(lambda: any(c.reason == "reconnect" for c in changes))
        assert errors and errors[0].transient
        deliver(dovecot, imap_user, 1)
        assert wait_until(lambda: any(c.reason == "idle" for c in changes))


def test_idle_is_reissued_before_the_server_may_drop_it(dovecot, imap_user):
    """RFC 2177: re-issue before 29 minutes; the clock is injected, the server is real."""
    now = [0.0]
    watcher = FolderWatcher(plain_config(dovecot.host, dovecot.port, imap_user), "INBOX",
                            clock=lambda: now[0], check_interval=0.05)
    assert watcher.renew_after < 29 * 60
    with watching(watcher) as (changes, errors):
        now[0] += watcher.renew_after + 1
        assert wait_until(lambda: watcher.renewals >= 1)
        deliver(dovecot, imap_user, 1)  # the renewed IDLE still reports mail
        assert wait_until(lambda: changes)
    assert not errors


def test_mail_that_arrived_before_the_watcher_started_is_reported(dovecot, imap_user):
    """The app lists the folder, then the watcher selects it: a message in between counts."""
    raw_config = plain_config(dovecot.host, dovecot.port, imap_user)
    deliver(dovecot, imap_user, 1)
    listed = (1, 2)  # what the app saw: EXISTS 1, UIDNEXT 2
    deliver(dovecot, imap_user, 2)  # arrives before the watcher's SELECT
    watcher = FolderWatcher(raw_config, "INBOX", known=listed)
    with watching(watcher) as (changes, errors):
        assert wait_until(lambda: changes)
    assert changes[0].reason == "start" and not errors
    quiet = FolderWatcher(raw_config, "INBOX", known=(2, 3))  # up to date: nothing to say
    with watching(quiet) as (changes, errors):
        time.sleep(0.3)
    assert changes == [] and not errors
