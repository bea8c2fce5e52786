"""Opening a folder with the header cache: cached rows at once, then the server's changes.

``load_folder`` runs in the main screen's folder-load worker thread:

1. The cached rows (if the folder is cached complete) are posted at once as a
   ``FolderPageLoaded`` marked ``cached``: the whole list is on screen before the server has said
   a word, and the title says it is from the cache until the server confirms it.
2. The folder is examined afresh. Same UIDVALIDITY: ``cache.sync.resync`` asks what changed
   (usually nothing, or a few flags), posts ``FolderResynced``, and records it in the cache.
   Another UIDVALIDITY, or nothing cached: the folder is listed as without a cache (newest page,
   then older rows in chunks, newest first), and each chunk is stored as it arrives.

Cache writes happen here, in the worker thread, after the screen has its rows; never on the UI
thread. A failed resync keeps the cached rows on screen with a banner and tries again.

Also here: the two mixins that connect this to the app (``CacheOwner``: the cache object,
"Clear the header cache", notices) and to the main screen (``CachedFolderView``: the handlers).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from sage_tui.first_page import FirstPageResult
from sage_tui.imap.client import IMAPClient
from sage_tui.imap.config import ConnectionConfig
from sage_tui.imap.errors import IMAPError
from sage_tui.imap.mailbox import IMAPMailboxService
from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.messages import (
    CacheCleared,
    CacheNoticed,
    FolderChunkLoaded,
    FolderLoadFailed,
    FolderLoadFinished,
    FolderPageLoaded,
    FolderResynced,
    FolderResyncFailed,
)
from sage_tui.text import one_line
from sage_tui.triage import newest_first_chunks

if TYPE_CHECKING:
    from sage_tui.app import SageApp
    from sage_tui.cache import HeaderCache
    from sage_tui.screens.main import MainScreen

    _Screen = MainScreen
    _App = SageApp
else:
    _Screen = object
    _App = object

log = logging.getLogger(__name__)

Post = Callable[[Message], object]


def cache_account(config: ConnectionConfig) -> str:
    """The cache's name for an account: who and where (never the password)."""
    return f"{config.username}@{config.host}:{config.port}"


def load_folder(
    client: IMAPClient,
    cache: HeaderCache,
    name: str,
    generation: int,
    post: Post,
    cancelled: Callable[[], bool],
    *,
    page_size: int,
    chunk_size: int,
    first: FirstPageResult | None = None,
    page_shown: bool = False,
) -> None:
    """Show ``name`` from the cache, then bring it (and the cache) up to the server's state.

    Args:
        client: The account's engine client.
        cache: The header cache.
        name: The folder.
        generation: The folder view the results belong to (stale ones are dropped).
        post: Where results go (the screen's ``post_message``).
        cancelled: True once the view no longer wants results (the user moved on); cache
            writes of a finished resync still happen, since they are true regardless.
        page_size: Rows of the first page when listing without a cache.
        chunk_size: Rows per later chunk.
        first: The folder's state and newest page as fetched at start-up
            (``sage_tui.first_page``), used instead of asking again when nothing is cached.
        page_shown: ``first``'s page is on screen already: it is not posted again.
    """
    from sage_tui.cache import resync, store_delta

    account = cache_account(client.config)
    service = IMAPMailboxService(client)
    examined = _examine(service, name, first)  # the server works while the cache is read
    cached = cache.load(account, name)
    if cached is not None and not cancelled():
        post(FolderPageLoaded(generation, cached.select_info(), cached.rows, cached=True))
    try:
        info = examined.result()
    except IMAPError as error:
        post(FolderResyncFailed(generation, name, error) if cached is not None
             else FolderLoadFailed(generation, name, error))
        return
    if cached is not None and cached.state.uidvalidity == info.uidvalidity:
        try:
            delta = resync(service, cached, info)
        except IMAPError as error:
            post(FolderResyncFailed(generation, name, error))
            return
        if not cancelled():
            post(FolderResynced(generation, delta.info, delta.added, delta.flags, delta.removed))
            post(FolderLoadFinished(generation))
        store_delta(cache, account, cached, delta)
        log.debug("resynced %s from the cache (%s): +%d, -%d, %d flag changes", name,
                  delta.method, len(delta.added), len(delta.removed), len(delta.flags))
        return
    if cached is not None:
        log.info("%s: UIDVALIDITY changed; the cached rows are discarded", name)
    if first is not None and cached is None:
        newest, post_page = list(first.rows), not page_shown
    else:
        try:
            newest, post_page = service.fetch_newest(page_size), True
        except IMAPError as error:
            post(FolderLoadFailed(generation, name, error))
            return
    _list(service, cache, account, info, newest, generation, post, cancelled, chunk_size,
          post_page=post_page)


def _examine(service: IMAPMailboxService, name: str, first: FirstPageResult | None
             ) -> Future[SelectInfo]:
    """The folder's state as of now: the start-up EXAMINE (``first``), or a new one, run on a
    thread of its own so that the server answers while the cache is read and decoded.

    A new EXAMINE even where a pooled connection has the folder open: the cache stores
    UIDNEXT and HIGHESTMODSEQ, which a reused selection does not bring up to date.
    """
    examined: Future[SelectInfo] = Future()
    if first is not None:
        if first.error is not None:
            examined.set_exception(first.error)
        else:
            assert first.info is not None
            service.current = first.info
            examined.set_result(first.info)
        return examined

    def run() -> None:
        try:
            examined.set_result(service.reselect(name))
        except Exception as error:  # handed to the waiting worker, which reports it
            examined.set_exception(error)

    threading.Thread(target=run, name="sage-examine", daemon=True).start()
    return examined


def _list(
    service: IMAPMailboxService,
    cache: HeaderCache,
    account: str,
    info: SelectInfo,
    newest: list[MessageSummary],
    generation: int,
    post: Post,
    cancelled: Callable[[], bool],
    chunk_size: int,
    *,
    post_page: bool = True,
) -> None:
    """List the folder as without a cache (``newest``, its newest page, first, unless
    ``post_page`` is False: it is on screen already), storing it on the way.

    The state goes in with the last rows, so the folder counts as cached only once every row
    is stored; a listing cut short (an error, the user moving on) is never used.
    """
    if cancelled():
        return
    if post_page:
        post(FolderPageLoaded(generation, info, newest))
    name = info.name
    listing = (cache.start_listing(account, name, info)
               if info.exists <= cache.max_rows else None)  # too big: never cached
    try:
        rest: list[int] = []
        if info.exists > len(newest):
            known = {row.uid for row in newest}
            rest = [uid for uid in reversed(service.search()) if uid not in known]
        if listing is not None:
            (listing.add if rest else listing.finish)(newest)
        for rows, done in newest_first_chunks(service, rest, chunk_size):
            if cancelled():
                return
            post(FolderChunkLoaded(generation, rows, done, len(rest)))
            if listing is not None:
                (listing.finish if done == len(rest) else listing.add)(rows)
    except IMAPError as error:
        post(FolderLoadFailed(generation, name, error))
        return
    if not cancelled():
        post(FolderLoadFinished(generation))


class CachedFolderView(_Screen):
    """The main screen's side: cached rows marked until confirmed, then the changes applied.

    A mixin of ``MainScreen``; handlers are found by name (``on_folder_resynced``), which works
    in a mixin where ``@on`` would not.
    """

    cached_generation: int = 0
    """The folder view whose rows came from the cache and await the server (0: none)."""

    @property
    def showing_cached(self) -> bool:
        """The rows on screen are the cache's, not yet confirmed by the server."""
        return self.cached_generation != 0 and self.cached_generation == self.generation

    def load_with_cache(self, name: str, generation: int, page_size: int, chunk_size: int,
                        first: FirstPageResult | None = None, *, page_shown: bool = False
                        ) -> bool:
        """Run in the folder-load worker: load through the cache; False when it is off.

        ``first``: the folder's page as fetched at start-up, used when nothing is cached;
        ``page_shown``: the screen already shows it."""
        cache: HeaderCache | None = getattr(self.app, "header_cache", None)
        if cache is None or cache.disabled is not None:
            return False
        worker = get_current_worker()
        load_folder(self.client, cache, name, generation, self.post_message,
                    lambda: worker.is_cancelled, page_size=page_size, chunk_size=chunk_size,
                    first=first, page_shown=page_shown)
        return True

    def on_folder_resynced(self, event: FolderResynced) -> None:
        if event.generation != self.generation:
            return
        self.cached_generation = 0
        self._connection_ok()
        self.connection_back()
        gone = [uid for uid in event.removed if uid in self.model]
        if gone:
            self.model.remove(gone)
            if self._reader_uid in gone:
                self.reader_message_gone()  # deleted elsewhere while the cache showed it
        self.model.add(event.added)
        for uid, flags in event.flags.items():
            row = self.model.get(uid)
            if row is not None and row.flags != flags:
                self.model.update(replace(row, flags=flags))
        self.info = event.info
        self._restore_cursor()
        self.message_list.rows_changed()
        self._hide_banner()
        self._update_title()
        self._start_watching(event.info.name, event.generation)

    def on_folder_resync_failed(self, event: FolderResyncFailed) -> None:
        if event.generation != self.generation:
            return
        what = f"{event.folder} shows the cached list; the server could not be asked"
        if event.error.transient:  # tries again by itself, with a countdown
            self.schedule_reopen(event.folder, f"{what}: {one_line(str(event.error))}")
        else:
            self._show_banner(f"{what}: {event.error}  ·  ctrl+r tries again")
        self._update_title()


_CACHE_LOCK = threading.Lock()
"""Guards making the cache: the first folder load and "Clear cache" may ask at once."""


class CacheOwner(_App):
    """The app's side: the cache object, its notices, and "Clear the header cache"."""

    _cache_wanted = False
    _cache: HeaderCache | None = None

    def open_header_cache(self, enabled: bool) -> None:
        """Use the cache, or not (``--no-cache``). It is made on first use, normally by the
        folder-load worker after the first frame: its modules (SQLite among them) need not
        load before the first page shows."""
        self._cache_wanted = enabled
        self._cache = None

    @property
    def header_cache(self) -> HeaderCache | None:
        """The cache (nothing touches the disk until a folder opens), None when it is off."""
        if not self._cache_wanted:
            return None
        with _CACHE_LOCK:
            if self._cache is None:
                from sage_tui.cache import HeaderCache

                self._cache = HeaderCache.at_default_location(
                    notice=lambda words: self.post_message(CacheNoticed(words)))
            return self._cache

    def action_clear_cache(self) -> None:
        self._clear_cache()

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def _clear_cache(self) -> None:
        from sage_tui.cache import HeaderCache
        from sage_tui.cache.store import CacheStats

        # With --no-cache the file on disk is still the user's to clear.
        cache = self.header_cache or HeaderCache.at_default_location()
        stats = cache.clear() if cache.path.exists() else CacheStats(0, 0)
        self.post_message(CacheCleared(stats.folders, stats.rows))

    def on_cache_cleared(self, event: CacheCleared) -> None:
        words = (f"Forgot {event.rows:,} cached messages in {event.folders:,} folders; "
                 "folders load from the server until cached again." if event.folders
                 else "The header cache is empty.")
        self._say_cache(words, "information")

    def on_cache_noticed(self, event: CacheNoticed) -> None:
        self._say_cache(event.words, "warning")

    def _say_cache(self, words: str, severity: str) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.say(words, title="Header cache", severity=severity, timeout=8)
        else:
            self.notify(words, title="Header cache", severity=severity,  # type: ignore[arg-type]
                        markup=False)
