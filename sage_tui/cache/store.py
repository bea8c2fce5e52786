"""The header cache: message-list rows per account and folder in one SQLite file.

What it promises, and how:

- **Never misread.** Rows are keyed by account + folder + UIDVALIDITY + UID; a folder whose
  UIDVALIDITY changed is discarded. The schema has a version (``PRAGMA user_version``) and the
  row encoding an identity (``codec.CODEC``); a file with another one is rebuilt, not read.
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

Writes happen on whatever thread calls (the app calls from its folder-loading worker threads,
never the UI thread); connections are never shared between threads.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.locations import cache_dir

from .codec import CODEC, Decoder, EncodedRow, encode, encode_flags

log = logging.getLogger(__name__)

T = TypeVar("T")

FILE_NAME = "headers.sqlite3"
SCHEMA_VERSION = 1
"""Bump when the tables change: a file with another version is rebuilt."""
MAX_FOLDERS = 50
"""Folders kept per account (least recently opened go first)."""
MAX_ROWS = 300_000
"""Messages kept per account, about 200 bytes each on disk (so roughly 60 MB at most)."""
BUSY_SECONDS = 5.0
"""How long a write waits for another instance's write before it is skipped."""
WAL_LIMIT = 16 * 1024 * 1024
"""The write-ahead log is truncated to this size after a checkpoint."""

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # id: the folder's row; listing: a random number per full listing, so that a writer
    # whose listing was replaced (by another instance, a UIDVALIDITY change or a clear)
    # notices instead of mixing rows. Names are stored as UTF-8 bytes (surrogates too).
    """CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        account BLOB NOT NULL,
        name BLOB NOT NULL,
        listing INTEGER NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uidnext INTEGER,
        highestmodseq INTEGER,
        complete INTEGER NOT NULL DEFAULT 0,
        rows INTEGER NOT NULL DEFAULT 0,
        opened REAL NOT NULL,
        UNIQUE (account, name)
    )""",
    """CREATE TABLE messages (
        folder INTEGER NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        flags BLOB NOT NULL,
        people BLOB NOT NULL,
        rest BLOB NOT NULL,
        PRIMARY KEY (folder, uidvalidity, uid)
    ) WITHOUT ROWID""",
)

_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


class CorruptCache(Exception):
    """The file's contents cannot be trusted (SQLite said so, or a row would not decode)."""


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


class HeaderCache:
    """The cache file and every operation on it; safe to use from several threads.

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
        self.path = Path(path)
        self.max_folders = max_folders
        self.max_rows = max_rows
        self._notice = notice
        self._clock = clock
        self._lock = threading.Lock()
        self._ready = False
        self._disabled: str | None = None
        self._said: set[str] = set()

    @classmethod
    def at_default_location(cls, **options: object) -> HeaderCache:
        """The cache in the user's cache directory (``SAGE_TUI_CACHE_DIR`` overrides it)."""
        return cls(cache_dir() / FILE_NAME, **options)  # type: ignore[arg-type]

    @property
    def disabled(self) -> str | None:
        """Why the cache is off for this session, or None while it works."""
        return self._disabled

    # -- reading ------------------------------------------------------------------------------

    def load(self, account: str, folder: str) -> CachedFolder | None:
        """The folder's rows and state, or None if it is not cached complete."""

        def read(db: sqlite3.Connection) -> CachedFolder | None:
            with _read(db):  # one snapshot for the state and its rows
                found = db.execute(
                    "SELECT id, listing, uidvalidity, uidnext, highestmodseq, complete "
                    "FROM folders WHERE account = ? AND name = ?",
                    (_key(account), _key(folder)),
                ).fetchone()
                if found is None or not found[5]:
                    return None
                state = FolderState(*found[:5])
                stored: list[EncodedRow] = db.execute(
                    "SELECT uid, flags, people, rest FROM messages "
                    "WHERE folder = ? AND uidvalidity = ? ORDER BY uid",
                    (state.folder_id, state.uidvalidity),
                ).fetchall()
            try:
                rows = Decoder().rows(stored)
            except (ValueError, TypeError, EOFError) as exc:
                raise CorruptCache(f"a cached row of {folder} does not decode: {exc}") from exc
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

    # -- writing ------------------------------------------------------------------------------

    def start_listing(self, account: str, folder: str, info: SelectInfo) -> Listing | None:
        """Begin storing a full listing of ``folder`` (any earlier one is discarded now).

        Returns None when the cache cannot take it (off, busy); listing goes on regardless.
        """
        listing = secrets.randbits(62)

        def begin(db: sqlite3.Connection) -> Listing:
            with _write(db):
                _delete_folder(db, account, folder)
                cursor = db.execute(
                    "INSERT INTO folders (account, name, listing, uidvalidity, opened) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (_key(account), _key(folder), listing, info.uidvalidity, self._clock()),
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
        flag_rows = [(encode_flags(f), base.folder_id, base.uidvalidity, uid)
                     for uid, f in (flags or {}).items()]
        gone = [(base.folder_id, base.uidvalidity, uid) for uid in removed]

        def write(db: sqlite3.Connection) -> bool:
            with _write(db):
                if not _still_listing(db, base):
                    return False
                db.executemany(
                    "DELETE FROM messages WHERE folder = ? AND uidvalidity = ? AND uid = ?", gone
                )
                _insert(db, base, encoded)
                db.executemany(
                    "UPDATE messages SET flags = ? "
                    "WHERE folder = ? AND uidvalidity = ? AND uid = ?",
                    flag_rows,
                )
                count = _count(db, base)
                db.execute(
                    "UPDATE folders SET uidnext = ?, highestmodseq = ?, complete = 1, "
                    "rows = ?, opened = ? WHERE id = ?",
                    (info.uidnext, info.highestmodseq, count, self._clock(), base.folder_id),
                )
            self._evict(db, account, base.folder_id)
            return True

        return self._run(f"updating {folder}", write, False)

    def forget(self, account: str, folder: str) -> None:
        """Drop one folder (its UIDVALIDITY changed, or it is gone from the server)."""

        def drop(db: sqlite3.Connection) -> None:
            with _write(db):
                _delete_folder(db, account, folder)

        self._run(f"forgetting {folder}", drop, None)

    def clear(self) -> CacheStats:
        """Empty the cache for every account; returns what was in it."""

        def wipe(db: sqlite3.Connection) -> CacheStats:
            with _write(db):
                folders, rows = db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM folders"
                ).fetchone()
                db.execute("DELETE FROM messages")
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
        with _write(db):
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
                db.executemany("DELETE FROM messages WHERE folder = ?", doomed)
                db.executemany("DELETE FROM folders WHERE id = ?", doomed)
                log.info("header cache: evicted %d folder(s) of %s", len(doomed), account)

    def _run(self, what: str, operation: Callable[[sqlite3.Connection], T], default: T) -> T:
        """Run ``operation`` on a fresh connection; every failure becomes ``default``.

        A damaged file is set aside once and the operation tried again on a new one.
        """
        for attempt in range(2):
            if self._disabled is not None:
                return default
            inode = _inode(self.path)  # the file this attempt works on
            try:
                with self._connection() as db:
                    return operation(db)
            except CorruptCache as exc:
                problem: BaseException = exc
            except sqlite3.DatabaseError as exc:
                code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
                if code in _BUSY_CODES:
                    log.info("header cache busy (another sage-tui?) while %s; skipped", what)
                    return default
                if code not in _CORRUPT_CODES and not _looks_corrupt(exc):
                    self._switch_off(f"{exc}")
                    return default
                problem = exc
            except OSError as exc:
                self._switch_off(f"{exc.strerror or exc}")
                return default
            if attempt == 0 and self._set_aside(problem, inode):
                continue
            self._switch_off(f"it is still unreadable after being rebuilt ({problem})")
            return default
        return default

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable enough, never corrupt
            db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION or not self._ready:
                self._prepare(db)
            yield db
        finally:
            db.close()

    def _prepare(self, db: sqlite3.Connection) -> None:
        """Create the tables, or rebuild them when the file has another schema or codec."""
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("the cache file cannot use write-ahead logging")
        with _write(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = [name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )]
            codec = None
            if version == SCHEMA_VERSION and "meta" in tables:
                found = db.execute("SELECT value FROM meta WHERE key = 'codec'").fetchone()
                codec = found[0] if found else None
            if version == SCHEMA_VERSION and codec == CODEC:
                self._ready = True
                return
            if tables:
                log.info("header cache: rebuilding (schema %s, codec %s; this version writes "
                         "schema %s, codec %s)", version, codec, SCHEMA_VERSION, CODEC)
            for name in tables:
                db.execute(f'DROP TABLE "{name}"')
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO meta (key, value) VALUES ('codec', ?)", (CODEC,))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._ready = True

    def _set_aside(self, problem: BaseException, inode: int | None) -> bool:
        """Rename a damaged file (and its WAL) aside, say so once; True to try again."""
        with self._lock:
            current = _inode(self.path)
            if current is None or (inode is not None and current != inode):
                return True  # another instance already set it aside: just use the new one
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self._clock()))
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            number = 1
            while target.exists():
                number += 1
                target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{number}")
            try:
                if self.path.exists():
                    os.replace(self.path, target)
                for suffix in ("-wal", "-shm"):
                    side = self.path.with_name(self.path.name + suffix)
                    if side.exists():
                        os.replace(side, target.with_name(target.name + suffix))
            except OSError as exc:
                self._switch_off(f"it is damaged and could not be moved aside ({exc})")
                return False
            self._ready = False
        log.warning("header cache damaged (%s); set aside as %s", problem, target)
        self._say("corrupt", f"The header cache was damaged, so it was set aside as "
                  f"{target.name} and is being rebuilt; folders load from the server meanwhile.")
        return True

    def _switch_off(self, reason: str) -> None:
        with self._lock:
            if self._disabled is not None:
                return
            self._disabled = reason
        log.warning("header cache off for this session: %s (%s)", reason, self.path)
        self._say("off", f"The header cache is off for this session: {reason}. "
                  "Folders load from the server.")

    def _say(self, kind: str, words: str) -> None:
        with self._lock:
            if kind in self._said:
                return
            self._said.add(kind)
        if self._notice is not None:
            self._notice(words)


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

    def _write(self, encoded: list[EncodedRow], *, finish: bool) -> bool:
        if not self.active:
            return False
        cache, state = self.cache, self.state

        def write(db: sqlite3.Connection) -> bool:
            with _write(db):
                if not _still_listing(db, state):
                    return False
                _insert(db, state, encoded)
                count = _count(db, state)
                if count > cache.max_rows:  # too big to cache: not at all, not in part
                    db.execute("DELETE FROM messages WHERE folder = ?", (state.folder_id,))
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


@contextmanager
def _read(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: a consistent snapshot, whatever another instance writes."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")  # (a read-only transaction: nothing to undo)


@contextmanager
def _write(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front so it never fails half-way on a lock upgrade."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _still_listing(db: sqlite3.Connection, state: FolderState) -> bool:
    return db.execute(
        "SELECT 1 FROM folders WHERE id = ? AND listing = ? AND uidvalidity = ?",
        (state.folder_id, state.listing, state.uidvalidity),
    ).fetchone() is not None


def _insert(db: sqlite3.Connection, state: FolderState, encoded: list[EncodedRow]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO messages (folder, uidvalidity, uid, flags, people, rest) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((state.folder_id, state.uidvalidity, *row) for row in encoded),
    )


def _count(db: sqlite3.Connection, state: FolderState) -> int:
    return db.execute("SELECT COUNT(*) FROM messages WHERE folder = ? AND uidvalidity = ?",
                      (state.folder_id, state.uidvalidity)).fetchone()[0]


def _delete_folder(db: sqlite3.Connection, account: str, folder: str) -> None:
    found = db.execute("SELECT id FROM folders WHERE account = ? AND name = ?",
                       (_key(account), _key(folder))).fetchone()
    if found is not None:
        db.execute("DELETE FROM messages WHERE folder = ?", found)
        db.execute("DELETE FROM folders WHERE id = ?", found)


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _looks_corrupt(exc: sqlite3.DatabaseError) -> bool:
    words = str(exc).lower()
    return "malformed" in words or "not a database" in words or "corrupt" in words
