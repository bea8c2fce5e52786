"""The message source as the server sent it (``R`` in the reader), shown literally and bounded.

For the messages the reader cannot make sense of (broken MIME, lying charsets) and for checking
headers by hand. The text goes into a read-only ``TextArea``: no markup is parsed, lines are
drawn on demand, and control characters are made visible first (``sage_tui.text.visible``), so
an ANSI escape in the source shows as ``␛[31m`` instead of reaching the terminal. A huge message
shows its first ``RAW_LIMIT`` bytes with a note saying so.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from sage_tui.text import literal_line, visible
from sage_tui.widgets.message_list import human_size

RAW_LIMIT = 256 * 1024
"""Bytes of source shown at most (the head of a message holds what anyone reads by hand)."""


def source_text(raw: bytes, limit: int = RAW_LIMIT) -> tuple[str, str]:
    """The source to show and a note about it.

    Bytes that are not UTF-8 show as U+FFFD; control characters as visible symbols.
    """
    shown = raw[:limit]
    note = f"{human_size(len(raw))} source"
    if len(raw) > limit:
        note = (f"Showing the first {limit // 1024} KB of {human_size(len(raw))}: "
                "the rest is not shown")
    return visible(shown.decode("utf-8", errors="replace")), note


class RawSourceScreen(ModalScreen[None]):
    """The whole screen for one message's source; escape (or R, or q) closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="raw.close"),
        Binding("R", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    DEFAULT_CSS = """
    RawSourceScreen { align: center middle; }
    RawSourceScreen > Vertical {
        width: 96%; height: 94%; border: thick $primary; background: $surface;
    }
    RawSourceScreen #raw-title { height: 1; padding: 0 1; background: $primary 20%; }
    RawSourceScreen #raw-note { height: 1; padding: 0 1; color: $warning; }
    RawSourceScreen TextArea { height: 1fr; border: none; }
    """

    def __init__(self, subject: str, raw: bytes) -> None:
        super().__init__()
        self.subject = subject
        self.text, self.note = source_text(raw)

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Source of ", style="bold")
            title.append_text(literal_line(self.subject or "(no subject)"))
            title.append("  ·  escape closes", style="dim")
            yield Label(title, id="raw-title")
            yield Label(Text(self.note), id="raw-note")
            yield TextArea(self.text, read_only=True, soft_wrap=True, show_line_numbers=False,
                           id="raw-text")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False
        area.focus()

    def action_close(self) -> None:
        self.dismiss(None)
