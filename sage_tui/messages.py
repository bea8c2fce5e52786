"""Messages that thread workers post back to the UI: past-tense events with plain data.

Each carries the ``generation`` of the folder view it belongs to, so a result that arrives after
the user switched folders is recognised as stale and dropped instead of overwriting the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from .imap.errors import IMAPError
from .imap.idle import FolderChange
from .imap.metrics import EngineEvent
from .imap.models import Folder, MessageSummary, MoveResult, SelectInfo
from .imap.models import Message as MailMessage


@dataclass
class FoldersListed(Message):
    """The folder list (with counts) arrived."""

    folders: list[Folder]


@dataclass
class FolderPageLoaded(Message):
    """The newest page of a folder arrived: enough to draw the first screen."""

    generation: int
    info: SelectInfo
    rows: list[MessageSummary]
    cached: bool = False
    """Every row, from the header cache: shown at once, unconfirmed until ``FolderResynced``."""


@dataclass
class FolderResynced(Message):
    """The server confirmed the cached rows: these are the changes since they were cached."""

    generation: int
    info: SelectInfo
    added: list[MessageSummary]
    flags: dict[int, frozenset[str]]
    """Rows whose flags changed: UID -> flags now."""
    removed: frozenset[int]
    """Rows expunged on the server meanwhile."""


@dataclass
class FolderResyncFailed(Message):
    """Cached rows are on screen, but the server could not be asked what changed."""

    generation: int
    folder: str
    error: IMAPError


@dataclass
class CacheNoticed(Message):
    """The header cache has something to tell the user (set aside as damaged, switched off)."""

    words: str


@dataclass
class CacheCleared(Message):
    """The header cache was emptied; this is what it held."""

    folders: int
    rows: int


@dataclass
class FolderChunkLoaded(Message):
    """Older messages arrived in the background."""

    generation: int
    rows: list[MessageSummary]
    done: int
    total: int


@dataclass
class FolderLoadFinished(Message):
    """Every message of the folder is listed."""

    generation: int


@dataclass
class FolderLoadFailed(Message):
    """Opening the folder failed; the list keeps what it had and a banner says why."""

    generation: int
    folder: str
    error: IMAPError


@dataclass
class MessageLoaded(Message):
    """A whole message arrived for the reader."""

    generation: int
    message: MailMessage
    key: int | None = None
    """The row it was opened from (its view key; the UID in a folder view)."""


@dataclass
class MessageLoadFailed(Message):
    generation: int
    uid: int
    error: IMAPError


@dataclass
class MovesDone(Message):
    """A move/archive/delete reached the server; ``result`` is what an undo needs."""

    action: str
    rows: list[MessageSummary]
    result: MoveResult | None
    batch: int = 0
    """Moves of one key press share a batch (a search across folders moves per folder)."""


@dataclass
class MovesFailed(Message):
    """A move/archive/delete failed; ``still_here`` are the UIDs to put back on screen."""

    action: str
    generation: int
    rows: list[MessageSummary]
    still_here: set[int]
    error: IMAPError


@dataclass
class FlagsFailed(Message):
    """A flag change failed; the screen puts the flags back."""

    generation: int
    before: dict[int, frozenset[str]]
    error: IMAPError


@dataclass
class UndoDone(Message):
    """Messages are back in ``folder``; ``rows`` are their fresh summaries there."""

    folder: str
    rows: list[MessageSummary]
    count: int


@dataclass
class UndoFailed(Message):
    error: IMAPError


@dataclass
class FolderSynced(Message):
    """Changes made elsewhere (new mail, expunges, flags) for the open folder."""

    generation: int
    new_rows: list[MessageSummary]
    present: set[int]
    """Every UID the folder holds now: rows not in it were expunged elsewhere."""
    flags: dict[int, frozenset[str]]
    """Current flags of the rows near the top of the list (of every row after a reconnect)."""
    asked_up_to: int = 0
    """The highest UID the list held when the sync began: a row up to it that is not in
    ``present`` is gone, even the newest one; rows above it arrived later (an undo)."""


@dataclass
class FolderChanged(Message):
    """The watcher saw a change in the open folder (IDLE or poll)."""

    generation: int
    change: FolderChange


@dataclass
class ConnectionStateChanged(Message):
    """The engine connected, failed, retried or changed circuit state."""

    state: str
    detail: str = ""


@dataclass
class SearchFailed(Message):
    """The server refused or could not run a search."""

    generation: int
    query: str
    error: IMAPError


@dataclass
class MoveProgress(Message):
    """A bulk move got ``done`` of ``total`` messages to the server so far."""

    action: str
    done: int
    total: int


@dataclass
class SearchCounts(Message):
    """Match counts of the saved searches (None where counting failed)."""

    counts: dict[str, int | None]


@dataclass
class CrossFolderFound(Message):
    """A search across folders knows where its matches are; their rows follow in chunks."""

    generation: int
    infos: list[SelectInfo]
    """The folders with matches, in the order their rows are keyed (``Places``)."""
    total: int
    skipped: list[str]
    """Folders that could not be searched (gone, or not selectable), by name."""


@dataclass
class WatchFailed(Message):
    """The folder watcher lost its connection; ``retry_in`` seconds until it reconnects
    (None: it gave up, e.g. the password stopped working)."""

    generation: int
    error: IMAPError
    retry_in: float | None


@dataclass
class SyncFailed(Message):
    """Re-reading the open folder after a change or a reconnect failed."""

    generation: int
    error: IMAPError


@dataclass
class EngineReported(Message):
    """The engine reported an event (retry, reconnect, circuit change...) for the health views."""

    event: EngineEvent
