"""The triage screen: folder tree, message list and reader, and every action on them.

All IMAP work runs in thread workers against the shared pool; workers only post messages
(``sage_tui.messages``) and the handlers here change the widgets. Each folder view has a
generation number, so results for a folder the user already left are dropped. Actions change the
screen at once, then reach the server in the order they were taken (``InOrder``), and a failure
puts the screen back as the server has it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from sage_tui.account import Account
from sage_tui.first_page import PAGE_SIZE, FirstPage, FirstPageResult, open_page
from sage_tui.folder_loading import CachedFolderView
from sage_tui.health_feed import HealthFeed
from sage_tui.imap.client import IMAPClient
from sage_tui.imap.errors import IMAPError
from sage_tui.imap.idle import FolderChange, FolderWatcher
from sage_tui.imap.mailbox import IMAPMailboxService
from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.listing import SORT_KEYS, MessageListModel, ViewMemory
from sage_tui.messages import (
    FolderChanged,
    FolderChunkLoaded,
    FolderLoadFailed,
    FolderLoadFinished,
    FolderPageLoaded,
    FoldersListed,
    FolderSynced,
    MessageLoaded,
    MessageLoadFailed,
    SyncFailed,
    WatchFailed,
)
from sage_tui.ordering import InOrder
from sage_tui.places import Group
from sage_tui.saved_searches import SearchStore
from sage_tui.screens.actions import TriageActions, plural
from sage_tui.screens.connection_status import ConnectionStatus
from sage_tui.screens.reader_actions import ReaderActions
from sage_tui.screens.search_view import SearchView, looks_like_query
from sage_tui.text import literal_line, one_line
from sage_tui.triage import UndoRecord, newest_first_chunks, service_for
from sage_tui.widgets.account_bar import AccountBar
from sage_tui.widgets.folder_tree import FolderTree
from sage_tui.widgets.message_list import MessageList
from sage_tui.widgets.reader import Reader

if TYPE_CHECKING:
    from sage_tui.imap.search import IMAPSearchCriteria

CHUNK_SIZE = 2000
NARROW_WIDTH = 100
"""Below this many columns the three panes become one view at a time."""
PREVIEW_DELAY = 0.15
"""Seconds the cursor must rest on a message before the reader fetches it (j-j-j is free)."""

class MainScreen(TriageActions, ReaderActions, SearchView, ConnectionStatus, CachedFolderView,
                 Screen[None]):
    """Folders, messages and the reader, side by side or (narrow) one at a time."""

    BINDING_GROUP_TITLE = "Triage"
    AUTO_FOCUS = "#messages"
    """The list has the keys from the start (focusing the tree first, then the list, would
    build the footer twice)."""
    BINDINGS = [
        Binding("a", "archive", "Archive", id="mail.archive"),
        Binding("d", "delete", "Delete", id="mail.delete"),
        Binding("m", "move", "Move", id="mail.move"),
        Binding("r", "toggle_read", "Read/unread", id="mail.read"),
        Binding("f", "toggle_flag", "Flag", id="mail.flag"),
        Binding("u", "undo", "Undo", id="mail.undo"),
        Binding("slash", "filter", "Filter", id="mail.filter"),
        Binding("s", "search_builder", "Search", id="mail.search"),
        Binding("w", "save_search", "Save search", show=False, id="mail.save_search"),
        Binding("v", "toggle_reader", "Reader", id="view.reader"),
        Binding("h", "toggle_health", "Health panel", show=False, id="view.health"),
        Binding("H", "app.connection_health", "Connection health", show=False,
                id="view.health_screen"),
        Binding("R", "raw_source", "Raw source", show=False, id="reader.raw"),
        Binding("S", "save_attachment", "Save attachment", show=False, id="reader.save"),
        Binding("ctrl+a", "select_all", "Select all", show=False, id="list.select_all"),
        Binding("t", "toggle_threads", "Threads", show=False, id="list.threads"),
        Binding("o", "cycle_sort", "Sort", show=False, id="list.sort"),
        Binding("ctrl+r", "reload", "Reload folder", show=False, id="mail.reload"),
        Binding("tab", "next_pane", "Next pane", show=False, id="view.next"),
        Binding("escape", "back", "Back", show=False, id="view.back"),
    ]

    DEFAULT_CSS = """
    MainScreen #panes { height: 1fr; }
    MainScreen #folders { width: 26; border-right: vkey $primary 30%; }
    MainScreen #list-pane { width: 1fr; }
    MainScreen #reader { width: 42%; border-left: vkey $primary 30%; }
    MainScreen #list-title { height: 1; background: $primary 15%; padding: 0 1; }
    MainScreen #banner { display: none; height: auto; background: $error 30%; padding: 0 1; }
    MainScreen #banner.-shown { display: block; }
    MainScreen #status-banner {
        display: none; height: auto; background: $warning 25%; padding: 0 1;
    }
    MainScreen #status-banner.-shown { display: block; }
    MainScreen MessageList.-stale { color: $text-muted; }
    MainScreen #filter { display: none; border: none; height: 1; padding: 0 1; }
    MainScreen #filter.-shown { display: block; }
    MainScreen #filter.-invalid { height: 2; border-bottom: solid $error; }
    MainScreen.-no-reader #reader { display: none; }
    MainScreen.-narrow #folders, MainScreen.-narrow #list-pane, MainScreen.-narrow #reader {
        display: none; width: 1fr; border: none;
    }
    MainScreen.-narrow.-view-folders #folders { display: block; }
    MainScreen.-narrow.-view-messages #list-pane { display: block; }
    MainScreen.-narrow.-view-reader #reader { display: block; }
    """

    def __init__(self, account: Account, client: IMAPClient, *, watch: bool = True,
                 poll_interval: float = 30.0, health_feed: HealthFeed | None = None,
                 first_page: FirstPage | None = None) -> None:
        """``first_page``: the default folder's newest page, being fetched since start-up
        (``sage_tui.first_page``); the first listing of that folder takes it."""
        super().__init__()
        self.first_page = first_page
        self._early_rows: tuple[int, list[MessageSummary]] | None = None
        """The start-up page shown for a folder view (generation, rows): kept on top of cached
        rows, which may be older."""
        self.health_feed = health_feed
        self.account = account
        self.client = client
        self.search_store = SearchStore.for_account(account.label)
        self.watch_enabled = watch
        self.poll_interval = poll_interval
        self.folder = ""
        self.info: SelectInfo | None = None
        self.generation = 0
        self.folder_generation = 0
        self.action_progress: tuple[str, int, int] | None = None
        self.model = MessageListModel()
        self.memory: dict[str, ViewMemory] = {}
        self.undo_stack: list[UndoRecord] = []
        self.loaded = False
        self.view = "messages"
        self._pending_cursor: int | None = None
        self._progress: tuple[int, int] | None = None
        self._order = InOrder()
        self._watch_stop: threading.Event | None = None
        self._watchers: list[FolderWatcher] = []
        self._preview_timer: Timer | None = None
        self._reader_uid: int | None = None
        self._sync_pending = False

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Before the widgets exist, setting the layout classes restyles nothing.
        self._layout_classes(self.view, self.app.size.width < NARROW_WIDTH)
        yield AccountBar(self.account, id="account-bar")
        with Horizontal(id="panes"):
            yield FolderTree(id="folders")
            with Vertical(id="list-pane"):
                yield Static(id="list-title")
                yield Static(id="status-banner")
                yield Static(id="banner")
                yield MessageList(self.model, id="messages")
                yield Input(placeholder="words narrow the list · enter searches the server "
                            "(from:ana since:2024-01-01 -flagged) · esc clears", id="filter")
            yield Reader(id="reader")
        yield Footer()

    @property
    def message_list(self) -> MessageList:
        return self.query_one("#messages", MessageList)

    @property
    def folder_tree(self) -> FolderTree:
        return self.query_one("#folders", FolderTree)

    @property
    def reader(self) -> Reader:
        return self.query_one("#reader", Reader)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def on_mount(self) -> None:
        self._show_link()
        self.query_one("#filter", Input).cursor_blink = False
        self._apply_width(self.app.size.width)
        self.message_list.focus()
        names = self.first_page.folder_names(wait=False) if self.first_page is not None else None
        if names is not None:  # listed at start-up: in the first frame, counts right after it
            self._folders_listed(FoldersListed(names))
            self.call_after_refresh(self.refresh_folders)
        else:
            self.refresh_folders(names_first=True)
        self.show_saved_searches()
        self.open_folder(self.account.default_folder)

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.show_view(self.view, narrow=width < NARROW_WIDTH)

    def _layout_classes(self, view: str, narrow: bool) -> None:
        """Set the layout classes in one batch: each change of a screen's classes restyles
        every widget on it."""
        self.update_classes({"-narrow": narrow, **{f"-view-{name}": name == view
                                                   for name in ("folders", "messages", "reader")}})

    def show_view(self, view: str, *, narrow: bool | None = None) -> None:
        """Narrow layout: show one of folders / messages / reader, and focus it."""
        self.view = view
        self._layout_classes(view, self.narrow if narrow is None else narrow)
        if not self.narrow:
            return
        target = {"folders": "#folders", "messages": "#messages", "reader": "#reader"}[view]
        self.query_one(target).focus()

    def reader_visible(self) -> bool:
        if self.narrow:
            return self.view == "reader"
        return not self.has_class("-no-reader")

    # -- folders ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="folders", exit_on_error=False)
    def refresh_folders(self, *, names_first: bool = False) -> None:
        """List folders with counts; ``names_first`` shows the tree before STATUS answers
        (one STATUS per folder is slow on some servers)."""
        service = IMAPMailboxService(self.client)
        if names_first:
            early = self.first_page.folder_names() if self.first_page is not None else None
            self.post_message(FoldersListed(early if early is not None
                                            else service.list_folders(status=False)))
        self.post_message(FoldersListed(service.list_folders()))

    @on(FoldersListed)
    def _folders_listed(self, event: FoldersListed) -> None:
        self._connection_ok()
        if any(f.unseen is not None for f in event.folders) and self.folder_tree.has_searches:
            self.refresh_search_counts()  # counts change with the folders' contents
        self.folder_tree.set_folders(event.folders, current=self.folder)

    @on(FolderTree.FolderChosen)
    def _folder_chosen(self, event: FolderTree.FolderChosen) -> None:
        if event.folder.name != self.folder:
            self.open_folder(event.folder.name)
        if self.narrow:
            self.show_view("messages")
        else:
            self.message_list.focus()

    def open_folder(self, name: str) -> None:
        """Show ``name``: newest page first, the rest in the background, then watch it."""
        if self.folder:
            self.memory[self.folder] = self.model.remember()
        self.generation += 1
        self.folder_generation = self.generation
        self.folder = name
        self.info = None
        self.search = None
        self.search_name = None
        if self.places is not None:
            self.model.sort = self._folder_sort
            self.places = None
        self.loaded = False
        sort = self.model.sort
        threaded = self.model.threaded
        self.model = MessageListModel()
        self.model.sort, self.model.threaded = sort, threaded
        memory = self.memory.get(name)
        self._pending_cursor = None
        if memory is not None:
            self.model.recall(memory)
            self._pending_cursor = memory.cursor_uid
        self._progress = None
        self._reader_uid = None
        message_list = self.message_list
        message_list.folder_of = None
        message_list.empty_text = f"Loading {one_line(name)}…"
        message_list.set_model(self.model)
        self.reader.show_text("Select a message to read it.")
        self._hide_banner()
        self._update_title()
        self.folder_tree.select_folder(name)
        self._stop_watching()
        early = self.first_page.take(name, wait=False) if self.first_page is not None else None
        if early is not None and early.info is not None:
            # Fetched while the app was loading: drawn with the very first frame, and the rest
            # of the listing starts once that frame is out (a worker would compete for the GIL).
            self._early_rows = (self.generation, list(early.rows))
            self._page_loaded(FolderPageLoaded(self.generation, early.info, list(early.rows)))
            self.call_after_refresh(self._load_folder, name, self.generation, early)
            return
        self._load_folder(name, self.generation, early)

    @work(thread=True, exclusive=True, group="folder-load", exit_on_error=False)
    def _load_folder(self, name: str, generation: int, early: FirstPageResult | None = None
                     ) -> None:
        """List ``name``: the newest page, then the rest in chunks (through the header cache
        unless it is off). ``early``: the start-up page, already on screen unless it failed."""
        shown = early is not None and early.info is not None
        first = early
        if first is None and self.first_page is not None:
            first = self.first_page.take(name)  # still on its way when the folder opened
        if self.load_with_cache(name, generation, PAGE_SIZE, CHUNK_SIZE, first,
                                page_shown=shown):
            return  # cached rows first, then what changed (sage_tui.folder_loading)
        worker = get_current_worker()
        service = IMAPMailboxService(self.client)
        try:
            info, newest = open_page(service, name, first)
        except IMAPError as error:
            self.post_message(FolderLoadFailed(generation, name, error))
            return
        if worker.is_cancelled:
            return
        if not shown:
            self.post_message(FolderPageLoaded(generation, info, newest))
        try:
            if info.exists > len(newest):
                known = {row.uid for row in newest}
                rest = [uid for uid in reversed(service.search()) if uid not in known]
                for rows, done in newest_first_chunks(service, rest, CHUNK_SIZE):
                    if worker.is_cancelled:
                        return
                    self.post_message(FolderChunkLoaded(generation, rows, done, len(rest)))
        except IMAPError as error:
            self.post_message(FolderLoadFailed(generation, name, error))
            return
        if not worker.is_cancelled:
            self.post_message(FolderLoadFinished(generation))

    @on(FolderPageLoaded)
    def _page_loaded(self, event: FolderPageLoaded) -> None:
        if event.generation != self.generation:
            return
        self.info = event.info
        self.cached_generation = event.generation if event.cached else 0
        self._connection_ok()
        self.connection_back()
        self.model.set_rows(event.rows)
        early = self._early_rows
        if event.cached and early is not None and early[0] == event.generation:
            fresher = [row for row in early[1] if self.model.get(row.uid) != row]
            if fresher:
                self.model.add(fresher)  # the server's page is newer than the cache
        self._restore_cursor()
        self.message_list.empty_text = "This folder is empty."
        self.message_list.rows_changed()
        self._progress = (len(event.rows), event.info.exists) if event.info.exists > len(
            event.rows) else None
        self._hide_banner()
        self._update_title()
        if not event.cached:  # cached rows: watching starts once the server confirmed them
            # After the frame with the rows: the watcher's connection can wait that long.
            self.call_after_refresh(self._start_watching, event.info.name, event.generation)
        if self.pending_search is not None:
            criteria, self.pending_search = self.pending_search, None
            self.run_search(criteria)

    @on(FolderChunkLoaded)
    def _chunk_loaded(self, event: FolderChunkLoaded) -> None:
        if event.generation != self.generation:
            return
        self.model.add(event.rows)
        self._restore_cursor()
        self.message_list.rows_changed()
        if self.search is not None:
            self.search_total = event.total
        expected = event.total if self.search is not None or self.info is None else self.info.exists
        self._progress = (self.model.total, expected)
        self._update_title()

    @on(FolderLoadFinished)
    def _load_finished(self, event: FolderLoadFinished) -> None:
        if event.generation != self.generation:
            return
        self.loaded = True
        self._progress = None
        self._update_title()

    @on(FolderLoadFailed)
    def _load_failed(self, event: FolderLoadFailed) -> None:
        if event.generation != self.generation:
            return
        self._progress = None
        kept = self.model.total
        what = f"Could not open {event.folder}" if not kept else (
            f"{event.folder} is only partly listed ({kept:,} messages)")
        if event.error.transient:  # the server may come back: try again by itself
            self.schedule_reopen(event.folder, f"{what}: {one_line(str(event.error))}")
        else:
            self._show_banner(f"{what}: {event.error}  ·  ctrl+r tries again")
        if not kept:
            self.message_list.empty_text = f"{event.folder} could not be loaded."
            self.message_list.rows_changed()
        self._update_title()

    def _connection_ok(self) -> None:
        bar = self.query_one(AccountBar)
        if bar.state != "connected":
            bar.state, bar.detail = "connected", ""

    def _restore_cursor(self) -> None:
        if self._pending_cursor is not None and self._pending_cursor in self.model:
            index = self.model.index_of(self._pending_cursor)
            if index is not None:
                self.model.move_cursor(index)
                self._pending_cursor = None

    def _update_title(self) -> None:
        title = Text()
        where = "All folders" if self.places is not None else self.folder or "…"
        title.append_text(literal_line(where, style="bold"))
        if self.search is not None:
            title.append(f"  {self.search_title()}")
        elif self.info is not None:
            # Once everything is listed the model is the truth (moves, undo, new mail);
            # until then, what SELECT said.
            count = self.model.total if self.loaded else self.info.exists
            title.append(f"  {plural(count, 'message')}")
        if self.stale_reason is not None:
            title.append("  ·  stale (not connected)", style="italic")
        if self.showing_cached:
            title.append("  ·  from cache, checking the server…", style="italic")
        if self.model.selected:
            title.append(f"  ·  {len(self.model.selected):,} selected", style="bold")
        if self.model.filter_text:
            title.append(f"  ·  filter: {one_line(self.model.filter_text)} "
                         f"({plural(len(self.model), 'match')})")
        if self.model.threaded:
            title.append("  ·  threads folded")
        if self.model.sort != "arrival":
            title.append(f"  ·  sorted by {SORT_KEYS[self.model.sort][0]}")
        if self.action_progress is not None:
            verb, done, total = self.action_progress
            title.append(f"  ·  {verb} {done:,} of {total:,}", style="italic")
        if self._progress is not None:
            done, total = self._progress
            percent = int(100 * done / total) if total else 100
            title.append(f"  ·  loading {done:,} of {total:,} ({percent}%)", style="italic")
        self.query_one("#list-title", Static).update(title)

    def _show_banner(self, words: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(literal_line(words))
        banner.add_class("-shown")

    def _hide_banner(self) -> None:
        self.query_one("#banner", Static).remove_class("-shown")

    # -- watching for new mail ----------------------------------------------------------------

    def _start_watching(self, folder: str, generation: int) -> None:
        if not self.watch_enabled or generation != self.generation:
            return
        self._stop_watching()
        info = self.info
        known = (info.exists, info.uidnext) if info is not None and info.name == folder else None
        watcher = FolderWatcher(self.client.config, folder, poll_interval=self.poll_interval,
                                known=known)
        stop = threading.Event()
        self._watch_stop = stop
        # Stopped watchers end within a second; the last few are kept so that quitting can
        # interrupt one still waiting for a slow server.
        self._watchers = [*self._watchers[-3:], watcher]
        self._watch(watcher, generation, stop)

    def _stop_watching(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()
            self._watch_stop = None

    def stop_background(self) -> None:
        """Stop the watcher (called when the app shuts down)."""
        self._stop_watching()

    def interrupt_background(self, deadline: float) -> None:
        """Give stopped watchers until ``deadline`` (monotonic) to say DONE and LOGOUT, then
        shut the sockets of those still waiting for the server (quitting)."""
        for watcher in self._watchers:
            if not watcher.finished.wait(max(0.0, deadline - time.monotonic())):
                watcher.interrupt()

    def on_unmount(self) -> None:
        self._stop_watching()

    @work(thread=True, group="watch", exit_on_error=False)
    def _watch(self, watcher: FolderWatcher, generation: int, stop: threading.Event) -> None:
        def changed(change: FolderChange) -> None:
            self.post_message(FolderChanged(generation, change))

        def failed(error: IMAPError) -> None:
            self.post_message(WatchFailed(generation, error, watcher.retry_in))

        watcher.run(changed, stop, failed)

    @on(FolderChanged)
    def _folder_changed(self, event: FolderChanged) -> None:
        # The watcher belongs to the folder, not to a view: a search view still hears it.
        if event.generation != self.folder_generation or self.info is None:
            return
        if self.search is not None:
            # Counts and results stay right as mail arrives.
            if self.places is not None:
                self.run_search_everywhere(self.search)
            else:
                self.run_search(self.search)
            if event.change.reason == "reconnect":
                self.connection_back()
            return
        # After a reconnect anything may have changed meanwhile: every row's flags are read.
        self.reload_in_place(every_flag=event.change.reason == "reconnect")

    def reload_in_place(self, *, every_flag: bool = True) -> None:
        """Bring the rows on screen up to date without clearing them (new mail, expunges,
        flags; and the rest of a listing that a failure cut short)."""
        if self.info is None or not self.model.total:
            self.open_folder(self.folder)
            return
        visible = self.model.uids if every_flag else self.model.uids[:PAGE_SIZE]
        known = None if self.loaded else frozenset(self.model.uids)
        self._sync(self.info, self.generation, self.model.max_uid, visible, known)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self, info: SelectInfo, generation: int, max_uid: int, visible: list[int],
              known: frozenset[int] | None = None) -> None:
        """New mail, messages expunged elsewhere, and the flags of ``visible`` rows (read or
        flagged on another device); with ``known``, the listing was cut short, and the rows
        still missing are streamed as in a first listing."""
        worker = get_current_worker()
        service = service_for(self.client, info)
        try:
            new_uids = service.uids_after(max_uid)
            new_rows = service.fetch(new_uids) if new_uids else []
            present = set(service.search(fresh=True))
            flags = {row.uid: row.flags for row in service.fetch(visible, fields=["FLAGS"])
                     } if visible else {}
            self.post_message(FolderSynced(generation, new_rows, present, flags, max_uid))
            if known is None:
                return
            rest = sorted(present - known - set(new_uids), reverse=True)
            for rows, done in newest_first_chunks(service, rest, CHUNK_SIZE):
                if worker.is_cancelled:
                    return
                self.post_message(FolderChunkLoaded(generation, rows, done, len(rest)))
        except IMAPError as error:
            self.post_message(SyncFailed(generation, error))
            return
        if not worker.is_cancelled:
            self.post_message(FolderLoadFinished(generation))

    def on_sync_failed(self, event: SyncFailed) -> None:
        if event.generation != self.generation:
            return
        if event.error.transient:
            self.schedule_reopen(self.folder, f"Could not re-read {one_line(self.folder)}: "
                                 f"{one_line(str(event.error))}")
        else:
            self._show_banner(f"Could not re-read {self.folder}: {event.error}  ·  ctrl+r "
                              "tries again")

    @on(FolderSynced)
    def _synced(self, event: FolderSynced) -> None:
        self.refresh_folders()  # unread counts (started here, on the UI thread)
        if event.generation != self.generation:
            return
        self.connection_back()
        present = event.present
        # Only rows the server was asked about can be missing from its answer: a row above
        # what the list held when the sync began (an undo that landed meanwhile) is newer than
        # this answer, not gone. The newest row itself can be gone (expunged elsewhere).
        newest_known = max(max(present, default=0), event.asked_up_to)
        gone = [uid for uid in self.model.uids
                if uid not in present and uid <= newest_known] if self.loaded else []
        if gone:
            self.model.remove(gone)
            if self._reader_uid in gone:
                self.reader_message_gone()  # deleted elsewhere while open: say so
        added = self.model.add(event.new_rows)
        for uid, flags in event.flags.items():
            row = self.model.get(uid)
            if row is not None and row.flags != flags:
                self.model.update(replace(row, flags=flags))
                self.message_list.refresh()
        if added or gone:
            self.message_list.rows_changed()
            if self.info is not None:
                self.info = replace(self.info, exists=len(present))
            self._update_title()
        if added:
            self.say(f"{plural(added, 'new message')} in {one_line(self.folder)}",
                     title="New mail", timeout=4)

    # -- reading ------------------------------------------------------------------------------

    @on(MessageList.Highlighted)
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if event.uid is None:
            self.reader.show_text("No message selected.")
            self._reader_uid = None
            return
        if self.reader_visible() and event.uid != self._reader_uid:
            uid = event.uid
            self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self.read_message(uid))

    @on(MessageList.Opened)
    def _opened(self, event: MessageList.Opened) -> None:
        if self.narrow:
            self.show_view("reader")
        elif self.has_class("-no-reader"):
            self.remove_class("-no-reader")
        self.read_message(event.uid, mark_seen=True)

    def read_message(self, uid: int, *, mark_seen: bool = False) -> Worker[None] | None:
        """Show message ``uid`` (a view key) in the reader; ``mark_seen`` as when the user
        opens it."""
        row = self.model.get(uid)
        groups = self.groups_for([uid]) if row is not None else []
        if row is None or not groups:
            return None
        if mark_seen and not row.seen:
            self._change_flags([uid], "\\Seen", add=True)
        if uid == self._reader_uid and self.reader.message is not None:
            return None
        self._reader_uid = uid
        self.reader.show_text("Loading…")
        return self._load_message(uid, groups[0], self.generation)

    @work(thread=True, exclusive=True, group="reader", exit_on_error=False)
    def _load_message(self, key: int, group: Group, generation: int) -> None:
        try:
            message = service_for(self.client, group.info).fetch_message(group.uids[0])
        except IMAPError as error:
            self.post_message(MessageLoadFailed(generation, key, error))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(MessageLoaded(generation, message, key))

    @on(MessageLoaded)
    def _message_loaded(self, event: MessageLoaded) -> None:
        if event.generation == self.generation and event.key == self._reader_uid:
            self.reader.show_message(event.message)

    @on(MessageLoadFailed)
    def _message_failed(self, event: MessageLoadFailed) -> None:
        if event.generation == self.generation and event.uid == self._reader_uid:
            self._reader_uid = None
            self.reader.show_text(f"This message could not be opened: {one_line(str(event.error))}")

    # -- filter, sort, views ------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.narrow:
            self.show_view("messages")
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Plain words narrow the loaded rows as you type; query syntax waits for enter.
        self.model.set_filter("" if looks_like_query(event.value) else event.value)
        self.message_list.rows_changed()
        self._update_title()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        box = self.query_one("#filter", Input)
        if not self.submit_query(box.value):
            return  # stays open, marked, saying what is wrong
        box.value = ""
        box.remove_class("-shown")
        self.message_list.focus()

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("-shown", "-invalid")
        box.border_subtitle = ""
        self.model.set_filter("")
        self.message_list.rows_changed()
        self._update_title()
        self.message_list.focus()

    def action_cycle_sort(self) -> None:
        names = list(SORT_KEYS)
        self.model.set_sort(names[(names.index(self.model.sort) + 1) % len(names)])
        self.message_list.rows_changed()
        self._update_title()

    def action_search_builder(self) -> None:
        """The visual builder, starting from the search on screen (if any)."""

        def chosen(criteria: IMAPSearchCriteria | None) -> None:
            if criteria is not None:
                self.run_search(criteria)

        from sage_tui.screens.builder import BuilderScreen

        self.app.push_screen(BuilderScreen(self.client, self.info, self.search), chosen)

    def action_select_all(self) -> None:
        """Select every row shown (all search results, or the filtered rows)."""
        self.model.selected = set(self.model.uids)
        self.message_list.refresh()
        self._update_title()

    def action_toggle_threads(self) -> None:
        """Fold each thread into one row; actions on it then take the whole thread."""
        self.model.set_threaded(not self.model.threaded)
        self.message_list.rows_changed()
        self._update_title()

    def action_toggle_health(self) -> None:
        """The docked health panel; shown again, it catches up with what happened meanwhile.

        It is made on the first ``h``, not at start (it would cost the first page time), and
        then fills itself from the feed's history like a panel shown again.
        """
        shown = self.query("#health")
        if shown:
            shown.first().toggle_class("-shown")
            return
        from sage_tui.widgets.health_panel import HealthPanel

        self.mount(HealthPanel(self.health_feed, id="health", classes="-shown"),
                   before=self.query_one(Footer))

    def action_toggle_reader(self) -> None:
        if self.narrow:
            self.show_view("messages" if self.view == "reader" else "reader")
            return
        self.toggle_class("-no-reader")
        current = self.model.current
        if self.reader_visible() and current is not None:
            self.read_message(current.uid)

    def action_next_pane(self) -> None:
        if self.narrow:
            order = ["folders", "messages", "reader"]
            self.show_view(order[(order.index(self.view) + 1) % 3])
            return
        self.focus_next()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus or box.has_class("-shown"):
            self._clear_filter()
        elif self.search is not None:
            self.leave_search()
        elif self.narrow and self.view == "reader":
            self.show_view("messages")
        elif self.narrow and self.view == "messages":
            self.show_view("folders")
        elif self.model.selected:
            self.model.selected.clear()
            self.message_list.refresh()

    def action_reload(self) -> None:
        if self.stale_reason is not None and self.search is None and self.model.total:
            self.reload_in_place()  # keep what is known on screen until the server answers
        elif self.folder:
            self.open_folder(self.folder)
        self.refresh_folders()

    def say(self, words: str, *, title: str = "", severity: str = "information",
            timeout: float = 5) -> None:
        """A notification whose words are shown literally (they often quote server data)."""
        self.notify(words, title=title, severity=severity,  # type: ignore[arg-type]
                    timeout=timeout, markup=False)

    # -- errors from workers ------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors become words on the screen."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, IMAPError):
            if event.worker.group == "folders" and not self.folder_tree.folders:
                self._show_banner(f"Could not list folders: {error}  ·  ctrl+r tries again")
            self.say(one_line(str(error)), title=error.title, severity="error", timeout=8)
        else:
            self.log.error(f"worker {event.worker.name} failed", error)
            self.say(f"Something went wrong: {type(error).__name__}: {one_line(str(error))}",
                     title="Unexpected error", severity="error", timeout=10)

