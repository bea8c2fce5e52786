"""The search view of the main screen: the quick filter's query, run on the server.

Typing after ``/`` narrows the loaded rows at once (plain words, by subject and sender); enter
sends the text as a query (``IMAPSearchCriteria.parse``) to the server, which searches every
message of the folder, bodies included. The results replace the list as a view of their own,
with every triage action; escape goes back to the folder. A query with a mistake is not sent:
the filter line says what is wrong and where.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Input
from textual.worker import Worker, get_current_worker

from sage_tui.imap.errors import IMAPError
from sage_tui.imap.mailbox import IMAPMailboxService
from sage_tui.imap.models import SelectInfo
from sage_tui.imap.search import IMAPSearchCriteria
from sage_tui.listing import MessageListModel
from sage_tui.messages import FolderChunkLoaded, FolderLoadFinished, SearchCounts, SearchFailed
from sage_tui.saved_searches import SavedSearch
from sage_tui.screens.name_prompt import NamePrompt
from sage_tui.text import one_line
from sage_tui.triage import newest_first_chunks, service_for
from sage_tui.widgets.folder_tree import FolderTree

if TYPE_CHECKING:
    from sage_tui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

RESULT_CHUNK = 2000
_QUERY_MARKS = (":", '"', "(", ")")


def looks_like_query(text: str) -> bool:
    """True when the text uses query syntax, so narrowing by plain substring would mislead."""
    stripped = text.strip()
    return (any(mark in stripped for mark in _QUERY_MARKS) or stripped.startswith("-")
            or any(word in ("OR", "AND", "NOT") for word in stripped.split()))


class SearchView(_Base):
    """``run_search`` and its handlers, for ``MainScreen``."""

    search: IMAPSearchCriteria | None = None
    search_total: int = 0
    pending_search: IMAPSearchCriteria | None = None
    """A saved search waiting for its folder to open."""

    def run_search(self, criteria: IMAPSearchCriteria) -> Worker[None] | None:
        """Show the messages of the open folder that match ``criteria``, newest first."""
        if self.info is None:
            self.say("The folder is still opening; search again in a moment.", timeout=3)
            return None
        self.search = criteria
        self.search_total = 0
        self.generation += 1  # rows still arriving for the folder view are dropped
        self.loaded = False
        sort, threaded = self.model.sort, self.model.threaded
        self.model = MessageListModel()
        self.model.sort, self.model.threaded = sort, threaded
        self.message_list.empty_text = "Searching…"
        self.message_list.set_model(self.model)
        self._progress = None
        self._reader_uid = None
        self._update_title()
        return self._search(criteria, self.info, self.generation)

    @work(thread=True, exclusive=True, group="folder-load", exit_on_error=False)
    def _search(self, criteria: IMAPSearchCriteria, info: SelectInfo, generation: int) -> None:
        worker = get_current_worker()
        service = service_for(self.client, info)
        try:
            uids = service.search(criteria, fresh=True)[::-1]  # newest first
            for rows, done in newest_first_chunks(service, uids, RESULT_CHUNK):
                if worker.is_cancelled:
                    return
                self.post_message(FolderChunkLoaded(generation, rows, done, len(uids)))
        except IMAPError as error:
            self.post_message(SearchFailed(generation, criteria.to_query(), error))
            return
        if not worker.is_cancelled:
            self.post_message(FolderLoadFinished(generation))

    def on_search_failed(self, event: SearchFailed) -> None:
        if event.generation != self.generation:
            return
        self.message_list.empty_text = "The search failed."
        self.message_list.rows_changed()
        self._show_banner(f"Search failed: {event.error}")

    def leave_search(self) -> None:
        """Back to the folder view (the folder is listed afresh: it may have changed)."""
        self.search = None
        self.open_folder(self.folder)

    def submit_query(self, text: str) -> bool:
        """Run ``text`` as a search; False (and the mistake shown) when it does not parse."""
        box = self.query_one("#filter", Input)
        if not text.strip():
            if self.search is not None:
                self.leave_search()
            return True
        try:
            criteria = IMAPSearchCriteria.parse(text)
        except ValueError as error:
            box.add_class("-invalid")
            box.border_subtitle = one_line(str(error))
            self.say(str(error), title="Not a valid search", severity="warning", timeout=6)
            return False
        box.remove_class("-invalid")
        box.border_subtitle = ""
        self.model.set_filter("")
        self.run_search(criteria)
        return True

    # -- saved searches -----------------------------------------------------------------

    def show_saved_searches(self, counts: dict[str, int | None] | None = None) -> None:
        searches = self.search_store.load()
        if self.search_store.problem:
            self.say(self.search_store.problem, title="Saved searches", severity="warning")
            self.search_store.problem = None
        known = counts or {}
        self.folder_tree.set_searches([(s, known.get(s.name)) for s in searches])

    @work(thread=True, exclusive=True, group="search-counts", exit_on_error=False)
    def refresh_search_counts(self) -> None:
        """Count each saved search in its folder (or every folder), off the UI thread."""
        counts: dict[str, int | None] = {}
        service = IMAPMailboxService(self.client)
        for search in self.search_store.load():
            try:
                folders = ([f.name for f in service.list_folders(status=False) if f.selectable]
                           if search.scope == "all" else [search.folder])
                total = 0
                for name in folders:
                    service.select(name, readonly=True)
                    total += len(service.search(search.criteria, fresh=True))
                counts[search.name] = total
            except (IMAPError, ValueError):
                counts[search.name] = None
        self.post_message(SearchCounts(counts))

    def on_search_counts(self, event: SearchCounts) -> None:
        self.show_saved_searches(event.counts)

    def action_save_search(self) -> None:
        """Name the search on screen and keep it under "Searches" in the folder tree."""
        if self.search is None:
            self.say("Run a search first (/ or s), then save it with w.", timeout=4)
            return
        query, folder = self.search.to_query(), self.folder

        def named(name: str | None) -> None:
            if not name:
                return
            self.search_store.put(SavedSearch(name, query, "folder", folder))
            self.say(f"Saved search {name!r}: {query}", timeout=4)
            self.show_saved_searches()
            self.refresh_search_counts()

        self.app.push_screen(NamePrompt("Name this search:"), named)

    def on_folder_tree_search_chosen(self, event: FolderTree.SearchChosen) -> None:
        search = event.search
        try:
            criteria = search.criteria
        except ValueError as error:
            self.say(str(error), title=f"Saved search {search.name!r} is broken",
                     severity="error")
            return
        if search.scope == "all":
            self.say("This search covers every folder: open a folder to see its matches; "
                     "the count shows the total.", timeout=6)
            return
        if search.folder != self.folder or self.info is None:
            self.pending_search = criteria
            self.open_folder(search.folder)
        else:
            self.run_search(criteria)
        self.message_list.focus()

    def on_folder_tree_search_delete_requested(
        self, event: FolderTree.SearchDeleteRequested
    ) -> None:
        self.search_store.delete(event.search.name)
        self.say(f"Deleted saved search {event.search.name!r}.", timeout=4)
        self.show_saved_searches()

    def search_title(self) -> str:
        assert self.search is not None
        return f"search: {one_line(self.search.to_query())}  ·  " + (
            f"{self.search_total:,} found" if self.loaded else "searching…")
