"""What ``run.py`` times: sage-tui's engine and, for each target, the floor it is held against.

Every function here does one whole task from a fresh connection (connect, log in, select, the
work) and returns a count that ``run.py`` checks, so a contender that silently did less work
cannot look fast. Floors use the same server, folder and loopback connection:

- ``wire_list``: stdlib ``imaplib`` sends the engine's own FETCH in the same 2,000-message
  chunks and parses nothing (the issue's "wire floor");
- ``imapclient_list``: raw imapclient fetching ENVELOPE, FLAGS, INTERNALDATE and RFC822.SIZE in
  chunks, as a plain imapclient program lists a folder;
- ``wire_search_page``: ``UID SEARCH`` and a FETCH of the newest page through ``imaplib``
  (searches run on a connection that is already open, as in the app);
- ``wire_move``: ``UID MOVE`` through ``imaplib`` with the same compressed UID set, in as few
  commands as the server's line limit allows.

``app_list`` is the app's own folder loading (``folder_loading.load_folder``: header cache,
resync, newest page, chunks), its messages applied to a ``MessageListModel`` as the screen
applies them; run on an empty cache it lists cold, on a filled one warm.
"""

from __future__ import annotations

import imaplib
import time
from dataclasses import dataclass, field
from pathlib import Path

import imapclient

from sage_tui.imap import (
    ConnectionConfig,
    IMAPClient,
    IMAPMailboxService,
    IMAPSearchCriteria,
    MessageSet,
    close_all,
)
from sage_tui.imap.fastlist import clear_memos
from sage_tui.imap.parsing import SUMMARY_ITEMS
from sage_tui.listing import MessageListModel
from sage_tui.triage import newest_first_chunks

CHUNK = 2000
"""UIDs per FETCH for every contender (the engine's FETCH_CHUNK and the app's CHUNK_SIZE)."""
PAGE = 100
"""Rows on the first screen (the app's PAGE_SIZE)."""
ENVELOPE_ITEMS = ["ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]
COMMAND_CHARS = 8000
"""Longest UID set per command for the MOVE floor (Dovecot refuses lines over 64 KiB)."""


@dataclass(frozen=True)
class Account:
    """Where a contender connects: one user of the throwaway Dovecot."""

    host: str
    port: int
    user: str
    password: str

    def config(self) -> ConnectionConfig:
        return ConnectionConfig(host=self.host, port=self.port, username=self.user,
                                password=self.password, use_ssl=False, timeout=300)

    def imaplib(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=300)
        imap.login(self.user, self.password)
        return imap

    def imapclient(self) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient(self.host, port=self.port, ssl=False, timeout=300)
        client.login(self.user, self.password)
        return client


def _engine(account: Account) -> IMAPMailboxService:
    """A service on a new pool: no connection, memo or cache left from an earlier run."""
    close_all()
    clear_memos()
    return IMAPMailboxService(IMAPClient(account.config()))


# -- whole folder --------------------------------------------------------------------------


def engine_list(account: Account, folder: str = "INBOX") -> int:
    """The engine lists every message of the folder (all rows known and sortable)."""
    mailbox = _engine(account)
    mailbox.select(folder, readonly=True)
    rows = mailbox.fetch(mailbox.search())
    close_all()
    return len(rows)


def wire_list(account: Account, folder: str = "INBOX") -> int:
    """The wire floor: the engine's FETCH through stdlib imaplib, nothing parsed."""
    imap = account.imaplib()
    try:
        imap.select(folder, readonly=True)
        _, data = imap.uid("SEARCH", "ALL")
        uids = [int(uid) for uid in data[0].split()]
        items = "(" + " ".join(SUMMARY_ITEMS) + ")"
        total = 0
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start:start + CHUNK]
            _, fetched = imap.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", items)
            total += sum(1 for part in fetched if isinstance(part, tuple))
        return total
    finally:
        imap.logout()


def imapclient_list(account: Account, folder: str = "INBOX") -> int:
    """Raw imapclient: ENVELOPE, FLAGS, INTERNALDATE, RFC822.SIZE in 2,000-UID chunks."""
    client = account.imapclient()
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        total = 0
        for start in range(0, len(uids), CHUNK):
            total += len(client.fetch(uids[start:start + CHUNK], ENVELOPE_ITEMS))
        return total
    finally:
        client.logout()


# -- search ---------------------------------------------------------------------------------


def open_engine(account: Account) -> IMAPMailboxService:
    """The engine with INBOX open, as the app has it when the user searches."""
    mailbox = _engine(account)
    mailbox.select("INBOX", readonly=True)
    return mailbox


def engine_search_page(mailbox: IMAPMailboxService, criteria: IMAPSearchCriteria,
                       chunk: int, first: int) -> int:
    """What the search view does until the first results are listed: a fresh search, then
    the first chunk of results, newest first (``newest_first_chunks``)."""
    uids = mailbox.search(criteria, fresh=True)[::-1]
    rows, _ = next(newest_first_chunks(mailbox, uids, chunk, first=first), ([], 0))
    return len(rows)


def open_wire(account: Account) -> imaplib.IMAP4:
    imap = account.imaplib()
    imap.select("INBOX", readonly=True)
    return imap


def wire_search_page(imap: imaplib.IMAP4, criteria: IMAPSearchCriteria) -> int:
    """The floor: ``UID SEARCH`` and a FETCH of the newest page through imaplib, unparsed."""
    _, data = imap.uid("SEARCH", *criteria.to_wire())
    uids = sorted(int(uid) for uid in data[0].split())[-PAGE:]
    if not uids:
        return 0
    _, fetched = imap.uid("FETCH", str(MessageSet(uids)), "(" + " ".join(SUMMARY_ITEMS) + ")")
    return sum(1 for part in fetched if isinstance(part, tuple))


# -- bulk archive ---------------------------------------------------------------------------


def engine_archive(account: Account, uids: list[int]) -> int:
    """The engine archives the chosen messages (UID MOVE in compressed ranges)."""
    mailbox = _engine(account)
    mailbox.select("INBOX")
    result = mailbox.archive(uids)
    close_all()
    return result.count


def wire_move(account: Account, uids: list[int], destination: str = "Archive") -> int:
    """The floor: UID MOVE of the same compressed set through imaplib, fewest commands."""
    imap = account.imaplib()
    try:
        imap.select("INBOX")
        moved = 0
        for piece in MessageSet(uids).chunks_by_length(COMMAND_CHARS):
            typ, data = imap.uid("MOVE", str(piece), destination)
            if typ != "OK":
                raise RuntimeError(f"UID MOVE failed: {data!r}")
            moved += len(piece)
        return moved
    finally:
        imap.logout()


def move_all_back(account: Account, source: str = "Archive") -> None:
    """Put every message of ``source`` back into INBOX (untimed, between runs)."""
    imap = account.imaplib()
    try:
        imap.select(source)
        typ, data = imap.uid("MOVE", "1:*", "INBOX")
        if typ != "OK":
            raise RuntimeError(f"moving back failed: {data!r}")
    finally:
        imap.logout()


def inbox_uids(account: Account) -> list[int]:
    imap = account.imaplib()
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", "ALL")
        return sorted(int(uid) for uid in data[0].split())
    finally:
        imap.logout()


# -- the app's folder loading (header cache) ------------------------------------------------


@dataclass
class AppListing:
    """What the app's folder loading did: its rows, and when (seconds from the start)."""

    model: MessageListModel = field(default_factory=MessageListModel)
    first_rows: float | None = None
    """When rows were first on screen (the cached rows, or the newest page)."""
    from_cache: bool = False
    finished: float | None = None
    """When every row was known and confirmed by the server (``FolderLoadFinished``)."""


def app_list(account: Account, cache_file: Path, folder: str = "INBOX") -> AppListing:
    """List ``folder`` as the app's folder view does, with the header cache at ``cache_file``.

    The screen's handlers are reproduced on a plain ``MessageListModel``: a page replaces the
    rows, chunks and resynced additions are merged, removals taken off.
    """
    from sage_tui.cache import HeaderCache  # the app's modules: Textual comes with them
    from sage_tui.folder_loading import load_folder
    from sage_tui.messages import (
        FolderChunkLoaded,
        FolderLoadFailed,
        FolderLoadFinished,
        FolderPageLoaded,
        FolderResynced,
        FolderResyncFailed,
    )

    close_all()
    clear_memos()
    started = time.perf_counter()
    result = AppListing()
    model = result.model

    def post(message: object) -> None:
        now = time.perf_counter() - started
        if isinstance(message, FolderPageLoaded):
            model.set_rows(message.rows)
            if result.first_rows is None:
                result.first_rows, result.from_cache = now, message.cached
        elif isinstance(message, FolderChunkLoaded):
            model.add(message.rows)
        elif isinstance(message, FolderResynced):
            model.remove(message.removed)
            model.add(message.added)
        elif isinstance(message, FolderLoadFinished):
            result.finished = now
        elif isinstance(message, FolderLoadFailed | FolderResyncFailed):
            raise RuntimeError(f"the app's folder loading failed: {message.error}")

    cache = HeaderCache(cache_file)  # a connection per operation: nothing to close
    try:
        load_folder(IMAPClient(account.config()), cache, folder, 1, post, lambda: False,
                    page_size=PAGE, chunk_size=CHUNK)
    finally:
        close_all()
    return result
