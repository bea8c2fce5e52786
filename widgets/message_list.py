"""The message list: a Line-API widget that draws only the rows on screen.

A ``DataTable`` measures every cell before its first paint (6-12 s for 100,000 rows); this widget
asks the plain-data ``MessageListModel`` for the visible rows only, so a huge folder scrolls as
smoothly as a small one. Every cell goes through ``sage_tui.text`` so that markup, ANSI escapes
and control characters in headers are shown, never obeyed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sage_tui.imap.models import MessageSummary
from sage_tui.listing import MessageListModel
from sage_tui.text import one_line

DATE_WIDTH = 10
SIZE_WIDTH = 6
MARKS_WIDTH = 5
FOLDER_WIDTH = 12


def human_size(size: int | None) -> str:
    """1234 -> "1.2K", as mail clients print sizes in a narrow column."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("", "K", "M", "G"):
        if value < 1000 or unit == "G":
            return f"{int(value)}{unit}" if unit == "" or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return str(size)  # pragma: no cover - the loop always returns


def short_date(row: MessageSummary) -> str:
    """An absolute date (no "today"/"yesterday": the screen must not depend on the clock)."""
    when: datetime | None = row.date or row.internaldate
    return when.strftime("%Y-%m-%d") if when else "?"


def marks(row: MessageSummary, selected: bool) -> str:
    """Selection, unread, flagged, answered and attachment markers, one cell each."""
    return "".join((
        "✓" if selected else " ",
        "●" if not row.seen else " ",
        "⚑" if row.flagged else " ",
        "↩" if row.answered else " ",
        "@" if row.has_attachments else " ",
    ))


def sender_name(row: MessageSummary) -> str:
    if not row.from_:
        return "(no sender)"
    first = row.from_[0]
    return first.name or first.email


class MessageList(ScrollView, can_focus=True):
    """Rows of the open folder, newest first; cursor, multi-select and mouse clicks."""

    BINDING_GROUP_TITLE = "Message list"
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "top", "Top", show=False, id="list.top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="list.bottom"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("space", "toggle_select", "Select", id="list.select"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--selected",
        "message-list--unread",
        "message-list--dim",
    }

    DEFAULT_CSS = """
    MessageList {
        background: $surface;
        overflow-x: hidden;
    }
    MessageList > .message-list--cursor { background: $block-cursor-blurred-background; }
    MessageList:focus > .message-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    MessageList > .message-list--selected { background: $accent 30%; }
    MessageList > .message-list--unread { text-style: bold; }
    MessageList > .message-list--dim { color: $text-muted; }
    """

    class Highlighted(Message):
        """The cursor moved to another message (or the list became empty: uid None)."""

        def __init__(self, uid: int | None) -> None:
            super().__init__()
            self.uid = uid

    class Opened(Message):
        """The user asked to read the message under the cursor."""

        def __init__(self, uid: int) -> None:
            super().__init__()
            self.uid = uid

    def __init__(self, model: MessageListModel | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = model or MessageListModel()
        self.empty_text = "No messages"
        self.folder_of: Callable[[int], str] | None = None
        """Set in a view across folders: the folder of a row, shown in a column of its own."""
        self._last_highlighted: int | None = -1

    # -- model changes ------------------------------------------------------------------------

    def set_model(self, model: MessageListModel) -> None:
        self.model = model
        self.rows_changed()

    def rows_changed(self) -> None:
        """Call after the model changed: resize the virtual area, keep the cursor in view."""
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.model))
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    # -- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_offset.y) + y
        base = self.rich_style
        if index >= len(self.model):
            if index == 0 and y == 0 and len(self.model) == 0:
                text = set_cell_size(f" {one_line(self.empty_text)}", width)
                dim = self.get_component_rich_style("message-list--dim")
                return Strip([Segment(text, base + dim)], width)
            return Strip.blank(width, base)
        row = self.model.row_at(index)
        selected = row.uid in self.model.selected
        style = base
        if not row.seen:
            style += self.get_component_rich_style("message-list--unread")
        if selected:
            style += self.get_component_rich_style("message-list--selected")
        if index == self.model.cursor:
            style += self.get_component_rich_style("message-list--cursor")
        return Strip(self._cells(row, selected, width, style), width)

    def _cells(
        self, row: MessageSummary, selected: bool, width: int, style: Style
    ) -> list[Segment]:
        # Narrow panes give the subject the room: the size column goes first, then the sender
        # column shrinks.
        size_width = SIZE_WIDTH if width >= 80 else 0
        sender_width = max(8, min(22, width // 5))
        folder_width = FOLDER_WIDTH if self.folder_of is not None else 0
        fixed = MARKS_WIDTH + DATE_WIDTH + sender_width + size_width + 3 + (1 if size_width else 0)
        fixed += folder_width + 1 if folder_width else 0
        subject_width = max(0, width - fixed)
        size = human_size(row.size) if size_width else ""
        parts = [
            marks(row, selected),
            " ",
            set_cell_size(short_date(row), DATE_WIDTH),
            " ",
            set_cell_size(one_line(sender_name(row)), sender_width),
            " ",
        ]
        if self.folder_of is not None:
            parts += [_ellipsize(one_line(self.folder_of(row.uid)), folder_width), " "]
        parts.append(_ellipsize(self._subject(row), subject_width))
        if size_width:
            parts += [" ", " " * max(0, size_width - cell_len(size)) + size]
        text = set_cell_size("".join(parts), width)
        return [Segment(text, style)]

    def _subject(self, row: MessageSummary) -> str:
        subject = one_line(row.subject or "(no subject)")
        size = self.model.thread_size(row.uid)
        return f"({size}) {subject}" if size > 1 else subject

    # -- keys and mouse -----------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.move_cursor(self.model.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.model.cursor - 1)

    def action_top(self) -> None:
        self.move_cursor(0)

    def action_bottom(self) -> None:
        self.move_cursor(len(self.model) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.model.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.model.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_toggle_select(self) -> None:
        current = self.model.current
        if current is None:
            return
        self.model.toggle_selected(current.uid)
        self.move_cursor(self.model.cursor + 1)
        self.refresh()

    def action_open(self) -> None:
        current = self.model.current
        if current is not None:
            self.post_message(self.Opened(current.uid))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.model):
            self.move_cursor(index)
            if event.chain >= 2:
                self.action_open()

    def move_cursor(self, index: int) -> None:
        self.model.move_cursor(index)
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        cursor = self.model.cursor
        top = round(self.scroll_offset.y)
        if height <= 0:
            return
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= top + height:
            self.scroll_to(y=cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        current = self.model.current
        uid = current.uid if current else None
        if uid != self._last_highlighted:
            self._last_highlighted = uid
            self.post_message(self.Highlighted(uid))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.model))
        self._scroll_cursor_into_view()


def _ellipsize(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
