"""The visual search builder (``s``): rows of field, operator and value, nested groups.

The screen edits a ``search_rows.Group`` and shows, live, the exact SEARCH command that will be
sent (or which rows are wrong and why) and, from a debounced worker, how many messages of the
open folder match. Nothing is sent while a row is invalid. Enter in a value, or ctrl+s, runs the
search; the screen dismisses with the criteria and the main screen shows the results.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Select, Static
from textual.worker import get_current_worker

from sage_tui.imap.client import IMAPClient
from sage_tui.imap.errors import IMAPError
from sage_tui.imap.models import SelectInfo
from sage_tui.imap.search import IMAPSearchCriteria
from sage_tui.search_rows import (
    FIELDS,
    FLAG_VALUES,
    OPERATORS,
    Group,
    Path,
    Row,
    build,
    quick_since,
    rows_for,
)
from sage_tui.text import literal_line
from sage_tui.triage import service_for

COUNT_DELAY = 0.4
"""Seconds of quiet typing before the match count is asked for."""
PLACEHOLDERS = {"date": "YYYY-MM-DD", "sent": "YYYY-MM-DD", "size": "e.g. 500KB, 2MB",
                "header": "Name=value", "keyword": "e.g. $Work", "uid": "e.g. 1:100,205"}


class CountReady(Message):
    """The debounced count for the criteria the preview shows (``token`` says which)."""

    def __init__(self, token: int, count: int | None, error: str = "") -> None:
        super().__init__()
        self.token, self.count, self.error = token, count, error


def item_at(group: Group, path: Path) -> Row | Group:
    item: Row | Group = group
    for index in path:
        assert isinstance(item, Group)
        item = item.items[index]
    return item


class BuilderScreen(ModalScreen[IMAPSearchCriteria | None]):
    """Build a search with keys or mouse; dismisses with the criteria, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="builder.cancel"),
        Binding("ctrl+s", "run", "Search", id="builder.run"),
        Binding("ctrl+n", "add_row", "Add row", id="builder.add_row"),
        Binding("ctrl+g", "add_group", "Add group", id="builder.add_group"),
        Binding("ctrl+r", "remove", "Remove row", id="builder.remove"),
        Binding("ctrl+o", "toggle_mode", "All/any", id="builder.mode"),
        Binding("ctrl+t", "toggle_group_not", "NOT group", id="builder.group_not"),
        Binding("ctrl+l", "last_week", "Last 7 days", id="builder.last_week"),
    ]

    DEFAULT_CSS = """
    BuilderScreen { align: center middle; }
    BuilderScreen > Vertical {
        width: 110; max-width: 98%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    BuilderScreen #builder-help { width: 100%; height: auto; }
    BuilderScreen #builder-rows { height: 1fr; }
    BuilderScreen .builder-line { height: 3; width: 100%; }
    BuilderScreen .builder-indent { width: auto; height: 3; }
    BuilderScreen Checkbox { width: auto; }
    BuilderScreen .builder-group { height: 1; color: $text-muted; }
    BuilderScreen Select { width: 18; }
    BuilderScreen .builder-field { width: 16; }
    BuilderScreen .builder-value { width: 1fr; }
    BuilderScreen .builder-error { color: $error; height: 1; padding-left: 2; }
    BuilderScreen #builder-preview { height: auto; border-top: solid $primary 40%; }
    """

    def __init__(self, client: IMAPClient, info: SelectInfo | None,
                 initial: IMAPSearchCriteria | None = None) -> None:
        super().__init__()
        self.client = client
        self.info = info
        self.group = rows_for(initial) if initial else Group("all", [Row()])
        if not self.group.items:
            self.group.items.append(Row())
        self.criteria: IMAPSearchCriteria | None = None
        self.errors: dict[Path, str] = {}
        self.count: int | None = None
        self._token = 0
        self._timer: Timer | None = None
        self._focus_path: Path = (0,)

    def compose(self) -> ComposeResult:
        with Vertical():
            folder = self.info.name if self.info else "the folder"
            yield Label(literal_line(f"Search {folder}  ·  ctrl+n row · ctrl+g group · ctrl+o "
                                     "all/any · ctrl+t NOT group · ctrl+r remove · ctrl+l last "
                                     "7 days · enter runs"),
                        id="builder-help")
            yield VerticalScroll(id="builder-rows")
            yield Static(id="builder-preview")

    async def on_mount(self) -> None:
        await self._redraw()

    # -- drawing ------------------------------------------------------------------------------

    async def _redraw(self) -> None:
        container = self.query_one("#builder-rows", VerticalScroll)
        await container.remove_children()
        widgets: list = []
        self._lines(self.group, (), 0, widgets)
        await container.mount_all(widgets)
        self._rebuilt()
        self._focus(self._focus_path)

    def _lines(self, group: Group, path: Path, depth: int, out: list) -> None:
        words = "ALL of" if group.mode == "all" else "ANY of"
        prefix = "NOT " if group.negated else ""
        out.append(Static(literal_line(f"{'  ' * depth}{prefix}{words}:"),
                          classes="builder-group"))
        for index, item in enumerate(group.items):
            where = (*path, index)
            if isinstance(item, Group):
                self._lines(item, where, depth + 1, out)
            else:
                out.append(self._row_line(item, where, depth + 1))
                out.append(Label("", classes="builder-error", id=_id("error", where)))

    def _row_line(self, row: Row, path: Path, depth: int) -> Horizontal:
        op_options = [(op, op) for op in OPERATORS.get(row.field, ("contains",))]
        op = row.op if row.op in OPERATORS.get(row.field, ()) else op_options[0][0]
        row.op = op
        parts: list = [
            Static(" " * (2 * depth), classes="builder-indent"),
            Checkbox("not", row.negated, id=_id("not", path)),
            Select([(name, name) for name in FIELDS], value=row.field, allow_blank=False,
                   id=_id("field", path), classes="builder-field"),
            Select(op_options, value=op, allow_blank=False, id=_id("op", path)),
        ]
        if row.field == "flag":
            value = row.value if row.value in FLAG_VALUES else FLAG_VALUES[0]
            row.value = value
            parts.append(Select([(f, f) for f in FLAG_VALUES], value=value, allow_blank=False,
                                id=_id("value", path), classes="builder-value"))
        elif row.field != "all":
            box = Input(row.value, placeholder=PLACEHOLDERS.get(row.field, "text"),
                        id=_id("value", path), classes="builder-value")
            box.cursor_blink = False
            parts.append(box)
        return Horizontal(*parts, classes="builder-line")

    def _focus(self, path: Path) -> None:
        for kind in ("value", "field"):
            found = self.query(f"#{_id(kind, path)}")
            if found:
                found.first().focus()
                return

    # -- editing ------------------------------------------------------------------------------

    def _path_of(self, widget_id: str | None) -> tuple[str, Path] | None:
        if not widget_id or not widget_id.startswith("b-"):
            return None
        kind, _, rest = widget_id[2:].partition("-")
        return kind, tuple(int(part) for part in rest.split("_") if part != "")

    @on(Select.Changed)
    async def _select_changed(self, event: Select.Changed) -> None:
        found = self._path_of(event.select.id)
        if found is None:
            return
        kind, path = found
        row = item_at(self.group, path)
        assert isinstance(row, Row)
        if kind == "field" and event.value != row.field:
            row.field, row.value = str(event.value), ""
            self._focus_path = path
            await self._redraw()
            return
        if kind == "op":
            row.op = str(event.value)
        elif kind == "value":
            row.value = str(event.value)
        self._rebuilt()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        found = self._path_of(event.input.id)
        if found is not None:
            row = item_at(self.group, found[1])
            assert isinstance(row, Row)
            row.value = event.value
            self._rebuilt()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    @on(Checkbox.Changed)
    def _not_changed(self, event: Checkbox.Changed) -> None:
        found = self._path_of(event.checkbox.id)
        if found is not None:
            row = item_at(self.group, found[1])
            assert isinstance(row, Row)
            row.negated = event.value
            self._rebuilt()

    def _focused_path(self) -> Path:
        focused = self.focused
        found = self._path_of(focused.id if focused else None)
        return found[1] if found else (len(self.group.items) - 1,)

    def _parent_of(self, path: Path) -> tuple[Group, int]:
        parent = item_at(self.group, path[:-1])
        assert isinstance(parent, Group)
        return parent, path[-1]

    async def action_add_row(self, row: Row | None = None) -> None:
        path = self._focused_path()
        parent, index = self._parent_of(path) if path else (self.group, -1)
        parent.items.insert(index + 1, row or Row())
        self._focus_path = (*path[:-1], index + 1)
        await self._redraw()

    async def action_last_week(self) -> None:
        await self.action_add_row(quick_since(7))

    async def action_add_group(self) -> None:
        path = self._focused_path()
        parent, index = self._parent_of(path) if path else (self.group, -1)
        parent.items.insert(index + 1, Group("any", [Row()]))
        self._focus_path = (*path[:-1], index + 1, 0)
        await self._redraw()

    async def action_remove(self) -> None:
        path = self._focused_path()
        if not path:
            return
        parent, index = self._parent_of(path)
        if 0 <= index < len(parent.items):
            del parent.items[index]
        if not parent.items and parent is not self.group:
            grand, at = self._parent_of(path[:-1])
            del grand.items[at]
            path = path[:-1]
        if not self.group.items:
            self.group.items.append(Row())
        self._focus_path = (*path[:-1], max(0, path[-1] - 1)) if path else (0,)
        await self._redraw()

    async def action_toggle_mode(self) -> None:
        path = self._focused_path()
        group = item_at(self.group, path[:-1]) if path else self.group
        assert isinstance(group, Group)
        group.mode = "any" if group.mode == "all" else "all"
        self._focus_path = path
        await self._redraw()

    async def action_toggle_group_not(self) -> None:
        """Negate the group of the focused row as a whole (NOT (a OR b)), not row by row."""
        path = self._focused_path()
        group = item_at(self.group, path[:-1]) if path else self.group
        assert isinstance(group, Group)
        group.negated = not group.negated
        self._focus_path = path
        await self._redraw()

    # -- preview and count ------------------------------------------------------------------

    def _rebuilt(self) -> None:
        self.criteria, self.errors = build(self.group)
        for label in self.query(".builder-error"):
            found = self._path_of(label.id)
            message = self.errors.get(found[1], "") if found else ""
            label.update(literal_line(f"↑ {message}" if message else ""))
        self._token += 1
        self.count = None
        self._show_preview()
        if self._timer is not None:
            self._timer.stop()
        if self.criteria is not None:
            token, criteria = self._token, self.criteria
            self._timer = self.set_timer(COUNT_DELAY, lambda: self._count(token, criteria))

    def _show_preview(self, count_words: str = "counting…") -> None:
        preview = self.query_one("#builder-preview", Static)
        if self.criteria is None:
            preview.update(literal_line(
                f"Fix the marked rows ({len(self.errors)}); nothing is sent until then."))
            return
        charset = "CHARSET UTF-8 " if self.criteria.needs_utf8 else ""
        preview.update(literal_line(f"UID SEARCH {charset}{self.criteria}   ·   {count_words}"))

    @work(thread=True, exclusive=True, group="builder-count", exit_on_error=False)
    def _count(self, token: int, criteria: IMAPSearchCriteria) -> None:
        try:
            found = len(service_for(self.client, self.info).search(criteria, fresh=True))
        except IMAPError as error:
            self.post_message(CountReady(token, None, str(error)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(CountReady(token, found))

    def on_count_ready(self, event: CountReady) -> None:
        if event.token != self._token:
            return  # the rows changed meanwhile
        self.count = event.count
        words = (f"error: {event.error}" if event.count is None
                 else f"{event.count:,} matching" if event.count != 1 else "1 matching")
        self._show_preview(words)

    # -- leaving ----------------------------------------------------------------------------

    def action_run(self) -> None:
        if self.criteria is None:
            self.notify("Some rows are not valid yet; they are marked.", severity="warning",
                        timeout=4, markup=False)
            return
        self.dismiss(self.criteria)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _id(kind: str, path: Path) -> str:
    return f"b-{kind}-{'_'.join(str(i) for i in path)}"
