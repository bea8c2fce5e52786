"""Reader actions of the main screen: the raw source (``R``) and saving attachments (``S``).

A mixin, like ``screens/actions.py``, so the screen module stays about layout and loading.
Saving runs in a thread worker: it decodes the part from the source the reader already holds
(what the user saw is what gets saved), fetching the message through the engine only when the
reader has no source for it, and writes with ``sage_tui.attachments.save_bytes`` (sanitised
name, inside the chosen directory, never over an existing file). The worker only posts
messages; the handlers here (found by name: ``@on`` does not work in a plain mixin) say what
happened in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.worker import Worker

from sage_tui.imap.errors import IMAPError
from sage_tui.imap.models import Message as MailMessage
from sage_tui.imap.models import SelectInfo
from sage_tui.text import one_line
from sage_tui.triage import service_for
from sage_tui.widgets.reader import GONE_NOTE

if TYPE_CHECKING:
    from sage_tui.screens.main import MainScreen
    from sage_tui.screens.save_attachment import SaveRequest

    _Base = MainScreen
else:
    _Base = object


@dataclass
class AttachmentSaved(Message):
    """An attachment was written to ``path``."""

    path: Path


@dataclass
class AttachmentSaveFailed(Message):
    """An attachment could not be saved; ``words`` say why."""

    name: str
    words: str


class ReaderActions(_Base):
    """Raw source and attachment saving for ``MainScreen``."""

    def action_raw_source(self) -> None:
        message = self.reader.message
        if message is None:
            self.say("Open a message first: R shows its source.", timeout=3)
            return
        if not message.raw:
            self.say("The source of this message is not available.", timeout=3)
            return
        from sage_tui.screens.raw_source import RawSourceScreen

        self.app.push_screen(RawSourceScreen(message.subject, message.raw))

    def reader_message_gone(self) -> None:
        """The message in the reader was expunged by another client (the list lost its row)."""
        self.reader.mark_gone()
        self.say(GONE_NOTE, title="Message gone", severity="warning", timeout=6)

    def action_save_attachment(self) -> None:
        message = self.reader.message
        if message is None:
            self.say("Open a message first: S saves its attachments.", timeout=3)
            return
        if not message.attachments:
            self.say("This message has no attachments.", timeout=3)
            return
        info = self.info

        def chosen(request: SaveRequest | None) -> None:
            if request is not None:
                self.save_attachment(message, request, info)

        from sage_tui.screens.save_attachment import SaveAttachmentScreen

        self.app.push_screen(SaveAttachmentScreen(message.attachments), chosen)

    def save_attachment(self, message: MailMessage, request: SaveRequest,
                        info: SelectInfo | None) -> Worker[None]:
        """Save in the background; the result arrives as ``AttachmentSaved``/``...Failed``."""
        self.say(f"Saving {one_line(request.attachment.filename)}…", timeout=2)
        return self._save_attachment(message, request, info)

    @work(thread=True, group="save", exit_on_error=False)
    def _save_attachment(self, message: MailMessage, request: SaveRequest,
                         info: SelectInfo | None) -> None:
        from sage_tui.attachments import save_bytes
        from sage_tui.imap.mime import attachment_payload

        name = request.attachment.filename
        try:
            raw = message.raw
            if not raw:
                if info is None:
                    raise LookupError("the folder is not open")
                raw = service_for(self.client, info).fetch_message(message.uid).raw
            data = attachment_payload(raw, request.attachment.part)
            path = save_bytes(request.directory, name, data)
        except IMAPError as error:
            self.post_message(AttachmentSaveFailed(name, str(error)))
        except NotADirectoryError:
            self.post_message(AttachmentSaveFailed(
                name, f"{request.directory} is not a directory (or does not exist)"))
        except PermissionError:
            self.post_message(AttachmentSaveFailed(
                name, f"no permission to write in {request.directory}"))
        except (OSError, LookupError) as error:
            words = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            self.post_message(AttachmentSaveFailed(name, words))
        else:
            self.post_message(AttachmentSaved(path))

    def on_attachment_saved(self, event: AttachmentSaved) -> None:
        self.say(f"Saved as {one_line(str(event.path))}", title="Attachment saved", timeout=6)

    def on_attachment_save_failed(self, event: AttachmentSaveFailed) -> None:
        self.say(f"{one_line(event.name)} was not saved: {one_line(event.words)}",
                 title="Attachment not saved", severity="error", timeout=8)
