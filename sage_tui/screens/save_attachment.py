"""The save prompt (``S`` in the reader): which attachment, and into which directory.

Attachment names are the sender's words, so they are listed through ``literal_line`` and the
prompt shows the name the file will really get (``safe_filename``) before anything is written.
The directory starts at ``~/Downloads`` (or the current directory) and can be typed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sage_tui.attachments import default_directory, safe_filename
from sage_tui.imap.models import Attachment
from sage_tui.text import literal_line
from sage_tui.widgets.message_list import human_size


@dataclass(frozen=True)
class SaveRequest:
    """What the user chose: one attachment, and the directory to save it in."""

    attachment: Attachment
    directory: Path


class SaveAttachmentScreen(ModalScreen[SaveRequest | None]):
    """Pick an attachment (↑/↓), edit the directory, enter saves, escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="save.cancel"),
        Binding("down", "cursor(1)", "Next", show=False),
        Binding("up", "cursor(-1)", "Previous", show=False),
    ]

    DEFAULT_CSS = """
    SaveAttachmentScreen { align: center middle; }
    SaveAttachmentScreen > Vertical {
        width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SaveAttachmentScreen OptionList { height: auto; max-height: 12; border: none; }
    SaveAttachmentScreen #save-as { color: $text-muted; }
    """

    def __init__(self, attachments: tuple[Attachment, ...] | list[Attachment],
                 directory: Path | None = None) -> None:
        super().__init__()
        self.attachments = list(attachments)
        self.directory = directory or default_directory()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Save attachment", style="bold"))
            options = []
            for number, attachment in enumerate(self.attachments, start=1):
                label = literal_line(f"{number}. {attachment.filename or '(unnamed)'}")
                label.append(f"  {attachment.content_type}, {human_size(attachment.size)}",
                             style="dim")
                options.append(Option(label, id=str(number - 1)))
            yield OptionList(*options, id="save-options")
            yield Label(Text("Directory:"))
            yield Input(str(self.directory), id="save-directory")
            yield Label(id="save-as")

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_blink = False
        options = self.query_one(OptionList)
        if self.attachments:
            options.highlighted = 0
        box.focus()
        self._show_name()

    @property
    def chosen(self) -> Attachment | None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or not self.attachments:
            return None
        return self.attachments[highlighted]

    def _show_name(self) -> None:
        chosen = self.chosen
        words = Text("Saved as: ", style="dim")
        if chosen is not None:
            words.append_text(literal_line(safe_filename(chosen.filename)))
            words.append("  (never over an existing file)", style="dim")
        self.query_one("#save-as", Label).update(words)

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))
            self._show_name()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._show_name()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self._submit()

    @on(Input.Submitted, "#save-directory")
    def _submitted(self) -> None:
        self._submit()

    def _submit(self) -> None:
        chosen = self.chosen
        if chosen is None:
            self.dismiss(None)
            return
        text = self.query_one(Input).value.strip() or str(self.directory)
        self.dismiss(SaveRequest(chosen, Path(text).expanduser()))

    def action_cancel(self) -> None:
        self.dismiss(None)
