"""The header cache through the app: a second start shows the cached rows at once, then the
server's state; ``--no-cache``; "Clear cache" in the command palette; a damaged cache file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from sage_tui.cache import HeaderCache
from sage_tui.cache.codec import stored_flags
from sage_tui.folder_loading import cache_account
from sage_tui.imap import IMAPClient, IMAPMailboxService
from sage_tui.locations import cache_dir
from sage_tui.messages import CacheNoticed, FolderPageLoaded
from tests.support.app import main_screen, make_app, settle, until
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def seed(dovecot, user, count: int) -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i) for i in range(count)])


def server_rows(config) -> list:
    """A fresh full listing by the engine, flags as the cache keeps them (no \\Recent)."""
    with IMAPClient(config) as client:
        service = IMAPMailboxService(client)
        service.select("INBOX", readonly=True)
        return [replace(row, flags=stored_flags(row.flags))
                for row in service.fetch(service.search(fresh=True))]


def title(screen) -> str:
    return str(screen.query_one("#list-title").render())


async def open_and_quit(config) -> None:
    app = make_app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)


async def test_second_start_shows_cached_rows_then_the_server_state(dovecot, imap_user, raw_imap,
                                                                    fault_proxy):
    seed(dovecot, imap_user, 40)
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user)
    await open_and_quit(config)
    cached = HeaderCache.at_default_location().load(cache_account(config), "INBOX")
    assert cached is not None and len(cached.rows) == 40

    # Meanwhile, another client: new mail, expunges, flags.
    other = raw_imap(imap_user)
    other.select_folder("INBOX")
    other.append("INBOX", make_message(100))
    other.append("INBOX", make_message(101), flags=("\\Flagged",))
    other.delete_messages([1, 20, 40])
    other.expunge()
    other.add_flags([5, 6], ["\\Seen"])
    other.add_flags([7], ["\\Flagged"])

    # The server is held back: what the second start shows first is the cache alone.
    proxy.stall(True)
    seen: list[object] = []
    app = make_app(config)
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.showing_cached and screen.model.total == 40)
        assert "from cache" in title(screen)
        assert screen.model.uids[0] == 40  # newest first, as always
        assert not screen.loaded
        proxy.stall(False)
        await settle(pilot, lambda: screen.loaded and not screen.showing_cached)
        expected = server_rows(plain_config(dovecot.host, dovecot.port, imap_user))
        uids = screen.model.uids
        assert len(uids) == len(set(uids)) == 39  # nothing duplicated
        assert sorted(uids) == [row.uid for row in expected]  # nothing lost, nothing stale
        shown = sorted((screen.model.get(uid) for uid in uids), key=lambda row: row.uid)
        assert [replace(row, flags=stored_flags(row.flags)) for row in shown] == expected
        assert "from cache" not in title(screen) and "39 messages" in title(screen)
    # (the hook sees a message once per node it reaches: the screen, then the app)
    cached_pages = {id(m): m for m in seen if isinstance(m, FolderPageLoaded) and m.cached}
    assert [len(page.rows) for page in cached_pages.values()] == [40]
    # ...and the cache now holds the server's state for the next start.
    again = HeaderCache.at_default_location().load(cache_account(config), "INBOX")
    assert again.rows == expected


async def test_a_changed_uidvalidity_replaces_the_cached_rows(dovecot, imap_user):
    seed(dovecot, imap_user, 5)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    await open_and_quit(config)
    old = HeaderCache.at_default_location().load(cache_account(config), "INBOX")
    dovecot.set_uidvalidity(imap_user.name, "INBOX", old.state.uidvalidity + 7)
    app = make_app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert screen.info.uidvalidity == old.state.uidvalidity + 7
        assert sorted(screen.model.uids) == [1, 2, 3, 4, 5] and not screen.showing_cached
    new = HeaderCache.at_default_location().load(cache_account(config), "INBOX")
    assert new.state.uidvalidity == old.state.uidvalidity + 7


async def test_no_cache_lists_from_the_server_and_writes_nothing(dovecot, imap_user):
    seed(dovecot, imap_user, 12)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config)
    app.open_header_cache(False)  # what SageApp(cache=False) (--no-cache) does
    async with app.run_test(size=(120, 36)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert screen.model.total == 12 and app.header_cache is None
    assert not (cache_dir() / "headers.sqlite3").exists()


async def test_clear_cache_from_the_command_palette(dovecot, imap_user):
    seed(dovecot, imap_user, 8)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert app.header_cache.stats().rows == 8
        await pilot.press("ctrl+p")
        await pilot.press(*"clear cache")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, lambda: app.header_cache.stats().folders == 0)
        assert app.header_cache.load(cache_account(config), "INBOX") is None
        assert screen.model.total == 8  # the list on screen stays as it is


async def test_a_damaged_cache_file_is_set_aside_with_one_notice(dovecot, imap_user):
    seed(dovecot, imap_user, 6)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    path = cache_dir() / "headers.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage, not SQLite" * 500)
    seen: list[object] = []
    app = make_app(config)
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert screen.model.total == 6
        screen.open_folder("INBOX")  # and again: no second notice
        await settle(pilot, lambda: screen.loaded)
    notices = list({id(m): m for m in seen if isinstance(m, CacheNoticed)}.values())
    assert len(notices) == 1 and "set aside" in notices[0].words
    assert len(list(path.parent.glob("headers.sqlite3.corrupt-*"))) >= 1
    assert len(HeaderCache(path).load(cache_account(config), "INBOX").rows) == 6  # rebuilt


# -- the console script ------------------------------------------------------------------------


def run_in_tmux(args: list[str], env: dict[str, str], ready: str, timeout: float = 30,
                then: Callable[[], bool] = lambda: True) -> str:
    """Run ``sage-tui`` in a private tmux server until ``ready`` shows and ``then()`` holds
    (polled), then press q."""
    tmux = ["tmux", "-L", f"sage-cache-{os.getpid()}"]
    command = " ".join([sys.executable, "-m", "sage_tui", *args])
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "-x", "120", "-y", "30", command],
                   check=True, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            screen = subprocess.run([*tmux, "capture-pane", "-t", "t", "-p"], text=True,
                                    capture_output=True).stdout
            if ready in screen and then():
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"sage-tui did not show {ready!r}:\n{screen}")
            time.sleep(0.1)
        subprocess.run([*tmux, "send-keys", "-t", "t", "q"], check=True)
        while subprocess.run([*tmux, "has-session", "-t", "t"],
                             capture_output=True).returncode == 0:
            if time.monotonic() > deadline + 10:
                raise AssertionError("sage-tui did not quit")
            time.sleep(0.1)
        return screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux to give sage-tui a terminal")
def test_the_no_cache_flag(dovecot, imap_user):
    """A run writes the cache in the background (the test waits for it: "3 messages" shows
    before that); a ``--no-cache`` run kept open three times as long writes nothing."""
    seed(dovecot, imap_user, 3)
    env = {**os.environ, "SAGE_TUI_PASSWORD": imap_user.password}
    args = ["--host", dovecot.host, "--port", str(dovecot.port), "--user", imap_user.name,
            "--tls", "none"]
    path = cache_dir() / "headers.sqlite3"
    account = cache_account(plain_config(dovecot.host, dovecot.port, imap_user))

    def cached_rows() -> int:
        folder = HeaderCache(path).load(account, "INBOX") if path.exists() else None
        return len(folder.rows) if folder is not None else 0

    started = time.monotonic()
    run_in_tmux(args, env, "3 messages", then=lambda: cached_rows() == 3)
    needed = time.monotonic() - started
    for leftover in cache_dir().iterdir():
        leftover.unlink()
    started = time.monotonic()
    run_in_tmux([*args, "--no-cache"], env, "3 messages",
                then=lambda: time.monotonic() - started > max(3 * needed, 2.0))
    assert not path.exists()
