"""The reader: headers, the readable body, attachments, and what could not be decoded.

Everything shown is server data, so every piece goes through ``sage_tui.text.literal``: a
``[link=...]`` or an ANSI escape in a subject or body is displayed as typed, never followed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from sage_tui.html_text import html_to_text
from sage_tui.imap.models import Message
from sage_tui.text import literal, one_line
from sage_tui.widgets.message_list import human_size

MAX_BODY_CHARS = 500_000
GONE_NOTE = ("This message was deleted or moved by another client; this is the copy that was "
             "already loaded.")
SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def body_text(message: Message) -> tuple[str, str]:
    """The text to read and where it came from ("text", "html" or "none")."""
    if message.text and message.text.strip():
        return message.text, "text"
    if message.html:
        return html_to_text(message.html), "html"
    return "", "none"


def header_block(message: Message) -> Text:
    block = Text()
    wanted = {name.lower(): name for name in SHOWN_HEADERS}
    seen: set[str] = set()
    for name, value in message.headers:
        key = name.lower()
        if key in wanted and key not in seen:
            seen.add(key)
            block.append(f"{wanted[key]:>8}: ", style="bold")
            block.append_text(literal(one_line(value)))
            block.append("\n")
    if "subject" not in seen:
        block.append(" Subject: ", style="bold")
        block.append("(no subject)\n", style="dim")
    return block


def attachment_block(message: Message) -> Text:
    block = Text()
    for number, attachment in enumerate(message.attachments, start=1):
        block.append(f"{number:>2} @ ", style="bold")
        block.append_text(literal(one_line(attachment.filename or "(unnamed)")))
        block.append(f"  {one_line(attachment.content_type)}, {human_size(attachment.size)}",
                     style="dim")
        block.append("\n")
    if message.attachments:
        block.append("S saves an attachment · R shows the message source", style="dim")
    return block


class Reader(VerticalScroll, can_focus=True):
    """Shows one message; scrolls with the usual keys when focused."""

    BINDING_GROUP_TITLE = "Reader"
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="reader.down"),
        Binding("k", "scroll_up", "Up", show=False, id="reader.up"),
        Binding("space", "page_down", "Page", show=False, id="reader.page"),
    ]

    DEFAULT_CSS = """
    Reader { background: $surface; padding: 0 1; }
    Reader #reader-headers { border-bottom: solid $primary 40%; padding-bottom: 0; }
    Reader #reader-notes { color: $warning; }
    Reader #reader-attachments { border-top: solid $primary 40%; }
    Reader .hidden { display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.message: Message | None = None
        self._notes: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="reader-headers")
        yield Static(id="reader-notes", classes="hidden")
        yield Static(id="reader-body")
        yield Static(id="reader-attachments", classes="hidden")

    def on_mount(self) -> None:
        self.show_text("Select a message to read it.")

    def show_text(self, words: str) -> None:
        """A plain note in place of a message ("Loading…", "Message gone", ...)."""
        self.message = None
        self.query_one("#reader-headers", Static).update(Text(""))
        self.query_one("#reader-body", Static).update(Text(words, style="dim"))
        self.query_one("#reader-notes", Static).add_class("hidden")
        self.query_one("#reader-attachments", Static).add_class("hidden")

    def mark_gone(self) -> None:
        """Another client deleted or moved the message on screen: keep it readable, say so."""
        if self.message is None:
            return
        note = self.query_one("#reader-notes", Static)
        note.update(literal("\n".join([GONE_NOTE, *self._notes])))
        note.remove_class("hidden")

    def show_message(self, message: Message) -> None:
        self.message = message
        text, source = body_text(message)
        notes: list[str] = []
        if source == "html":
            notes.append("HTML-only message, shown as text.")
        if message.defects:
            notes.append("Parts of this message are malformed: " + "; ".join(message.defects[:3])
                         + (" (R shows the source)" if message.raw else ""))
        if len(text) > MAX_BODY_CHARS:
            text = text[:MAX_BODY_CHARS]
            notes.append("The body is very long; only its beginning is shown.")
        if source == "none" and not message.attachments:
            text = "(this message has no readable text)"
        self._notes = notes
        self.query_one("#reader-headers", Static).update(header_block(message))
        self.query_one("#reader-body", Static).update(literal(text))
        note = self.query_one("#reader-notes", Static)
        note.update(literal("\n".join(notes)))
        note.set_class(not notes, "hidden")
        attachments = self.query_one("#reader-attachments", Static)
        attachments.update(attachment_block(message))
        attachments.set_class(not message.attachments, "hidden")
        self.scroll_home(animate=False)
