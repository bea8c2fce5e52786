"""The first folder page, read from the server while the interface is still loading.

Starting sage-tui costs two waits that do not depend on each other: Python importing Textual
and the screens (a few hundred milliseconds of CPU), and the server logging in, opening a
folder and sending its newest messages (Dovecot takes longer to open a 100,000-message folder
than a 20,000 one). ``FirstPage.start`` overlaps them: before the app is imported, a thread
opens the account's pooled connection, EXAMINEs the folder, fetches the newest page and lists
the folder names. The main screen then takes that result instead of asking again, so the first
screen shows mail as soon as it is drawn, whatever the folder's size.

The connection it opened stays in the account's shared pool (selected on the folder) for the
app's workers. A failure is kept, not raised: the main screen reports it exactly as if its own
first request had failed, retry countdown included.

Nothing here imports Textual: this module is loaded before it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .imap.client import IMAPClient
from .imap.config import ConnectionConfig
from .imap.errors import IMAPError
from .imap.mailbox import IMAPMailboxService
from .imap.metrics import EngineEvent
from .imap.models import Folder, MessageSummary, SelectInfo

log = logging.getLogger(__name__)

PAGE_SIZE = 100
"""Rows fetched first when a folder opens: more than a tall terminal shows, whatever the size."""


@dataclass(frozen=True)
class FirstPageResult:
    """What the early thread got: the page and folder names, or the error that stopped it.

    Attributes:
        folder: The folder it opened.
        info: The folder's state as EXAMINE reported it (None after an error).
        rows: The newest ``PAGE_SIZE`` messages, newest first.
        folders: The folder names without counts (None when LIST failed: the main screen
            lists them itself).
        error: Why the folder could not be opened, if it could not.
    """

    folder: str
    info: SelectInfo | None = None
    rows: tuple[MessageSummary, ...] = ()
    folders: tuple[Folder, ...] | None = None
    error: IMAPError | None = None


class EventBuffer:
    """Holds the engine's events until the app can post them, then passes them on in order.

    The early thread connects before the Textual app runs, and a Textual message cannot be
    posted before the app's event loop exists. The buffer is the account's one subscription:
    it keeps events until ``deliver_to`` names the receiver, replays them, and from then on
    forwards each as it comes (under one lock, so replayed and new events never swap places).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[EngineEvent] = []
        self._target: Callable[[EngineEvent], None] | None = None

    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            if self._target is None:
                self._held.append(event)
            else:
                self._target(event)

    def deliver_to(self, target: Callable[[EngineEvent], None]) -> None:
        """Replay the held events to ``target``, and send it every later one."""
        with self._lock:
            held, self._held = self._held, []
            for event in held:
                target(event)
            self._target = target


class FirstPage:
    """The newest page of one folder of one account, fetched on a thread of its own.

    Use ``FirstPage.start``; the main screen calls ``take`` once for the folder it opens.
    """

    def __init__(self, config: ConnectionConfig, folder: str, page_size: int = PAGE_SIZE
                 ) -> None:
        self.config = config
        self.folder = folder
        self.page_size = page_size
        self.events = EventBuffer()
        self.client = IMAPClient(config)
        """The account's client: the app takes it over, so that closing it (quitting) also
        stops this thread's work."""
        self.unsubscribe = self.client.subscribe(self.events)
        self._result: FirstPageResult | None = None
        self._taken = False
        self._thread = threading.Thread(target=self._fetch, name="sage-first-page", daemon=True)

    @classmethod
    def start(cls, config: ConnectionConfig, folder: str, page_size: int = PAGE_SIZE
              ) -> FirstPage:
        """Start fetching ``folder``'s newest page for the account of ``config``."""
        first = cls(config, folder, page_size)
        first._thread.start()
        return first

    def _fetch(self) -> None:
        try:
            self._result = self._first_page()
        except Exception:  # a bug, not the server: logged; the main screen asks by itself
            log.exception("the first page of %s could not be fetched early", self.folder)

    def _first_page(self) -> FirstPageResult:
        service = IMAPMailboxService(self.client)
        try:
            info = service.select(self.folder, readonly=True)
            rows = service.fetch_newest(self.page_size)
        except IMAPError as error:
            return FirstPageResult(self.folder, error=error)
        folders: tuple[Folder, ...] | None
        try:
            folders = tuple(service.list_folders(status=False))
        except IMAPError:
            folders = None  # the main screen's own listing reports it
        return FirstPageResult(self.folder, info, tuple(rows), folders)

    def take(self, folder: str, *, wait: bool = True) -> FirstPageResult | None:
        """The result for ``folder``, once: None for another folder or on a second call.

        Blocks until the thread is done (run it in a worker): the page has usually arrived
        while the app was loading, and otherwise asking again would only wait longer.
        ``wait=False`` (the UI thread) gives None, and leaves the result to a later call,
        while the thread is still at work.
        """
        if self._taken or folder != self.folder or (not wait and self._thread.is_alive()):
            return None
        self._taken = True
        self._thread.join()
        return self._result

    def folder_names(self, *, wait: bool = True) -> list[Folder] | None:
        """The folders the thread listed (without counts), or None; blocks like ``take``
        (``wait=False``: None while the thread is at work)."""
        if not wait and self._thread.is_alive():
            return None
        self._thread.join()
        folders = self._result.folders if self._result is not None else None
        return list(folders) if folders is not None else None


def open_page(service: IMAPMailboxService, folder: str, first: FirstPageResult | None, *,
              page_size: int = PAGE_SIZE) -> tuple[SelectInfo, list[MessageSummary]]:
    """``folder``'s state and newest page: the early thread's, else asked for now.

    ``service`` is left on the folder either way, ready for the rest of the listing.

    Raises:
        IMAPError: The early thread's error, or this request's.
    """
    if first is None:
        info = service.select(folder, readonly=True)
        return info, service.fetch_newest(page_size)
    if first.error is not None:
        raise first.error
    assert first.info is not None
    service.current = first.info
    return first.info, list(first.rows)
