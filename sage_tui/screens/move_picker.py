"""The folder picker for ``m`` (move): type to filter, enter to choose, escape to cancel."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sage_tui.imap.models import Folder
from sage_tui.text import literal_line
from sage_tui.widgets.folder_tree import PLAIN_ICON, ROLE_ICONS


def matches(folder: Folder, needle: str) -> bool:
    """Every typed word appears in the folder name (case-insensitive), in any order."""
    name = folder.name.casefold()
    return all(word in name for word in needle.casefold().split())


class MovePicker(ModalScreen[str | None]):
    """Choose a destination folder; dismisses with its name, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "cursor(1)", "Next", show=False),
        Binding("up", "cursor(-1)", "Previous", show=False),
    ]

    DEFAULT_CSS = """
    MovePicker { align: center middle; }
    MovePicker > Vertical {
        width: 60; max-width: 90%; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MovePicker OptionList { height: auto; max-height: 20; border: none; }
    MovePicker #picker-empty { color: $text-muted; }
    """

    def __init__(self, folders: list[Folder], title: str, exclude: str | None = None) -> None:
        super().__init__()
        self.folders = [f for f in folders if f.selectable and f.name != exclude]
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal_line(self.title_text))
            yield Input(placeholder="type to filter folders", id="picker-filter")
            yield OptionList(id="picker-options")
            yield Label("no folder matches", id="picker-empty")

    def on_mount(self) -> None:
        filter_input = self.query_one(Input)
        filter_input.cursor_blink = False
        self._fill("")
        filter_input.focus()

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, needle: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [f for f in self.folders if matches(f, needle)]
        for folder in shown:
            icon = ROLE_ICONS.get(folder.role or "", PLAIN_ICON)
            options.add_option(Option(literal_line(f"{icon} {folder.name}"), id=folder.name))
        if shown:
            options.highlighted = 0
        self.query_one("#picker-empty").display = not shown

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
