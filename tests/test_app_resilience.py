"""The app under real faults: a kicked session, a restarted server, an open circuit, quitting.

Each fault is caused for real (``doveadm kick``, stopping Dovecot, a proxy that refuses), and
the assertions are on what a person would see: the rows stay (never an empty folder), a banner
says what is wrong and when the next try is, and afterwards the list equals the server's state
with the selection kept.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from sage_tui.first_page import FirstPage
from sage_tui.imap import IMAPClient, IMAPConnectionError
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder
from tests.support.terminal import read_until, run_in_pty


def _seed(server, user, count: int, start: int = 1) -> None:
    seed_folder(server.host, server.port, user.name, user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(start, start + count)])


def _banner(screen) -> str:
    banner = screen.query_one("#status-banner")
    return str(banner.render()) if banner.has_class("-shown") else ""


async def _loaded(pilot, count: int):
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and screen.model.total == count)
    return screen


async def test_after_a_kick_the_app_reconnects_and_rereads_flags_keeping_the_selection(
        dovecot, imap_user, raw_imap):
    _seed(dovecot, imap_user, 30)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config, watch=True, poll_interval=0.5)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _loaded(pilot, 30)
        await pilot.press("j", "space")  # message 29 selected, the cursor on it
        selected = set(screen.model.selected)
        await asyncio.sleep(0.5)  # the watcher is connected
        dovecot.kick(imap_user.name)
        # Meanwhile another device reads message 1 and flags message 2.
        raw = raw_imap(imap_user)
        raw.select_folder("INBOX")
        raw.add_flags([1], [b"\\Seen"])
        raw.add_flags([2], [b"\\Flagged"])
        await settle(pilot, lambda: screen.model.get(1).seen and screen.model.get(2).flagged,
                     timeout=20)
        assert screen.model.total == 30 and len(set(screen.model.uids)) == 30
        assert screen.model.selected == selected
        assert screen.stale_reason is None and _banner(screen) == ""


async def test_a_stopped_server_keeps_the_rows_with_a_countdown_then_they_come_back(
        private_dovecot, fault_proxy):
    user = private_dovecot.add_user()
    _seed(private_dovecot, user, 12)
    proxy = fault_proxy(private_dovecot.port)
    config = plain_config(private_dovecot.host, proxy.port, user, timeout=2.0,
                          circuit_failure_threshold=50)
    app = make_app(config, watch=True, poll_interval=0.5)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _loaded(pilot, 12)
        await asyncio.sleep(0.5)
        private_dovecot.stop()
        proxy.reset_all()
        await settle(pilot, lambda: screen.stale_reason is not None, timeout=20)
        # Never an empty folder: the rows stay, dimmed, and the banner counts down.
        assert screen.model.total == 12
        assert screen.message_list.has_class("-stale")
        banner = _banner(screen)
        assert "Connection lost" in banner and "the list shows what was last known" in banner
        assert "reconnecting in" in banner or "reconnecting…" in banner
        assert "stale" in str(screen.query_one("#list-title").render())
        await asyncio.sleep(1.5)
        assert _banner(screen), "the banner stays until the connection is back"
        # The server comes back (new port) with one more message.
        private_dovecot.start()
        proxy.set_upstream(private_dovecot.port)
        _seed(private_dovecot, user, 1, start=13)
        await settle(pilot, lambda: screen.stale_reason is None and screen.model.total == 13,
                     timeout=40)
        assert sorted(screen.model.uids) == list(range(1, 14))
        assert not screen.message_list.has_class("-stale") and _banner(screen) == ""


async def test_an_open_circuit_is_explained_and_a_failed_archive_loses_nothing(
        dovecot, imap_user, fault_proxy, raw_imap):
    _seed(dovecot, imap_user, 3)
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, timeout=1.0, max_retries=0,
                          circuit_failure_threshold=2, circuit_recovery_timeout=30.0)
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _loaded(pilot, 3)
        proxy.refuse(True)
        proxy.reset_all()
        for _ in range(2):  # two failed archives open the circuit
            await pilot.press("a")
            await settle(pilot)
        await settle(pilot, lambda: app.client.get_metrics().circuit_state == "open")
        await settle(pilot, lambda: "circuit open" in _banner(screen))
        assert "next try in" in _banner(screen)
        await pilot.press("a")  # fails at once, and the row comes back
        await settle(pilot)
        assert screen.model.total == 3
    raw = raw_imap(imap_user)
    raw.select_folder("INBOX", readonly=True)
    assert len(raw.search("ALL")) == 3  # every message still exactly where it was


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_quits_within_two_seconds_and_logs_out(dovecot, imap_user, tmp_path,
                                                        signal_number):
    _seed(dovecot, imap_user, 5)
    env = {**os.environ, "SAGE_TUI_PASSWORD": imap_user.password, "TERM": "xterm-256color",
           "SAGE_TUI_CONFIG_DIR": str(tmp_path), "COLUMNS": "140", "LINES": "40"}
    before = dovecot.log_text().count(f"imap({imap_user.name})")
    pid, fd = run_in_pty(["sage-tui", "--host", dovecot.host, "--port", str(dovecot.port),
                           "--user", imap_user.name, "--tls", "none"], env)
    try:
        assert b"message 5" in read_until(fd, b"message 5", 30)
        time.sleep(0.5)
        started = time.monotonic()
        os.kill(pid, signal_number)
        status = None
        while time.monotonic() - started < 5:
            read_until(fd, b"\x00", 0.05)  # keep the terminal drained
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        took = time.monotonic() - started
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    assert status is not None and os.waitstatus_to_exitcode(status) == 0
    assert took < 2.0, f"took {took:.2f} s to quit"
    # Every connection of the session said LOGOUT ("Logged out"), none was merely dropped.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in dovecot.log_text().splitlines()
                 if f"imap({imap_user.name})" in line][before:]
        if lines and all("Logged out" in line for line in lines if "Disconnected" in line
                         or "Logged out" in line):
            break
        time.sleep(0.1)
    ended = [line for line in lines if "Disconnected" in line or "Logged out" in line]
    assert ended and all("Logged out" in line for line in ended), "\n".join(ended)


def test_the_engine_pool_closes_in_bounded_time_with_a_stalled_server(
        dovecot, imap_user, fault_proxy):
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, timeout=10.0,
                          max_connections=3)
    client = IMAPClient(config)
    client.connect()
    proxy.stall(True)
    pool = client.pool
    started = time.monotonic()
    pool.close(timeout=0.5, abort_busy=True)
    assert time.monotonic() - started < 1.5


def test_quitting_ends_a_connection_still_waiting_for_its_greeting(
        dovecot, imap_user, fault_proxy):
    """The server accepts the connection and says nothing (a stalled proxy): the thread
    opening it is woken when the app quits, and the pool does not try again, instead of the
    thread waiting out its 10 s timeout and then retrying with a closed pool."""
    proxy = fault_proxy()
    proxy.stall(True)
    config = plain_config(dovecot.host, proxy.port, imap_user, timeout=10.0, max_retries=3,
                          retry_delay=1.0)
    first = FirstPage.start(config, "INBOX")  # as sage-tui starts: it blocks on the greeting
    time.sleep(0.3)
    pool = IMAPClient(config).pool  # the one the thread is opening a connection in
    started = time.monotonic()
    pool.close(timeout=0.5, abort_busy=True)
    result = first.take("INBOX")
    waited = time.monotonic() - started
    assert result is not None and isinstance(result.error, IMAPConnectionError)
    assert waited < 5.0, f"the opening connection was left to time out ({waited:.1f} s)"
    assert pool.snapshot().retries == 0
