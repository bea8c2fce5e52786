"""The SQLite file under the header cache: connections, schema, and what to do when it fails.

``CacheFile`` gives each operation a fresh connection (so threads and processes never share
one), makes sure the file has this version's tables before anything reads it, and turns every
failure into a harmless default: a busy file skips the operation, a damaged one is set aside
(``<file>.corrupt-<time>``) with one notice and started afresh, and anything else switches the
cache off for the session with one notice. ``HeaderCache`` (``store``) builds on it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .codec import CODEC

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA_VERSION = 2
"""Bump when the tables change: a file with another version is rebuilt."""

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
    # A page holds the records of the folder's UIDs from page << PAGE_BITS up, keyed inside
    # by UID: so every message is found by account + folder + UIDVALIDITY + UID.
    """CREATE TABLE pages (
        folder INTEGER NOT NULL,
        uidvalidity INTEGER NOT NULL,
        page INTEGER NOT NULL,
        records BLOB NOT NULL,
        PRIMARY KEY (folder, uidvalidity, page)
    ) WITHOUT ROWID""",
)

_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


class CorruptCache(Exception):
    """The file's contents cannot be trusted (SQLite said so, or a row would not decode)."""


class CacheFile:
    """One SQLite file, used through ``_run``; safe to use from several threads.

    Args:
        path: The file (created with its directory on first use).
        notice: Called (from the calling thread) with one sentence when the user should know
            something: the file was damaged and set aside, or the cache is off for this session.
            Each kind is said once.
        clock: Wall-clock seconds.
    """

    def __init__(self, path: Path, *, notice: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._notice = notice
        self._clock = clock
        self._lock = threading.Lock()
        self._ready = False
        self._disabled: str | None = None
        self._said: set[str] = set()

    @property
    def disabled(self) -> str | None:
        """Why the cache is off for this session, or None while it works."""
        return self._disabled

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
        with write_transaction(db):
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


@contextmanager
def read_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: a consistent snapshot, whatever another instance writes."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")  # (a read-only transaction: nothing to undo)


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front so it never fails half-way on a lock upgrade."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _looks_corrupt(exc: sqlite3.DatabaseError) -> bool:
    words = str(exc).lower()
    return "malformed" in words or "not a database" in words or "corrupt" in words
