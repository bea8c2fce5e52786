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

from sage_tui.imap.errors import IMAPError, IMAPFolderError
from sage_tui.imap.mailbox import IMAPMailboxService
from sage_tui.imap.models import SelectInfo
from sage_tui.listing import MessageListModel
from sage_tui.messages import (
    CrossFolderFound,
    FolderChunkLoaded,
    FolderLoadFinished,
    SearchCounts,
    SearchFailed,
)
from sage_tui.places import Group, Places, rekey, single_folder_groups
from sage_tui.saved_searches import SavedSearch
from sage_tui.text import literal_line, one_line
from sage_tui.triage import newest_first_chunks, service_for
from sage_tui.widgets.folder_tree import FolderTree

if TYPE_CHECKING:
    from sage_tui.imap.search import IMAPSearchCriteria
    from sage_tui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

RESULT_CHUNK = 2000
FIRST_RESULTS = 100
"""The first results come in one small FETCH (a screenful), the rest in big chunks."""
VIRTUAL_ROLES = frozenset({"all", "flagged"})
"""Folders that only mirror others (Gmail's All Mail, Flagged): searched, they list each
match twice."""
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
    places: Places | None = None
    """Set while the view lists a search across folders (rows keyed by folder and UID)."""
    search_name: str | None = None
    """The saved search the view came from, so that saving it again edits it."""
    skipped_folders: list[str] = []

    def run_search(self, criteria: IMAPSearchCriteria) -> Worker[None] | None:
        """Show the messages of the open folder that match ``criteria``, newest first."""
        if self.info is None:
            self.say("The folder is still opening; search again in a moment.", timeout=3)
            return None
        self._start_search_view(criteria, places=None)
        return self._search(criteria, self.info, self.generation)

    def run_search_everywhere(self, criteria: IMAPSearchCriteria) -> Worker[None]:
        """Show the matches of every folder in one list, newest first, each row with its
        folder; every triage action works on them, folder by folder."""
        self._start_search_view(criteria, places=Places())
        return self._search_everywhere(criteria, self.generation)

    def _start_search_view(self, criteria: IMAPSearchCriteria, places: Places | None) -> None:
        if self.places is None:
            self._folder_sort = self.model.sort
        self.search = criteria
        self.places = places
        self.skipped_folders = []
        self.search_total = 0
        self.generation += 1  # rows still arriving for the previous view are dropped
        self.loaded = False
        sort = self._folder_sort if places is None else (
            # Keys of a view across folders group rows by folder; arrival order is date order.
            "date" if self._folder_sort == "arrival" else self._folder_sort)
        threaded = self.model.threaded
        self.model = MessageListModel()
        self.model.sort, self.model.threaded = sort, threaded
        self.message_list.folder_of = places.folder_of if places is not None else None
        self.message_list.empty_text = "Searching…"
        self.message_list.set_model(self.model)
        self._progress = None
        self._reader_uid = None
        self._update_title()

    _folder_sort: str = "arrival"

    def can_act(self) -> bool:
        """Actions need to know which folder (and UIDVALIDITY) each row belongs to."""
        return self.places is not None or self.info is not None

    def groups_for(self, keys: list[int]) -> list[Group]:
        """The rows ``keys`` by folder, as the server knows them."""
        if self.places is not None:
            return self.places.groups(keys)
        return single_folder_groups(self.info, keys) if self.info is not None else []

    @work(thread=True, exclusive=True, group="folder-load", exit_on_error=False)
    def _search_everywhere(self, criteria: IMAPSearchCriteria, generation: int) -> None:
        worker = get_current_worker()
        service = IMAPMailboxService(self.client)
        found: list[tuple[SelectInfo, list[int]]] = []
        skipped: list[str] = []
        try:
            folders = [f for f in service.list_folders(status=False)
                       if f.selectable and f.role not in VIRTUAL_ROLES]
            for folder in folders:
                if worker.is_cancelled:
                    return
                try:
                    info = service.select(folder.name, readonly=True)
                    uids = service.search(criteria, fresh=True)
                except IMAPFolderError:
                    skipped.append(folder.name)  # deleted meanwhile, or not ours to read
                    continue
                if uids:
                    found.append((info, uids))
            total = sum(len(uids) for _, uids in found)
            self.post_message(CrossFolderFound(generation, [info for info, _ in found], total,
                                               skipped))
            done = 0
            for index, (info, uids) in enumerate(found):
                here = service_for(self.client, info)
                for rows, _ in newest_first_chunks(here, uids[::-1], RESULT_CHUNK):
                    if worker.is_cancelled:
                        return
                    done += len(rows)
                    self.post_message(FolderChunkLoaded(generation, rekey(index, rows), done,
                                                        total))
        except IMAPError as error:
            self.post_message(SearchFailed(generation, criteria.to_query(), error))
            return
        if not worker.is_cancelled:
            self.post_message(FolderLoadFinished(generation))

    def on_cross_folder_found(self, event: CrossFolderFound) -> None:
        if event.generation != self.generation or self.places is None:
            return
        for info in event.infos:
            self.places.add_folder(info)
        self.search_total = event.total
        self.skipped_folders = event.skipped
        if not event.total:
            self.message_list.empty_text = "No message in any folder matches."
            self.message_list.rows_changed()
        self._update_title()

    @work(thread=True, exclusive=True, group="folder-load", exit_on_error=False)
    def _search(self, criteria: IMAPSearchCriteria, info: SelectInfo, generation: int) -> None:
        worker = get_current_worker()
        service = service_for(self.client, info)
        try:
            uids = service.search(criteria, fresh=True)[::-1]  # newest first
            for rows, done in newest_first_chunks(service, uids, RESULT_CHUNK,
                                                  first=FIRST_RESULTS):
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
        self.search_name = None
        if self.places is not None:
            self.model.sort = self._folder_sort
        self.open_folder(self.folder)

    def submit_query(self, text: str) -> bool:
        """Run ``text`` as a search; False (and the mistake shown) when it does not parse."""
        box = self.query_one("#filter", Input)
        if not text.strip():
            if self.search is not None:
                self.leave_search()
            return True
        try:
            from sage_tui.imap.search import IMAPSearchCriteria

            criteria = IMAPSearchCriteria.parse(text)
        except ValueError as error:
            box.add_class("-invalid")
            box.border_subtitle = literal_line(str(error))  # quotes the query: never markup
            self.say(str(error), title="Not a valid search", severity="warning", timeout=6)
            return False
        box.remove_class("-invalid")
        box.border_subtitle = ""
        self.model.set_filter("")
        self.search_name = None
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
        """Name the search on screen (and choose where it searches) and keep it under
        "Searches" in the folder tree; a search opened from there is edited in place."""
        if self.search is None:
            self.say("Run a search first (/ or s), then save it with w.", timeout=4)
            return
        draft = SavedSearch(self.search_name or "", self.search.to_query(),
                            "all" if self.places is not None else "folder", self.folder)
        self.edit_saved_search(draft, replacing=self.search_name, title="Save this search")

    def edit_saved_search(self, draft: SavedSearch, *, replacing: str | None,
                          title: str) -> None:
        def done(search: SavedSearch | None) -> None:
            if search is None:
                return
            try:
                self.search_store.put(search, replacing=replacing)
            except (OSError, ValueError) as error:
                self.say(str(error), title="The search was not saved", severity="error")
                return
            where = "all folders" if search.scope == "all" else search.folder
            self.say(f"Saved search {search.name!r} ({where}): {search.query}", timeout=4)
            if self.search is not None and self.search_name == replacing:
                self.search_name = search.name
            self.show_saved_searches()
            self.refresh_search_counts()

        from sage_tui.screens.search_editor import SearchEditor

        self.app.push_screen(SearchEditor(draft, title=title), done)

    def on_folder_tree_search_edit_requested(self, event: FolderTree.SearchEditRequested) -> None:
        self.edit_saved_search(event.search, replacing=event.search.name,
                               title=f"Edit saved search {event.search.name!r}")

    def on_folder_tree_search_chosen(self, event: FolderTree.SearchChosen) -> None:
        search = event.search
        try:
            criteria = search.criteria
        except ValueError as error:
            self.say(str(error), title=f"Saved search {search.name!r} is broken",
                     severity="error")
            return
        if search.scope == "all":
            self.run_search_everywhere(criteria)
        elif search.folder != self.folder or self.info is None:
            self.pending_search = criteria
            self.open_folder(search.folder)
        else:
            self.run_search(criteria)
        self.search_name = search.name
        if self.narrow:
            self.show_view("messages")
        self.message_list.focus()

    def on_folder_tree_search_delete_requested(
        self, event: FolderTree.SearchDeleteRequested
    ) -> None:
        self.search_store.delete(event.search.name)
        self.say(f"Deleted saved search {event.search.name!r}.", timeout=4)
        self.show_saved_searches()

    def search_title(self) -> str:
        assert self.search is not None
        found = f"{self.search_total:,} found" if self.loaded else "searching…"
        if self.places is not None and self.loaded:
            found += f" in {len(self.places.folders):,} " + (
                "folder" if len(self.places.folders) == 1 else "folders")
            if self.skipped_folders:
                found += f" ({len(self.skipped_folders)} could not be searched)"
        # The title starts with "All folders" for a search across folders.
        return f"search: {one_line(self.search.to_query())}  ·  {found}"
