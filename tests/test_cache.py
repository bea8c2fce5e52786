"""The header cache: its file (keys, versions, damage, crashes, a second instance, bounds) and
its resync against a real Dovecot, checked against a fresh full listing every time."""

from __future__ import annotations

import inspect
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sage_tui.cache import FolderDelta, HeaderCache, apply_delta, resync, store_delta
from sage_tui.cache.codec import stored_flags
from sage_tui.cache.store import FILE_NAME, SCHEMA_VERSION
from sage_tui.demo import DemoServer
from sage_tui.demo.mailbox import generate_mailbox
from sage_tui.imap import IMAPClient, IMAPMailboxService
from sage_tui.imap.config import ConnectionConfig
from sage_tui.imap.errors import IMAPCapabilityError
from sage_tui.imap.models import Address, MessageSummary, SelectInfo
from sage_tui.locations import cache_dir
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "alice@imap.test:993"


def summary(uid: int, **fields: object) -> MessageSummary:
    values: dict[str, object] = {
        "subject": f"Message {uid}",
        "from_": (Address("Ana Lima", "ana@example.org"),),
        "to": (Address("", "me@example.org"),),
        "date": datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=uid % 10_000),
        "internaldate": datetime(2024, 5, 1, 2, tzinfo=timezone(timedelta(hours=2)))
        + timedelta(hours=uid % 10_000),
        "flags": frozenset({"\\Seen"}) if uid % 2 else frozenset(),
        "size": 1000 + uid,
        "has_attachments": uid % 3 == 0,
        "message_id": f"<m{uid}@test>",
    }
    values.update(fields)
    return MessageSummary(uid=uid, **values)  # type: ignore[arg-type]


def info(exists: int = 0, uidvalidity: int = 7, uidnext: int = 100, modseq: int | None = 50,
         name: str = "INBOX") -> SelectInfo:
    return SelectInfo(name, exists, uidvalidity, uidnext, modseq, readonly=True)


def store(cache: HeaderCache, rows: list[MessageSummary], folder: str = "INBOX",
          account: str = ACCOUNT, **state: object) -> None:
    listing = cache.start_listing(account, folder, info(len(rows), name=folder, **state))
    assert listing is not None
    assert listing.finish(rows)


@pytest.fixture
def cache(tmp_path) -> HeaderCache:
    return HeaderCache(tmp_path / FILE_NAME)


# -- the file --------------------------------------------------------------------------------


def test_the_cache_lives_in_the_cache_dir_which_tests_point_elsewhere():
    assert os.environ["SAGE_TUI_CACHE_DIR"] == str(cache_dir())
    assert HeaderCache.at_default_location().path == cache_dir() / FILE_NAME


def test_rows_come_back_exactly_as_stored(cache):
    hostile = "[bold red]x[/] \x1b[31mred\x00 \u202e" + "long " * 200
    rows = [
        summary(1),
        summary(2, subject=hostile, from_=(Address(hostile, "evil@example.org"),),
                cc=(Address("Zoë", "zoe@example.fr"), Address("", "x@example.org")),
                references=("<a@x>", "<b@x>"), in_reply_to="<b@x>"),
        summary(3, subject=None, from_=(), to=(), date=None, internaldate=None, size=None,
                has_attachments=None, message_id=None, flags=frozenset({"$Label1", "\\Flagged"})),
        summary(4, date=datetime(2024, 1, 1, 12, 0)),  # a naive date ("-0000" zone) stays naive
        summary(5, subject="山田太郎 \ud800 lone surrogate",
                flags=frozenset({"\\Seen", "\\Recent"})),
    ]
    store(cache, rows)
    cached = cache.load(ACCOUNT, "INBOX")
    assert cached is not None
    # \Recent belongs to one server session: never cached.
    assert cached.rows == [*rows[:4], replace(rows[4], flags=frozenset({"\\Seen"}))]
    assert cached.rows[3].date.tzinfo is None
    assert (cached.state.uidvalidity, cached.state.uidnext, cached.state.highestmodseq) == (
        7, 100, 50)
    assert cached.select_info() == SelectInfo("INBOX", 5, 7, 100, 50, readonly=True)


def test_without_the_fast_build_rows_come_back_the_same(cache, monkeypatch):
    """If ``MessageSummary`` changes shape, decoding falls back to the constructor."""
    from sage_tui.cache import codec

    rows = [summary(1), summary(2, cc=(Address("", "c@x"),), references=("<r@x>",))]
    store(cache, rows)
    monkeypatch.setattr(codec, "FAST_BUILD", False)
    assert cache.load(ACCOUNT, "INBOX").rows == rows


def test_rows_are_keyed_by_account_folder_and_uidvalidity(cache):
    store(cache, [summary(1, subject="alice inbox")])
    store(cache, [summary(1, subject="bob inbox")], account="bob@imap.test:993")
    store(cache, [summary(1, subject="alice archive")], folder="Archive")
    assert cache.load(ACCOUNT, "INBOX").rows[0].subject == "alice inbox"
    assert cache.load("bob@imap.test:993", "INBOX").rows[0].subject == "bob inbox"
    assert cache.load(ACCOUNT, "Archive").rows[0].subject == "alice archive"
    assert cache.load(ACCOUNT, "Sent") is None

    # A new UIDVALIDITY means UID 1 is another message: the old rows are gone, never mixed.
    old = cache.load(ACCOUNT, "INBOX")
    store(cache, [summary(2, subject="after the reset")], uidvalidity=8)
    renewed = cache.load(ACCOUNT, "INBOX")
    assert [r.subject for r in renewed.rows] == ["after the reset"]
    assert renewed.state.uidvalidity == 8
    # A resync computed against the old UIDVALIDITY is refused.
    assert not cache.apply(ACCOUNT, "INBOX", old.state, info(uidvalidity=7),
                           rows=[summary(3)])
    assert not cache.apply(ACCOUNT, "INBOX", renewed.state, info(uidvalidity=7),
                           rows=[summary(3)])
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [2]


def test_apply_changes_rows_and_state_together(cache):
    store(cache, [summary(uid) for uid in range(1, 6)])
    before = cache.load(ACCOUNT, "INBOX")
    assert cache.apply(ACCOUNT, "INBOX", before.state, info(uidnext=120, modseq=77),
                       removed=[2, 4], rows=[summary(9)],
                       flags={1: frozenset({"\\Flagged", "\\Recent"})})
    after = cache.load(ACCOUNT, "INBOX")
    assert [r.uid for r in after.rows] == [1, 3, 5, 9]
    assert after.rows[0].flags == frozenset({"\\Flagged"})
    assert (after.state.uidnext, after.state.highestmodseq) == (120, 77)
    assert cache.stats(ACCOUNT).rows == 4


def test_rows_far_apart_in_uid_space(cache):
    """Rows are stored a page of UIDs at a time: gaps, page edges and the largest UID."""
    uids = [1, 255, 256, 257, 1000, 70_000, 70_001, 4_294_967_295]
    listing = cache.start_listing(ACCOUNT, "INBOX", info(len(uids)))
    assert listing.add([summary(uid) for uid in uids[4:]])
    assert listing.finish([summary(uid) for uid in uids[:4]])
    cached = cache.load(ACCOUNT, "INBOX")
    assert cached.rows == [summary(uid) for uid in uids]
    assert cache.apply(ACCOUNT, "INBOX", cached.state, info(),
                       removed=[256, 1000, 70_000, 70_001, 99],
                       rows=[summary(258), summary(70_002, subject="new")],
                       flags={255: frozenset({"\\Flagged"}), 1000: frozenset(), 4_294_967_295:
                              frozenset({"$Later"})})
    after = cache.load(ACCOUNT, "INBOX")
    assert [r.uid for r in after.rows] == [1, 255, 257, 258, 70_002, 4_294_967_295]
    assert after.rows[1].flags == frozenset({"\\Flagged"})
    assert after.rows[-1].flags == frozenset({"$Later"}) and after.rows[4].subject == "new"
    assert cache.stats(ACCOUNT).rows == 6
    with sqlite3.connect(cache.path) as db:  # a page left empty is gone, not kept empty
        pages = [page for (page,) in db.execute("SELECT page FROM pages ORDER BY page")]
    assert pages == [0, 1, 273, 16_777_215]


def test_a_listing_is_used_only_once_finished(cache):
    listing = cache.start_listing(ACCOUNT, "INBOX", info(4))
    assert listing.add([summary(4), summary(3)])
    assert cache.load(ACCOUNT, "INBOX") is None  # half-listed: never shown as the folder
    assert listing.finish([summary(2), summary(1)])
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [1, 2, 3, 4]


def test_a_listing_replaced_meanwhile_stops_writing(cache):
    first = cache.start_listing(ACCOUNT, "INBOX", info(2))
    second = cache.start_listing(ACCOUNT, "INBOX", info(1))  # another instance started over
    assert not first.add([summary(7)])
    assert not first.finish([summary(8)])
    assert second.finish([summary(1)])
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [1]


def test_schema_version_change_rebuilds_instead_of_misreading(tmp_path):
    path = tmp_path / FILE_NAME
    store(HeaderCache(path), [summary(1)])
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")  # a newer sage-tui wrote it
    cache = HeaderCache(path)
    assert cache.load(ACCOUNT, "INBOX") is None
    store(cache, [summary(2)])
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [2]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

    # Same version, other row encoding (a new Python's marshal, a changed model): rebuilt too.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'marshal0:uid' WHERE key = 'codec'")
    assert HeaderCache(path).load(ACCOUNT, "INBOX") is None

    # An old file with other tables of the same names is rebuilt, not read.
    other = tmp_path / "old.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE messages (uid INTEGER, subject TEXT)")
        db.execute("INSERT INTO messages VALUES (1, 'old layout')")
    old = HeaderCache(other)
    assert old.load(ACCOUNT, "INBOX") is None
    store(old, [summary(3)])
    assert [r.uid for r in old.load(ACCOUNT, "INBOX").rows] == [3]


@pytest.mark.parametrize("damage", ["garbage", "torn pages"])
def test_a_damaged_file_is_set_aside_once_with_one_notice(tmp_path, damage):
    path = tmp_path / FILE_NAME
    store(HeaderCache(path), [summary(uid) for uid in range(1, 400)])
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    else:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        with path.open("r+b") as file:  # zero the second half: rows and index pages torn
            file.seek(size // 2)
            file.write(b"\x00" * (size - size // 2))
    notices: list[str] = []
    cache = HeaderCache(path, notice=notices.append)
    for _ in range(5):  # a damaged file must not become a stream of errors
        assert cache.load(ACCOUNT, "INBOX") is None
    aside = [p for p in tmp_path.glob(f"{FILE_NAME}.corrupt-*")
             if not p.name.endswith(("-wal", "-shm"))]  # (its log files go along with it)
    assert len(aside) == 1
    assert len(notices) == 1
    assert aside[0].name in notices[0] and "set aside" in notices[0]
    # The cache works again on a fresh file.
    store(cache, [summary(1)])
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [1]
    assert cache.disabled is None and len(notices) == 1


def test_an_unusable_location_turns_the_cache_off_with_one_notice(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    notices: list[str] = []
    cache = HeaderCache(blocker / FILE_NAME, notice=notices.append)
    assert cache.load(ACCOUNT, "INBOX") is None
    assert cache.start_listing(ACCOUNT, "INBOX", info()) is None
    assert cache.clear().rows == 0
    assert cache.disabled is not None
    assert len(notices) == 1 and "off for this session" in notices[0]


def child_code(path: Path, body: str) -> str:
    """A script for a second process on the same cache file, with this module's row helpers
    (copied as source: importing this test module would cost the child a second)."""
    prelude = textwrap.dedent(f"""
        import os
        from datetime import UTC, datetime, timedelta, timezone
        from sage_tui.cache import HeaderCache
        from sage_tui.imap.models import Address, MessageSummary, SelectInfo
        ACCOUNT = {ACCOUNT!r}
        cache = HeaderCache({str(path)!r})
    """)
    helpers = inspect.getsource(summary) + inspect.getsource(info)
    return "\n".join([prelude, helpers, textwrap.dedent(body)])


def run_child(path: Path, body: str) -> subprocess.CompletedProcess[str]:
    code = child_code(path, body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_a_crash_during_a_resync_leaves_the_previous_complete_state(tmp_path):
    path = tmp_path / FILE_NAME
    cache = HeaderCache(path)
    store(cache, [summary(uid) for uid in range(1, 51)])
    before = cache.load(ACCOUNT, "INBOX")
    # The child dies (no exception handling, no cleanup) with the resync's deletes and inserts
    # written into its open transaction, before the commit.
    done = run_child(path, """
        import sage_tui.cache.store as store
        real_merge = store._merge
        def merge_then_die(*args, **kwargs):
            real_merge(*args, **kwargs)
            os._exit(9)
        store._merge = merge_then_die
        base = cache.load(ACCOUNT, "INBOX").state
        cache.apply(ACCOUNT, "INBOX", base, info(uidnext=200, modseq=99),
                    removed=range(1, 40), rows=[summary(150)], flags={45: frozenset()})
    """)
    assert done.returncode == 9, done.stderr
    after = HeaderCache(path).load(ACCOUNT, "INBOX")
    assert after == before


def test_a_crash_during_a_first_listing_leaves_nothing_half_listed(tmp_path):
    path = tmp_path / FILE_NAME
    done = run_child(path, """
        listing = cache.start_listing(ACCOUNT, "INBOX", info(300))
        for start in range(300, 100, -100):
            listing.add([summary(uid) for uid in range(start - 99, start + 1)])
        os._exit(9)  # killed before the last chunk and the state
    """)
    assert done.returncode == 9, done.stderr
    cache = HeaderCache(path)
    assert cache.load(ACCOUNT, "INBOX") is None
    store(cache, [summary(1)])  # and the next listing replaces the leftovers
    assert [r.uid for r in cache.load(ACCOUNT, "INBOX").rows] == [1]


def test_a_second_instance_neither_blocks_nor_corrupts_the_first(tmp_path):
    path = tmp_path / FILE_NAME
    cache = HeaderCache(path)
    mine = [summary(uid) for uid in range(1, 2001)]
    store(cache, mine)
    # Another sage-tui process keeps relisting its folder, 2,000 rows per transaction.
    child = subprocess.Popen([sys.executable, "-c", child_code(path, """
        rows = [summary(uid) for uid in range(1, 8001)]
        for round in range(3):
            listing = cache.start_listing(ACCOUNT, "Other", info(len(rows), name="Other"))
            assert listing is not None, "the second instance could not start a listing"
            for start in range(0, 6000, 2000):
                assert listing.add(rows[start:start + 2000])
            assert listing.finish(rows[6000:])
        print("child done")
    """)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reads = writes = 0
    errors: list[str] = []
    notices: list[str] = []
    first = HeaderCache(path, notice=notices.append)
    while child.poll() is None:
        cached = first.load(ACCOUNT, "INBOX")  # readers never wait for a writer (WAL)
        if cached is None or cached.rows != mine:
            errors.append("read")
        reads += 1
        state = cached.state if cached else None
        if state and first.apply(ACCOUNT, "INBOX", state, info(modseq=50 + reads)):
            writes += 1
    out, err = child.communicate()
    assert child.returncode == 0 and "child done" in out, err
    assert not errors and not notices and reads > 0 and writes > 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(first.load(ACCOUNT, "Other").rows) == 8000


def test_threads_share_the_cache_safely(cache):
    store(cache, [summary(uid) for uid in range(1, 501)])
    failures: list[BaseException] = []

    def work(folder: str) -> None:
        try:
            for round in range(5):
                store(cache, [summary(uid) for uid in range(1, 201 + round)], folder=folder)
                assert len(cache.load(ACCOUNT, "INBOX").rows) == 500
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"F{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures
    assert [len(cache.load(ACCOUNT, f"F{n}").rows) for n in range(4)] == [204] * 4


def test_eviction_keeps_the_most_recently_opened_folders_within_the_bound(tmp_path):
    now = [1000.0]
    cache = HeaderCache(tmp_path / FILE_NAME, max_folders=3, max_rows=250,
                        clock=lambda: now[0])
    for n, folder in enumerate(["A", "B", "C"]):
        now[0] += 1
        store(cache, [summary(uid) for uid in range(1, 81 + n)], folder=folder)
    assert cache.stats(ACCOUNT).folders == 3
    # A is opened again (resynced), so B is now the least recently opened.
    now[0] += 1
    a = cache.load(ACCOUNT, "A")
    assert cache.apply(ACCOUNT, "A", a.state, info(name="A"))
    now[0] += 1
    store(cache, [summary(uid) for uid in range(1, 11)], folder="D")  # a fourth folder
    assert cache.load(ACCOUNT, "B") is None
    assert {f for f in "ACD" if cache.load(ACCOUNT, f)} == set("ACD")
    # Rows are bounded too: 80 + 82 + 10 + 100 > 250, so the oldest (C) goes.
    now[0] += 1
    store(cache, [summary(uid) for uid in range(1, 101)], folder="E")
    assert cache.load(ACCOUNT, "C") is None
    assert cache.stats(ACCOUNT).rows <= 250 and cache.stats(ACCOUNT).folders <= 3
    # Another account's folders are not counted against this one.
    store(cache, [summary(1)], account="bob@imap.test:993")
    assert cache.load(ACCOUNT, "E") is not None
    # A folder bigger than the whole bound is not cached at all (not in part).
    listing = cache.start_listing(ACCOUNT, "Huge", info(300, name="Huge"))
    assert listing.add([summary(uid) for uid in range(1, 201)])
    assert not listing.add([summary(uid) for uid in range(201, 301)])
    assert cache.load(ACCOUNT, "Huge") is None and cache.stats(ACCOUNT).rows <= 250


def test_clear_empties_the_cache(cache):
    store(cache, [summary(uid) for uid in range(1, 11)])
    store(cache, [summary(1)], account="bob@imap.test:993")
    assert cache.clear().rows == 11
    assert cache.stats().folders == 0 and cache.load(ACCOUNT, "INBOX") is None


def test_the_cache_package_does_not_import_textual():
    code = ("import sys, sage_tui.cache; "
            "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


# -- resync against Dovecot -------------------------------------------------------------------


def fresh_listing(service: IMAPMailboxService, folder: str = "INBOX") -> list[MessageSummary]:
    """What a full listing gives now, flags as the cache keeps them (no \\Recent)."""
    service.select(folder, readonly=True)
    return [replace(row, flags=stored_flags(row.flags))
            for row in service.fetch(service.search(fresh=True))]


def list_into_cache(service: IMAPMailboxService, cache: HeaderCache, folder: str = "INBOX"
                    ) -> None:
    selected = service.reselect(folder)
    listing = cache.start_listing(ACCOUNT, folder, selected)
    assert listing is not None and listing.finish(service.fetch(service.search()))


def resync_and_store(service: IMAPMailboxService, cache: HeaderCache, mode: str,
                     folder: str = "INBOX") -> FolderDelta:
    cached = cache.load(ACCOUNT, folder)
    assert cached is not None
    selected = service.reselect(folder)
    delta = resync(service, cached, selected, condstore=mode != "uids",
                   qresync=mode == "qresync")
    applied = apply_delta(cached.rows, delta)
    assert [replace(r, flags=stored_flags(r.flags)) for r in applied] == fresh_listing(
        service, folder)
    assert store_delta(cache, ACCOUNT, cached, delta)
    assert cache.load(ACCOUNT, folder).rows == fresh_listing(service, folder)
    return delta


@pytest.fixture
def service(dovecot, imap_user):
    with IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user)) as client:
        yield IMAPMailboxService(client)


def seed(dovecot, user, count: int, folder: str = "INBOX") -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, folder,
                [make_message(i) for i in range(count)])


def test_connections_enable_qresync_and_count_vanished_expunges(dovecot, imap_user, service,
                                                                 raw_imap):
    seed(dovecot, imap_user, 6)
    selected = service.select("INBOX", readonly=True)
    assert selected.highestmodseq is not None and selected.exists == 6
    enabled = service.client.run("peeking", lambda conn: conn.enabled)
    assert {"QRESYNC", "CONDSTORE"} <= enabled
    other = raw_imap(imap_user)
    other.select_folder("INBOX")
    other.delete_messages([2, 3, 4])
    other.expunge()
    # With QRESYNC on, Dovecot says "VANISHED 2:4", not three EXPUNGEs: still counted.
    assert service.select("INBOX", readonly=True).exists == 3


@pytest.mark.parametrize("mode", ["qresync", "condstore", "uids"])
def test_resync_equals_a_fresh_listing_after_changes_elsewhere(dovecot, imap_user, service,
                                                               raw_imap, tmp_path, mode):
    seed(dovecot, imap_user, 30)
    cache = HeaderCache(tmp_path / FILE_NAME)
    list_into_cache(service, cache)
    other = raw_imap(imap_user)
    other.select_folder("INBOX")
    other.add_flags([3, 5, 7], ["\\Flagged"])
    other.remove_flags([2], ["\\Seen"])
    other.add_flags([2, 4], ["\\Seen", "$Work"])
    other.delete_messages([1, 10, 30])
    other.expunge()
    for i in (100, 101):
        other.append("INBOX", make_message(i))
    delta = resync_and_store(service, cache, mode)
    assert delta.method == mode
    assert delta.removed == {1, 10, 30}
    assert [row.uid for row in delta.added] == [31, 32]
    assert set(delta.flags) == {2, 3, 4, 5, 7}
    # Nothing changed since: with CONDSTORE the SELECT alone says so.
    again = resync_and_store(service, cache, mode)
    assert again.empty
    assert again.method == ("uids" if mode == "uids" else "unchanged")


@pytest.mark.parametrize("mode", ["qresync", "condstore", "uids"])
def test_property_cache_plus_resync_equals_a_full_fetch(dovecot, imap_user, service, raw_imap,
                                                        tmp_path, mode):
    """Random appends, expunges and flag changes by another client, round after round."""
    seed(dovecot, imap_user, 20)
    cache = HeaderCache(tmp_path / FILE_NAME)
    list_into_cache(service, cache)
    other = raw_imap(imap_user)
    other.select_folder("INBOX")
    rng = random.Random(f"cache-{mode}")
    next_message = 1000
    for _ in range(6):
        for _ in range(rng.randint(1, 6)):
            uids = other.search("ALL")
            action = rng.choice(["append", "expunge", "flag", "unflag", "keyword"])
            chosen = rng.sample(uids, min(len(uids), rng.randint(1, 3))) if uids else []
            if action == "append" or not chosen:
                next_message += 1
                other.append("INBOX", make_message(next_message),
                             flags=rng.choice([(), ("\\Seen",), ("\\Flagged", "\\Seen")]))
            elif action == "expunge":
                other.delete_messages(chosen)
                other.uid_expunge(chosen)
            elif action == "flag":
                other.add_flags(chosen, [rng.choice(["\\Seen", "\\Flagged", "\\Answered"])])
            elif action == "unflag":
                other.remove_flags(chosen, ["\\Seen", "\\Flagged"])
            else:
                other.add_flags(chosen, [f"$K{rng.randint(1, 3)}"])
        resync_and_store(service, cache, mode)


def test_uidvalidity_change_is_not_resynced(dovecot, imap_user, service, tmp_path):
    seed(dovecot, imap_user, 3)
    cache = HeaderCache(tmp_path / FILE_NAME)
    list_into_cache(service, cache)
    cached = cache.load(ACCOUNT, "INBOX")
    dovecot.set_uidvalidity(imap_user.name, "INBOX", cached.state.uidvalidity + 1)
    selected = service.reselect("INBOX")
    with pytest.raises(ValueError, match="UIDVALIDITY"):
        resync(service, cached, selected)
    assert not cache.apply(ACCOUNT, "INBOX", cached.state, selected)
    list_into_cache(service, cache)  # the listing that follows replaces the folder
    assert cache.load(ACCOUNT, "INBOX").state.uidvalidity == selected.uidvalidity


def test_resync_on_a_server_without_condstore(tmp_path):
    """pymap offers no CONDSTORE: the UID difference and a flags refresh, for real."""
    with DemoServer(generate_mailbox(inbox_size=12)) as server:
        config = ConnectionConfig(host=server.host, port=server.port,
                                  username=server.username, password=server.password,
                                  use_ssl=False)
        with IMAPClient(config) as client:
            service = IMAPMailboxService(client)
            cache = HeaderCache(tmp_path / FILE_NAME)
            list_into_cache(service, cache)
            service.select("INBOX")
            uids = service.search()
            service.flag(uids[:2])
            service.expunge(uids[-1:])
            with pytest.raises(IMAPCapabilityError):
                service.changes_since(1)
            delta = resync_and_store(service, cache, "qresync")  # asked for, not available
            assert delta.method == "uids"
            assert delta.removed == {uids[-1]} and set(delta.flags) == set(uids[:2])
            client.pool.close()  # LOGOUT while the server is still there
