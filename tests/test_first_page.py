"""The first page fetched while the app loads (``sage_tui.first_page``), against Dovecot.

The engine side: the thread's page, folder names and events, and its connection left in the
pool. The app side: that page is on screen before any worker has run, the rest of the folder
follows without duplicates, it goes on top of older cached rows, and its failure is reported
like any failed open.
"""

from __future__ import annotations

from dataclasses import replace

from sage_tui.account import Account
from sage_tui.app import SageApp
from sage_tui.cache import HeaderCache
from sage_tui.first_page import PAGE_SIZE, FirstPage
from sage_tui.folder_loading import cache_account
from sage_tui.imap import IMAPAuthenticationError, IMAPClient
from sage_tui.imap.metrics import EventKind
from sage_tui.widgets.account_bar import AccountBar
from tests.support.app import main_screen, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def seed(dovecot, user, count: int) -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(count)])


def app_with(config, first: FirstPage) -> SageApp:
    return SageApp(Account(config, config.display_name), watch=False, first_page=first)


def test_the_page_names_and_events_arrive_and_the_connection_stays_pooled(dovecot, imap_user):
    seed(dovecot, imap_user, 130)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    first = FirstPage.start(config, "INBOX")

    assert first.take("Archive") is None, "only the folder it was started for"
    result = first.take("INBOX")
    assert result is not None and result.error is None and result.info is not None
    assert result.info.exists == 130
    assert [row.subject for row in result.rows] == [f"message {i}"
                                                    for i in range(129, 129 - PAGE_SIZE, -1)]
    assert "INBOX" in [folder.name for folder in result.folders or ()]
    assert first.take("INBOX") is None, "taken once"

    stats = IMAPClient(config).get_metrics()
    assert stats.successful_connections == 1 and stats.pool_idle == 1

    events = []
    first.events.deliver_to(events.append)  # held since the thread connected
    assert [event.kind for event in events][:1] == [EventKind.CONNECT]
    client = IMAPClient(config)
    with client.pool.connection():  # the pooled one is busy: a second one opens
        client.run("a second connection", lambda conn: None)
    assert [event.kind for event in events] == [EventKind.CONNECT] * 2, "forwarded as it came"
    first.unsubscribe()


def test_a_wrong_password_is_kept_as_the_error(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user, password="wrong")
    result = FirstPage.start(config, "INBOX").take("INBOX")
    assert result is not None and result.info is None and not result.rows
    assert isinstance(result.error, IMAPAuthenticationError)
    assert "wrong" not in str(result.error)


async def test_the_app_shows_the_page_before_any_worker_ran_then_the_rest(dovecot, imap_user):
    seed(dovecot, imap_user, 250)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    first = FirstPage.start(config, "INBOX")
    first.folder_names()  # the thread is done, as when the app took longer to import
    app = app_with(config, first)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        # Mounted, and not one worker finished yet: the rows are the thread's.
        assert screen.model.total == PAGE_SIZE
        assert screen.model.row_at(0).subject == "message 249"
        assert "INBOX" in [folder.name for folder in screen.folder_tree.folders]
        await pilot.pause()
        assert app.screen.query_one(AccountBar).state == "connected"  # its CONNECT, replayed
        await settle(pilot, lambda: screen.loaded)
        assert screen.model.total == 250
        assert sorted(screen.model.uids) == list(range(1, 251)), "no row twice"
        assert all(folder.messages is not None for folder in screen.folder_tree.folders
                   if folder.selectable), "the counts came after the first frame"
    cached = HeaderCache.at_default_location().load(cache_account(config), "INBOX")
    assert cached is not None and len(cached.rows) == 250


async def test_the_page_goes_on_top_of_older_cached_rows(dovecot, imap_user, raw_imap):
    seed(dovecot, imap_user, 60)
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = app_with(config, FirstPage.start(config, "INBOX"))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda: main_screen(app).loaded)  # fills the cache
    other = raw_imap(imap_user)
    other.select_folder("INBOX")
    other.append("INBOX", make_message(500, subject="arrived since"))
    other.add_flags([60], ["\\Flagged"])

    first = FirstPage.start(config, "INBOX")
    first.folder_names()
    app = app_with(config, first)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        assert screen.model.row_at(0).subject == "arrived since"
        await settle(pilot, lambda: screen.loaded and not screen.showing_cached)
        assert screen.model.total == 61
        assert screen.model.row_at(0).subject == "arrived since", "still there after the cache"
        assert "\\Flagged" in screen.model.get(60).flags
        assert sorted(screen.model.uids) == list(range(1, 62))


async def test_a_failed_start_up_page_is_reported_like_a_failed_open(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    wrong = replace(config, password="wrong")
    app = app_with(wrong, FirstPage.start(wrong, "INBOX"))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        banner = str(screen.query_one("#banner").render())
        assert "Authentication failed" in banner and "Traceback" not in banner
        assert screen.model.total == 0
