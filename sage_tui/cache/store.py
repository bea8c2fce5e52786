"""The header cache: message-list rows per account and folder in one SQLite file.

What it promises, and how:

- **Never misread.** Rows are keyed by account + folder + UIDVALIDITY + UID (stored a page of
  256 UIDs per SQLite row, so that 100,000 rows are a few hundred reads); a folder whose
  UIDVALIDITY changed is discarded. The schema has a version (``PRAGMA user_version``) and the
  record encoding an identity (``codec.CODEC``); a file with another one is rebuilt, not read.
- **Never half-used.** A folder's sync state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) is written in
  the same transaction as the rows it describes. A first listing streams its rows in short
  transactions with the folder marked incomplete, and only the last one marks it complete, so a
  crash or a cancelled listing leaves a folder that is simply not used. A resync's changes and
  its new state are one transaction: a crash leaves the previous complete state.
- **Never in the way.** Every method returns a harmless default instead of raising: a busy file
  skips that write, a damaged one is renamed aside (``<file>.corrupt-<time>``) with one notice and
  started afresh, and an unusable location switches the cache off for the session with one
  notice. Folders then simply load from the server.
- **Shared safely.** WAL mode (readers never wait for the writer), ``BEGIN IMMEDIATE`` for writes,
  a busy timeout, and a fresh connection per operation, so a second running sage-tui neither
  blocks nor corrupts the first. Each write checks that the folder's listing is still the one it
  started from (a random ``listing`` number), so two instances, or a clear, never mix rows.
- **Bounded.** At most ``max_folders`` folders and ``max_rows`` messages per account; the least
  recently opened folders go first. A folder larger than ``max_rows`` is not cached at all.

- **Following the app.** What the app itself changes on the server (flags, messages moved
  away) is written in once the server confirmed it (``follow``), without advancing the sync
  state, so the next start shows it at once and the resync finds nothing to correct.

Writes happen on whatever thread calls (the app calls from its folder-loading and triage
worker threads, never the UI thread); connections are never shared between threads.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.locations import cache_dir

from .codec import Decoder, Record, dump_page, encode, encode_flags, load_page
from .sqlitefile import SCHEMA_VERSION, CacheFile, CorruptCache, read_transaction, write_transaction

log = logging.getLogger(__name__)

__all__ = ["SCHEMA_VERSION", "CacheStats", "CachedFolder", "FolderState", "HeaderCache",
           "Listing"]

FILE_NAME = "headers.sqlite3"
MAX_FOLDERS = 50
"""Folders kept per account (least recently opened go first)."""
MAX_ROWS = 300_000
"""Messages kept per account, about 220 bytes each on disk (so roughly 65 MB at most)."""


@dataclass(frozen=True)
class FolderState:
    """What a cached folder was in sync with, and which listing its rows belong to.

    Attributes:
        folder_id: The folder's row in the cache.
        listing: The listing the rows came from; writes based on another one are dropped.
        uidvalidity: The UIDVALIDITY every cached UID belongs to.
        uidnext: UIDNEXT when the rows were last brought up to date (new mail starts here).
        highestmodseq: HIGHESTMODSEQ then (None without CONDSTORE): changes since it are
            what a resync fetches.
    """

    folder_id: int
    listing: int
    uidvalidity: int
    uidnext: int | None
    highestmodseq: int | None


@dataclass(frozen=True)
class CachedFolder:
    """A folder as the cache last saw it complete: its state and rows, ascending by UID."""

    name: str
    state: FolderState
    rows: list[MessageSummary]

    def select_info(self) -> SelectInfo:
        """What SELECT said when the rows were stored, for showing them before it is re-asked."""
        return SelectInfo(
            name=self.name,
            exists=len(self.rows),
            uidvalidity=self.state.uidvalidity,
            uidnext=self.state.uidnext,
            highestmodseq=self.state.highestmodseq,
            readonly=True,
        )


@dataclass(frozen=True)
class CacheStats:
    folders: int
    rows: int


def _key(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class HeaderCache(CacheFile):
    """Cached folders of every account in one file; safe to use from several threads.

    Args:
        path: The SQLite file (created with its directory on first use).
        max_folders: Folders kept per account.
        max_rows: Messages kept per account.
        notice: Called (from the calling thread) with one sentence when the user should know
            something: the file was damaged and set aside, or the cache is off for this session.
            Each kind is said once.
        clock: Wall-clock seconds, for "least recently opened".
    """

    def __init__(
        self,
        path: Path,
        *,
        max_folders: int = MAX_FOLDERS,
        max_rows: int = MAX_ROWS,
        notice: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(path, notice=notice, clock=clock)
        self.max_folders = max_folders
        self.max_rows = max_rows

    @classmethod
    def at_default_location(cls, **options: object) -> HeaderCache:
        """The cache in the user's cache directory (``SAGE_TUI_CACHE_DIR`` overrides it)."""
        return cls(cache_dir() / FILE_NAME, **options)  # type: ignore[arg-type]

    # -- reading ------------------------------------------------------------------------------

    def load(self, account: str, folder: str) -> CachedFolder | None:
        """The folder's rows and state, or None if it is not cached complete."""

        def read(db: sqlite3.Connection) -> CachedFolder | None:
            with read_transaction(db):  # one snapshot for the state and its rows
                found = db.execute(
                    "SELECT id, listing, uidvalidity, uidnext, highestmodseq, complete "
                    "FROM folders WHERE account = ? AND name = ?",
                    (_key(account), _key(folder)),
                ).fetchone()
                if found is None or not found[5]:
                    return None
                state = FolderState(*found[:5])
                pages = [blob for (blob,) in db.execute(
                    "SELECT records FROM pages WHERE folder = ? AND uidvalidity = ? ORDER BY page",
                    (state.folder_id, state.uidvalidity),
                )]
            try:
                rows = Decoder().pages(pages)
            except ValueError as exc:
                raise CorruptCache(f"{folder}: {exc}") from exc
            return CachedFolder(folder, state, rows)

        return self._run(f"reading {folder}", read, None)

    def stats(self, account: str | None = None) -> CacheStats:
        """How many folders and messages are cached (for one account, or all)."""

        def count(db: sqlite3.Connection) -> CacheStats:
            where, args = ("WHERE account = ?", (_key(account),)) if account else ("", ())
            folders, rows = db.execute(
                f"SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM folders {where}", args
            ).fetchone()
            return CacheStats(folders, rows)

        return self._run("counting", count, CacheStats(0, 0))

    def folder_state(self, account: str, folder: str) -> FolderState | None:
        """The folder's stored state (cached complete or still being listed), without reading
        its rows: what a triage action notes before it changes the server (see ``follow``)."""

        def read(db: sqlite3.Connection) -> FolderState | None:
            found = db.execute(
                "SELECT id, listing, uidvalidity, uidnext, highestmodseq "
                "FROM folders WHERE account = ? AND name = ?",
                (_key(account), _key(folder)),
            ).fetchone()
            return FolderState(*found) if found is not None else None

        return self._run(f"reading the state of {folder}", read, None)

    # -- writing ------------------------------------------------------------------------------

    def start_listing(self, account: str, folder: str, info: SelectInfo) -> Listing | None:
        """Begin storing a full listing of ``folder`` (any earlier one is discarded now).

        Returns None when the cache cannot take it (off, busy); listing goes on regardless.
        """
        listing = secrets.randbits(62)

        def begin(db: sqlite3.Connection) -> Listing:
            with write_transaction(db):
                _delete_folder(db, account, folder)
                # The state goes in now (unused until ``complete``), so that it stays the same
                # for the listing's whole life: ``follow`` can then write during a listing.
                cursor = db.execute(
                    "INSERT INTO folders (account, name, listing, uidvalidity, uidnext, "
                    "highestmodseq, opened) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (_key(account), _key(folder), listing, info.uidvalidity, info.uidnext,
                     info.highestmodseq, self._clock()),
                )
                folder_id = cursor.lastrowid
            assert folder_id is not None
            state = FolderState(folder_id, listing, info.uidvalidity, info.uidnext,
                                info.highestmodseq)
            return Listing(self, account, folder, state)

        return self._run(f"starting to store {folder}", begin, None)

    def apply(
        self,
        account: str,
        folder: str,
        base: FolderState,
        info: SelectInfo,
        *,
        removed: Iterable[int] = (),
        rows: Iterable[MessageSummary] = (),
        flags: Mapping[int, frozenset[str]] | None = None,
    ) -> bool:
        """Bring a cached folder up to ``info`` in one transaction: drop ``removed`` UIDs,
        store ``rows`` (new messages), set changed ``flags``, and record the new state.

        Dropped (False) when the folder's stored listing is no longer ``base``'s: another
        instance relisted it, or the cache was cleared meanwhile.
        """
        if info.uidvalidity != base.uidvalidity:
            return False
        encoded = [encode(row) for row in rows]
        flag_blobs = {uid: encode_flags(f) for uid, f in (flags or {}).items()}
        gone = list(removed)

        def write(db: sqlite3.Connection) -> bool:
            with write_transaction(db):
                if not _still_listing(db, base):
                    return False
                before = db.execute("SELECT rows FROM folders WHERE id = ?",
                                    (base.folder_id,)).fetchone()[0]
                count = before + _merge(db, base, encoded, removed=gone, flags=flag_blobs)
                db.execute(
                    "UPDATE folders SET uidnext = ?, highestmodseq = ?, complete = 1, "
                    "rows = ?, opened = ? WHERE id = ?",
                    (info.uidnext, info.highestmodseq, count, self._clock(), base.folder_id),
                )
            self._evict(db, account, base.folder_id)
            return True

        return self._run(f"updating {folder}", write, False)

    def follow(
        self,
        account: str,
        folder: str,
        base: FolderState,
        uidvalidity: int,
        *,
        removed: Iterable[int] = (),
        flagged: Iterable[int] = (),
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
    ) -> bool:
        """Record a change the app itself made on the server, once the server confirmed it:
        ``removed`` UIDs moved away (archive, delete, move), and on the ``flagged`` UIDs the
        flags ``add`` set and ``remove`` cleared. The folder's sync state stays as it is.

        Not ``apply``: that records a resync, whose SELECT becomes the folder's new state. An
        action has no such state, and must not advance it: UIDNEXT and HIGHESTMODSEQ stay where
        the last listing or resync left them, so the next resync still asks the server for
        everything since then (what other clients did meanwhile included) and finds these rows
        already as the server has them. Flags are changed, not replaced, so the rows keep
        whatever else the cache knows of them.

        Written only where it cannot be wrong (otherwise nothing, and False):

        - ``uidvalidity`` (the UIDVALIDITY the action ran under) is the cached folder's: under
          another one the same UIDs are other messages.
        - The folder's stored state is still ``base``, read (``folder_state``) before the server
          was changed. A resync or listing stored in between may hold what another client did
          after this action; writing over it would leave a row the next resync never corrects,
          whereas leaving it out is safe: ``base`` predates the action, so the next resync asks
          for it. (Without CONDSTORE a resync re-reads every flag anyway.)

        Also False when the cache is off or busy: like every write, this one is only a shortcut.
        """
        if uidvalidity != base.uidvalidity:
            return False
        gone = list(removed)
        edited = list(flagged)
        plus, minus = frozenset(add), frozenset(remove)
        edit = (edited, _flag_edit(plus, minus)) if edited and (plus or minus) else None
        if not gone and edit is None:
            return True

        def write(db: sqlite3.Connection) -> bool:
            with write_transaction(db):
                if not _still_at(db, base):
                    return False
                gained = _merge(db, base, [], removed=gone, edit=edit)
                if gained:
                    db.execute("UPDATE folders SET rows = rows + ? WHERE id = ?",
                               (gained, base.folder_id))
            return True

        return self._run(f"recording changes in {folder}", write, False)

    def forget(self, account: str, folder: str) -> None:
        """Drop one folder (its UIDVALIDITY changed, or it is gone from the server)."""

        def drop(db: sqlite3.Connection) -> None:
            with write_transaction(db):
                _delete_folder(db, account, folder)

        self._run(f"forgetting {folder}", drop, None)

    def clear(self) -> CacheStats:
        """Empty the cache for every account; returns what was in it."""

        def wipe(db: sqlite3.Connection) -> CacheStats:
            with write_transaction(db):
                folders, rows = db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM folders"
                ).fetchone()
                db.execute("DELETE FROM pages")
                db.execute("DELETE FROM folders")
            try:  # give the space back; another instance reading right now may prevent it
                db.execute("VACUUM")
            except sqlite3.OperationalError as exc:
                log.info("header cache not compacted after clearing: %s", exc)
            return CacheStats(folders, rows)

        return self._run("clearing", wipe, CacheStats(0, 0))

    # -- internals ----------------------------------------------------------------------------

    def _evict(self, db: sqlite3.Connection, account: str, keep: int) -> None:
        """Drop the least recently opened folders of ``account`` beyond the bounds."""
        with write_transaction(db):
            folders = db.execute(
                "SELECT id, rows FROM folders WHERE account = ? ORDER BY opened DESC, id DESC",
                (_key(account),),
            ).fetchall()
            total, kept, doomed = 0, 0, []
            for folder_id, rows in folders:
                if folder_id != keep and (kept >= self.max_folders
                                          or total + rows > self.max_rows):
                    doomed.append((folder_id,))
                    continue
                kept += 1
                total += rows
            if doomed:
                db.executemany("DELETE FROM pages WHERE folder = ?", doomed)
                db.executemany("DELETE FROM folders WHERE id = ?", doomed)
                log.info("header cache: evicted %d folder(s) of %s", len(doomed), account)

class Listing:
    """A full listing being stored: rows in short transactions, the state with the last ones.

    Made by ``HeaderCache.start_listing``. Once the listing is replaced (another instance, a
    clear) or grows past the cache's bound, every call returns False and nothing more is written.
    """

    def __init__(self, cache: HeaderCache, account: str, folder: str, state: FolderState) -> None:
        self.cache = cache
        self.account = account
        self.folder = folder
        self.state = state
        self.active = True
        self.count = 0

    def add(self, rows: Iterable[MessageSummary]) -> bool:
        """Store rows (any order); False once the listing is no longer being stored."""
        return self._write([encode(row) for row in rows], finish=False)

    def finish(self, rows: Iterable[MessageSummary] = ()) -> bool:
        """Store the last ``rows`` and mark the folder complete, in one transaction."""
        return self._write([encode(row) for row in rows], finish=True)

    def _write(self, encoded: list[Record], *, finish: bool) -> bool:
        if not self.active:
            return False
        cache, state = self.cache, self.state

        def write(db: sqlite3.Connection) -> bool:
            with write_transaction(db):
                if not _still_listing(db, state):
                    return False
                # The stored count, not self.count: ``follow`` may have removed rows meanwhile.
                count = db.execute("SELECT rows FROM folders WHERE id = ?",
                                   (state.folder_id,)).fetchone()[0] + _merge(db, state, encoded)
                if count > cache.max_rows:  # too big to cache: not at all, not in part
                    db.execute("DELETE FROM pages WHERE folder = ?", (state.folder_id,))
                    db.execute("DELETE FROM folders WHERE id = ?", (state.folder_id,))
                    log.info("header cache: %s has over %d messages; not cached",
                             self.folder, cache.max_rows)
                    return False
                if finish:
                    db.execute(
                        "UPDATE folders SET uidnext = ?, highestmodseq = ?, complete = 1, "
                        "rows = ?, opened = ? WHERE id = ?",
                        (state.uidnext, state.highestmodseq, count, cache._clock(),
                         state.folder_id),
                    )
                else:
                    db.execute("UPDATE folders SET rows = ? WHERE id = ?",
                               (count, state.folder_id))
                self.count = count
            if finish:
                cache._evict(db, self.account, state.folder_id)
            return True

        stored = cache._run(f"storing {self.folder}", write, False)
        self.active = stored and not finish
        return stored


def _still_listing(db: sqlite3.Connection, state: FolderState) -> bool:
    return db.execute(
        "SELECT 1 FROM folders WHERE id = ? AND listing = ? AND uidvalidity = ?",
        (state.folder_id, state.listing, state.uidvalidity),
    ).fetchone() is not None


def _still_at(db: sqlite3.Connection, state: FolderState) -> bool:
    """The folder's listing and sync state are exactly ``state`` (nothing stored since)."""
    return db.execute(
        "SELECT 1 FROM folders WHERE id = ? AND listing = ? AND uidvalidity = ? "
        "AND uidnext IS ? AND highestmodseq IS ?",
        (state.folder_id, state.listing, state.uidvalidity, state.uidnext, state.highestmodseq),
    ).fetchone() is not None


def _flag_edit(add: frozenset[str], remove: frozenset[str]) -> Callable[[bytes], bytes]:
    """Stored flags -> the same flags with ``add`` set and ``remove`` cleared (per distinct
    stored set, of which a folder has few)."""
    decoder = Decoder()
    done: dict[bytes, bytes] = {}

    def edit(blob: bytes) -> bytes:
        found = done.get(blob)
        if found is None:
            found = done[blob] = encode_flags((decoder.flags(blob) | add) - remove)
        return found

    return edit


PAGE_BITS = 8
"""A page holds the records of 256 consecutive UIDs (fewer where UIDs have gaps)."""


def _merge(
    db: sqlite3.Connection,
    state: FolderState,
    records: list[Record],
    *,
    removed: Iterable[int] = (),
    flags: Mapping[int, bytes] | None = None,
    edit: tuple[Iterable[int], Callable[[bytes], bytes]] | None = None,
) -> int:
    """Write ``records`` (new or replacing), drop ``removed`` UIDs, set ``flags`` (UID ->
    encoded flags) and rewrite the stored flags of ``edit``'s UIDs with its function, page by
    page; returns how many rows the folder gained (or lost)."""
    touched: dict[int, tuple[list[Record], set[int], dict[int, bytes], set[int]]] = {}

    def page(uid: int) -> tuple[list[Record], set[int], dict[int, bytes], set[int]]:
        entry = touched.get(uid >> PAGE_BITS)
        if entry is None:
            entry = touched[uid >> PAGE_BITS] = ([], set(), {}, set())
        return entry

    for record in records:
        page(record["uid"])[0].append(record)  # type: ignore[arg-type]
    for uid in removed:
        page(uid)[1].add(uid)
    for uid, blob in (flags or {}).items():
        page(uid)[2][uid] = blob
    edited, rewrite = edit if edit is not None else ((), None)
    for uid in edited:
        page(uid)[3].add(uid)
    key = (state.folder_id, state.uidvalidity)
    gained = 0
    for number, (new, gone, changed, restyled) in touched.items():
        found = db.execute(
            "SELECT records FROM pages WHERE folder = ? AND uidvalidity = ? AND page = ?",
            (*key, number),
        ).fetchone()
        try:
            held = {r["uid"]: r for r in load_page(found[0])} if found else {}
        except ValueError as exc:
            raise CorruptCache(str(exc)) from exc
        before = len(held)
        for uid in gone:
            held.pop(uid, None)
        for uid, blob in changed.items():
            record = held.get(uid)
            if record is not None:
                record["flags"] = blob
        for uid in restyled:
            record = held.get(uid)
            if record is not None and rewrite is not None:
                try:
                    record["flags"] = rewrite(record["flags"])  # type: ignore[arg-type]
                except (ValueError, TypeError, EOFError) as exc:
                    raise CorruptCache(f"cached flags do not decode: {exc}") from exc
        for record in new:
            held[record["uid"]] = record  # type: ignore[index]
        gained += len(held) - before
        if held:
            db.execute("INSERT OR REPLACE INTO pages (folder, uidvalidity, page, records) "
                       "VALUES (?, ?, ?, ?)", (*key, number, dump_page(held.values())))
        elif found:
            db.execute("DELETE FROM pages WHERE folder = ? AND uidvalidity = ? AND page = ?",
                       (*key, number))
    return gained


def _delete_folder(db: sqlite3.Connection, account: str, folder: str) -> None:
    found = db.execute("SELECT id FROM folders WHERE account = ? AND name = ?",
                       (_key(account), _key(folder))).fetchone()
    if found is not None:
        db.execute("DELETE FROM pages WHERE folder = ?", found)
        db.execute("DELETE FROM folders WHERE id = ?", found)

