"""The server side of triage actions, without any UI: what a worker thread calls.

Kept apart from the screen so that the rules (which UIDs are still in the folder after a failed
move, how an undo finds messages when the server did not report new UIDs) are plain functions
tested against a real server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .imap.client import IMAPClient
from .imap.errors import IMAPError, IMAPMessageError
from .imap.mailbox import IMAPMailboxService
from .imap.messageset import MessageSet
from .imap.models import MessageSummary, MoveResult, SelectInfo

if TYPE_CHECKING:
    from .cache import FolderState, HeaderCache

log = logging.getLogger(__name__)

MESSAGE_ID_BATCH = 25


@dataclass(frozen=True)
class UndoRecord:
    """A finished move and the rows it took away, so that ``u`` can bring them back."""

    action: str
    result: MoveResult
    rows: tuple[MessageSummary, ...]
    batch: int = 0
    """Records of one key press share a batch number (0: alone), and are undone together."""


def service_for(client: IMAPClient, info: SelectInfo | None) -> IMAPMailboxService:
    """A service bound to the folder view's SELECT result.

    Binding to ``info`` (not re-selecting) means the UIDs on screen are checked against the
    UIDVALIDITY they were listed under: a folder reset meanwhile raises instead of acting on
    other messages.
    """
    service = IMAPMailboxService(client)
    service.current = info
    return service


def newest_first_chunks(
    service: IMAPMailboxService, uids: Sequence[int], size: int, *, first: int | None = None
) -> Iterator[tuple[list[MessageSummary], int]]:
    """Summaries of ``uids`` (given newest first) in chunks, with how many are done so far.

    One shape for a folder's background fill and for search results, so that both stream
    rows to the list as they arrive, newest first. ``first`` makes the first chunk a screenful,
    so that search results appear after one small FETCH instead of a big one.
    """
    start = 0
    while start < len(uids):
        step = first if start == 0 and first else size
        chunk = uids[start : start + step]
        yield service.fetch(MessageSet(chunk)), start + len(chunk)
        start += len(chunk)


def move_messages(
    service: IMAPMailboxService,
    action: str,
    uids: Sequence[int],
    destination: str | None,
    progress: Callable[[int, int], None] | None = None,
) -> MoveResult | None:
    """Archive, delete (Trash; for good inside Trash) or move ``uids``.

    ``progress(done, total)`` is called after each chunk (UID ranges of up to 500), so a bulk
    move of thousands of search results can show how far it got.
    """
    if action == "archive":
        return service.archive(uids, progress=progress)
    if action == "delete":
        return service.delete(uids, progress=progress)
    if destination is None:
        raise IMAPMessageError("no destination folder was chosen")
    return service.move(uids, destination, progress=progress)


def still_in_folder(service: IMAPMailboxService, uids: Sequence[int], error: IMAPError) -> set[int]:
    """After a failed move: which of ``uids`` are still in the folder, to put back on screen.

    Asks the server first (the truth after a lost answer); when it cannot be reached, trusts
    the partial result (chunks are moved in ascending UID order) and keeps the rest.
    """
    from .imap.search import IMAPSearchCriteria

    try:
        return set(service.search(IMAPSearchCriteria().uid(MessageSet(uids))))
    except IMAPError:
        partial = error.partial if isinstance(error.partial, MoveResult) else None
        moved = sorted(uids)[: partial.count] if partial else []
        return set(uids) - set(moved)


def moved_before_failure(uids: Sequence[int], error: IMAPError) -> list[int]:
    """After a failed move: the UIDs the server confirmed as moved before it failed.

    Only what the server answered OK for (its reported UIDs, else the chunks done, which go
    in ascending UID order); a chunk whose answer was lost counts as not moved.
    """
    partial = error.partial if isinstance(error.partial, MoveResult) else None
    if partial is None:
        return []
    if partial.uid_map:
        return sorted(set(partial.uid_map) & set(uids))
    return sorted(uids)[: partial.count]


@dataclass(frozen=True)
class CacheNote:
    """A folder's header-cache state, noted before a triage action changes the server, so
    that what the server then confirms is written into the cache (``HeaderCache.follow``).

    Noted first so that a resync stored in between (which may know newer changes from other
    clients) wins over this write, and written under the UIDVALIDITY the action ran under,
    never another. Nothing here may fail or delay the action's outcome on screen: the server is
    the truth and the cache a shortcut, so a write that fails is logged and forgotten (the
    next resync asks the server for everything since the cache's state anyway).
    """

    cache: HeaderCache
    account: str
    folder: str
    uidvalidity: int
    base: FolderState

    @classmethod
    def take(cls, cache: HeaderCache | None, account: str, folder: str,
             uidvalidity: int | None) -> CacheNote | None:
        """The note for ``folder``, or None: no cache (``--no-cache``, off), the folder not
        cached, or no UIDVALIDITY known to write under."""
        if cache is None or cache.disabled is not None or uidvalidity is None:
            return None
        try:
            base = cache.folder_state(account, folder)
        except Exception as error:  # the cache turns its own failures into None; not this one
            log.warning("header cache: state of %s not read: %s", folder, error)
            return None
        return cls(cache, account, folder, uidvalidity, base) if base is not None else None

    def flags_changed(self, uids: Iterable[int], flag: str, *, add: bool) -> None:
        """The server set (``add``) or cleared ``flag`` on ``uids``."""
        self._follow("flags", flagged=uids, add=[flag] if add else [],
                     remove=[] if add else [flag])

    def removed(self, uids: Iterable[int]) -> None:
        """The server moved ``uids`` out of the folder (or deleted them for good)."""
        self._follow("removals", removed=uids)

    def _follow(self, what: str, *, removed: Iterable[int] = (), flagged: Iterable[int] = (),
                add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        try:
            written = self.cache.follow(self.account, self.folder, self.base, self.uidvalidity,
                                        removed=removed, flagged=flagged, add=add, remove=remove)
        except Exception as error:  # a cache bug must not cost the action's other folders
            log.warning("header cache: %s in %s not recorded: %s", what, self.folder, error)
            return
        if not written:
            log.debug("header cache: %s in %s not recorded (the cache moved on, another "
                      "UIDVALIDITY, or busy); the next resync brings them", what, self.folder)


def find_by_message_id(service: IMAPMailboxService, message_ids: Iterable[str]) -> list[int]:
    """UIDs in the selected folder of the messages with these Message-IDs."""
    from .imap.search import IMAPSearchCriteria

    ids = [mid for mid in message_ids if mid]
    found: set[int] = set()
    for start in range(0, len(ids), MESSAGE_ID_BATCH):
        batch = ids[start : start + MESSAGE_ID_BATCH]
        keys = [IMAPSearchCriteria().header("Message-ID", mid) for mid in batch]
        criteria = keys[0] if len(keys) == 1 else IMAPSearchCriteria.or_(*keys)
        found.update(service.search(criteria))
    return sorted(found)


def undo_move(client: IMAPClient, record: UndoRecord) -> tuple[MoveResult, list[MessageSummary]]:
    """Move the messages of ``record`` back; returns the move and their rows in the source.

    Uses the UIDs the server reported (UIDPLUS); where it reported none (or only some, after
    an interrupted move), finds the messages by Message-ID instead. The reported UIDs count
    only while the destination keeps the UIDVALIDITY they were given under: a folder deleted
    and made again meanwhile has other messages at those UIDs, which must stay where they are.
    """
    result = record.result
    there = IMAPMailboxService(client)
    info = there.select(result.destination)
    if result.uidvalidity is None or result.uidvalidity == info.uidvalidity:
        uids = sorted(result.uid_map.values())
    else:
        log.info("%s was reset since the move (UIDVALIDITY %s, now %s): undo looks for the "
                 "messages by Message-ID", result.destination, result.uidvalidity,
                 info.uidvalidity)
        uids = []
    if len(uids) < len(record.rows):
        uids = sorted(set(uids) | set(
            find_by_message_id(there, (row.message_id or "" for row in record.rows))
        ))
    if not uids:
        raise IMAPMessageError(
            f"the messages are no longer in {result.destination}; nothing to undo"
        )
    back = there.move(uids, result.source)
    home = IMAPMailboxService(client)
    home.select(result.source, readonly=True)
    restored = sorted(back.uid_map.values())
    if len(restored) < len(uids):
        restored = find_by_message_id(home, (row.message_id or "" for row in record.rows))
    rows = home.fetch(restored) if restored else []
    return back, rows
