"""The header cache follows what the app itself changes on the server: flags (``r``, ``f``,
opening a message, and toggling back) and messages moved away (``a``, ``d``, and an undo that
takes them out of the folder they went to), without advancing the cached sync state, only under
the UIDVALIDITY the action ran under, and never with ``--no-cache``.

The app is driven with Pilot against Dovecot; the cache file is read as a second instance
would read it, and compared with a fresh listing of the server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sage_tui.cache import CachedFolder, HeaderCache
from sage_tui.cache.codec import stored_flags
from sage_tui.folder_loading import cache_account
from sage_tui.imap import IMAPClient, IMAPMailboxService
from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.imap.search import IMAPSearchCriteria
from sage_tui.locations import cache_dir
from sage_tui.messages import FolderPageLoaded, FolderResynced
from tests.support.app import main_screen, make_app, settle, until
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

SEEN = "\\Seen"
FLAGGED = "\\Flagged"


def seed(dovecot, user, subjects: list[str], folder: str = "INBOX") -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, folder,
                [make_message(i, subject=s) for i, s in enumerate(subjects, 1)])


def cached(config, folder: str = "INBOX") -> CachedFolder:
    found = HeaderCache.at_default_location().load(cache_account(config), folder)
    assert found is not None, f"{folder} is not cached"
    return found


def flags_by_subject(rows: list[MessageSummary]) -> dict[str, frozenset[str]]:
    return {row.subject: stored_flags(row.flags) for row in rows}


def server_rows(dovecot, user, folder: str = "INBOX") -> list[MessageSummary]:
    """A fresh full listing, flags as the cache keeps them (no \\Recent)."""
    with IMAPClient(plain_config(dovecot.host, dovecot.port, user)) as client:
        service = IMAPMailboxService(client)
        service.select(folder, readonly=True)
        return [replace(row, flags=stored_flags(row.flags))
                for row in service.fetch(service.search(fresh=True))]


def point_at(screen, subject: str) -> None:
    """Put the list's cursor on the row with ``subject`` (a view key in a search view)."""
    model = screen.model
    index = next(i for i in range(len(model)) if model.row_at(i).subject == subject)
    model.move_cursor(index)
    screen.message_list.rows_changed()


async def opened(pilot):
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders)
                 and not screen.showing_cached)
    return screen


async def test_flags_and_moves_reach_the_cache_and_the_next_start_shows_them_at_once(
        dovecot, imap_user, fault_proxy):
    seed(dovecot, imap_user, [f"message {i}" for i in range(1, 7)])
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user)
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        before = cached(config)
        assert [row.uid for row in before.rows] == [1, 2, 3, 4, 5, 6]
        await pilot.press("r")                   # message 6 read
        await pilot.press("j", "f")              # message 5 flagged
        await pilot.press("j", "enter")          # message 4 opened: marked read
        await settle(pilot, lambda: screen.reader.message is not None)
        await pilot.press("j", "a")              # message 3 archived
        await settle(pilot)
        point_at(screen, "message 2")
        await pilot.press("d")                   # message 2 to Trash
        await settle(pilot)
        assert len(screen.undo_stack) == 2       # both moves reached the server
    after = cached(config)
    assert after.state == before.state           # UIDNEXT, HIGHESTMODSEQ, listing: as they were
    assert flags_by_subject(after.rows) == {
        "message 1": frozenset(), "message 4": {SEEN}, "message 5": {FLAGGED},
        "message 6": {SEEN}}
    assert after.rows == server_rows(dovecot, imap_user)  # what a fresh listing gives

    # The next start shows the changes from the cache before the server says anything...
    proxy.stall(True)
    seen: list[object] = []
    app = make_app(config)
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.showing_cached and screen.model.total == 4)
        shown = [screen.model.get(uid) for uid in screen.model.uids]
        assert flags_by_subject(shown) == flags_by_subject(after.rows)
        proxy.stall(False)
        await settle(pilot, lambda: screen.loaded and not screen.showing_cached)
        assert flags_by_subject([screen.model.get(uid) for uid in screen.model.uids]
                                ) == flags_by_subject(after.rows)
    # ...and its resync, which came after, has nothing to correct.
    messages = list({id(m): m for m in seen}.values())
    pages = [i for i, m in enumerate(messages) if isinstance(m, FolderPageLoaded) and m.cached]
    resyncs = [i for i, m in enumerate(messages) if isinstance(m, FolderResynced)]
    assert len(pages) == 1 and len(resyncs) == 1 and pages[0] < resyncs[0]
    resynced = messages[resyncs[0]]
    # The server's HIGHESTMODSEQ moved on (the app's own changes), so the resync did ask what
    # changed since the cached state: the answer was already in the cache.
    assert resynced.info.highestmodseq > after.state.highestmodseq
    assert (resynced.added, resynced.flags, resynced.removed) == ([], {}, frozenset())


async def test_toggling_back_and_undoing_a_move_are_written_too(dovecot, imap_user):
    seed(dovecot, imap_user, ["first", "second", "third"])
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        state = cached(config).state
        await pilot.press("r", "f")
        await settle(pilot)
        assert flags_by_subject(cached(config).rows)["third"] == {SEEN, FLAGGED}
        await pilot.press("r")                   # the flag change taken back
        await settle(pilot)
        assert flags_by_subject(cached(config).rows)["third"] == {FLAGGED}
        await pilot.press("f")
        await settle(pilot)
        assert flags_by_subject(cached(config).rows)["third"] == frozenset()

        # Archived, then seen in the Archive (which caches it there), then undone from INBOX:
        # the message leaves the Archive's cached rows too.
        await pilot.press("a")
        await settle(pilot)
        assert [row.subject for row in cached(config).rows] == ["first", "second"]
        screen.open_folder("Archive")
        await opened(pilot)
        assert [row.subject for row in cached(config, "Archive").rows] == ["third"]
        archive_state = cached(config, "Archive").state
        screen.open_folder("INBOX")
        await opened(pilot)
        await pilot.press("u")
        await settle(pilot, lambda: screen.model.total == 3)
    assert cached(config, "Archive").rows == []
    assert cached(config, "Archive").state == archive_state
    inbox = cached(config)
    # Back home under a new UID: that is the next resync's to bring (UIDNEXT is unchanged).
    assert [row.subject for row in inbox.rows] == ["first", "second"]
    assert inbox.state.uidnext == state.uidnext and inbox.state.uidnext == 4


async def test_no_cache_writes_nothing(dovecot, imap_user, raw_imap):
    seed(dovecot, imap_user, ["first", "second", "third"])
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        await opened(pilot)
    path = cache_dir() / "headers.sqlite3"
    before, stamp = cached(config), path.stat().st_mtime_ns

    app = make_app(config)
    app.open_header_cache(False)  # what --no-cache does
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("r", "f", "j", "a")
        await settle(pilot)
        assert screen.undo_stack and app.header_cache is None
    raw = raw_imap(imap_user)
    raw.select_folder("INBOX", readonly=True)
    assert {b"\\Seen", b"\\Flagged"} <= set(raw.get_flags([3])[3])  # the server changed
    assert raw.search("ALL") == [1, 3]
    assert cached(config) == before and path.stat().st_mtime_ns == stamp


async def test_rows_listed_under_another_uidvalidity_are_never_written(dovecot, imap_user,
                                                                       raw_imap):
    seed(dovecot, imap_user, ["work 1", "work 2", "work 3"], folder="Work")
    seed(dovecot, imap_user, ["renewed in inbox"])
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = make_app(config, folder="Work")
    async with app.run_test(size=(140, 40)) as pilot:
        await opened(pilot)
    old = cached(config, "Work")

    # Another client deletes the folder and makes it anew: the same UIDs, other messages.
    raw = raw_imap(imap_user)
    raw.delete_folder("Work")
    raw.create_folder("Work")
    for i in (1, 2, 3):
        raw.append("Work", make_message(i, subject=f"renewed {i}"))
    validity = raw.folder_status("Work", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    assert validity != old.state.uidvalidity

    # A search over all folders lists Work under its new UIDVALIDITY (the cache is not asked
    # there); the cache still holds the old rows, which must stay as they were.
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        screen.run_search_everywhere(IMAPSearchCriteria().subject("renewed"))
        await settle(pilot, lambda: screen.loaded and screen.model.total == 4)
        for subject in ("renewed in inbox", "renewed 1"):
            point_at(screen, subject)
            await pilot.press("f")
            await settle(pilot)
        point_at(screen, "renewed 3")
        await pilot.press("a")
        await settle(pilot, lambda: len(screen.undo_stack) == 1)
    raw.select_folder("Work", readonly=True)
    assert raw.search("FLAGGED") == [1] and raw.search("ALL") == [1, 2]  # the server changed
    assert cached(config, "Work") == old
    # INBOX, cached under the UIDVALIDITY the search saw, did follow.
    assert flags_by_subject(cached(config).rows) == {"renewed in inbox": {FLAGGED}}


# -- the store on its own ------------------------------------------------------------------------


def row(uid: int, flags: frozenset[str] = frozenset()) -> MessageSummary:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    return MessageSummary(uid=uid, subject=f"m{uid}", from_=(), date=when, internaldate=when,
                          flags=flags, size=100, has_attachments=False, message_id=f"<{uid}@t>")


def stored(path: Path, rows: list[MessageSummary], validity: int = 7) -> HeaderCache:
    cache = HeaderCache(path)
    info = SelectInfo("INBOX", len(rows), validity, 300, 50, readonly=True)
    listing = cache.start_listing("acct", "INBOX", info)
    assert listing is not None and listing.finish(rows)
    return cache


def test_follow_edits_flags_and_drops_rows_leaving_the_state(tmp_path):
    cache = stored(tmp_path / "c.sqlite3", [row(1, frozenset({"$Label", SEEN})), row(2),
                                            row(300)])
    base = cache.folder_state("acct", "INBOX")
    assert base is not None
    assert cache.follow("acct", "INBOX", base, 7, flagged=[1, 2, 999], add=[FLAGGED],
                        remove=[SEEN])
    assert cache.follow("acct", "INBOX", base, 7, removed=[300, 999])
    folder = cache.load("acct", "INBOX")
    assert folder.state == base  # not advanced
    assert {r.uid: r.flags for r in folder.rows} == {1: {"$Label", FLAGGED}, 2: {FLAGGED}}
    assert cache.stats("acct").rows == 2


def test_follow_writes_nothing_under_another_uidvalidity_or_after_a_newer_state(tmp_path):
    cache = stored(tmp_path / "c.sqlite3", [row(1), row(2)])
    base = cache.folder_state("acct", "INBOX")
    assert not cache.follow("acct", "INBOX", base, 8, removed=[1], flagged=[2], add=[SEEN])
    # A resync stored after the state was noted: it may know later changes, so it wins.
    newer = SelectInfo("INBOX", 2, 7, 300, 51, readonly=True)
    assert cache.apply("acct", "INBOX", base, newer)
    assert not cache.follow("acct", "INBOX", base, 7, removed=[1], flagged=[2], add=[SEEN])
    folder = cache.load("acct", "INBOX")
    assert [(r.uid, r.flags) for r in folder.rows] == [(1, frozenset()), (2, frozenset())]
    # The folder relisted under another UIDVALIDITY: the old note writes nothing either.
    stored(tmp_path / "c.sqlite3", [row(1), row(2)], validity=9)
    assert not cache.follow("acct", "INBOX", base, 7, removed=[1])
    assert [r.uid for r in cache.load("acct", "INBOX").rows] == [1, 2]


def test_follow_during_a_first_listing_outlasts_its_finish(tmp_path):
    """A message archived while its folder is still being listed for the first time."""
    cache = HeaderCache(tmp_path / "c.sqlite3")
    listing = cache.start_listing("acct", "INBOX", SelectInfo("INBOX", 3, 7, 4, 50,
                                                               readonly=True))
    assert listing is not None and listing.add([row(3), row(2)])  # the newest page
    base = cache.folder_state("acct", "INBOX")  # noted as the archive starts
    assert cache.load("acct", "INBOX") is None  # not complete: never shown
    assert listing.finish([row(1)])  # the older rows, while the server moves the message
    assert cache.follow("acct", "INBOX", base, 7, removed=[3], flagged=[2], add=[SEEN])
    folder = cache.load("acct", "INBOX")
    assert [(r.uid, r.flags) for r in folder.rows] == [(1, frozenset()), (2, {SEEN})]
    assert folder.state == base and cache.stats("acct").rows == 2
