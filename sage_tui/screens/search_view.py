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
from sage_tui.imap.models import SelectInfo
from sage_tui.imap.search import IMAPSearchCriteria
from sage_tui.listing import MessageListModel
from sage_tui.messages import FolderChunkLoaded, FolderLoadFinished, SearchFailed
from sage_tui.text import one_line
from sage_tui.triage import newest_first_chunks, service_for

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
            uids = service.search(criteria)[::-1]  # newest first
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

    def search_title(self) -> str:
        assert self.search is not None
        return f"search: {one_line(self.search.to_query())}  ·  " + (
            f"{self.search_total:,} found" if self.loaded else "searching…")
