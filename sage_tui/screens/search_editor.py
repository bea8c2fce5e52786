"""Save or edit a saved search: its name, its query, and where it searches.

One small form for both jobs (``w`` saves the search on screen; ``e`` on a saved search in the
folder tree edits it), so a saved search can be renamed, re-scoped or corrected in place. The
query is checked as it is typed, with the column of a mistake, and a search that does not parse
cannot be saved.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from sage_tui.imap.search import IMAPSearchCriteria
from sage_tui.saved_searches import SavedSearch
from sage_tui.text import literal_line


class SearchEditor(ModalScreen[SavedSearch | None]):
    """Dismisses with the search as the user left it, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="search_editor.cancel"),
        Binding("ctrl+s", "save", "Save", id="search_editor.save"),
    ]

    DEFAULT_CSS = """
    SearchEditor { align: center middle; }
    SearchEditor > Vertical {
        width: 76; height: auto; border: thick $primary; background: $surface; padding: 0 1;
    }
    SearchEditor #editor-problem { color: $error; height: auto; }
    SearchEditor #editor-problem.-ok { color: $text-muted; }
    """

    def __init__(self, search: SavedSearch, *, title: str) -> None:
        super().__init__()
        self.search = search
        self.heading = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal_line(self.heading, style="bold"))
            yield Label("Name")
            name = Input(self.search.name, id="editor-name")
            name.cursor_blink = False
            yield name
            yield Label("Query (the / language: from:ana since:2024-01-01 -flagged)")
            query = Input(self.search.query, id="editor-query")
            query.cursor_blink = False
            yield query
            yield Static(id="editor-problem")
            yield Checkbox("Search all folders", self.search.scope == "all", id="editor-all")
            yield Label(literal_line(f"otherwise only {self.search.folder}"), id="editor-folder")
            yield Label("enter or ctrl+s saves · esc cancels", classes="-hint")

    def on_mount(self) -> None:
        self.query_one("#editor-name", Input).focus()
        self._check()

    @on(Input.Changed, "#editor-query")
    def _query_changed(self) -> None:
        self._check()

    def _check(self) -> bool:
        """Show what is wrong with the query (or what will be sent); True when it parses."""
        problem = self.query_one("#editor-problem", Static)
        text = self.query_one("#editor-query", Input).value
        try:
            criteria = IMAPSearchCriteria.parse(text)
        except ValueError as error:
            problem.update(literal_line(str(error)))
            problem.remove_class("-ok")
            return False
        problem.update(literal_line(f"sends: SEARCH {criteria}"))
        problem.add_class("-ok")
        return True

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        name = self.query_one("#editor-name", Input).value.strip()
        if not name:
            self.query_one("#editor-problem", Static).update("A saved search needs a name.")
            self.query_one("#editor-problem", Static).remove_class("-ok")
            self.query_one("#editor-name", Input).focus()
            return
        if not self._check():
            self.query_one("#editor-query", Input).focus()
            return
        scope = "all" if self.query_one("#editor-all", Checkbox).value else "folder"
        query = self.query_one("#editor-query", Input).value.strip()
        self.dismiss(SavedSearch(name, query, scope, self.search.folder))

    def action_cancel(self) -> None:
        self.dismiss(None)
