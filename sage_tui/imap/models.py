"""Plain, immutable objects that cross the engine boundary.

imapclient's ``dict[int, dict[bytes, ...]]`` never leaves the engine: the UI and scripts get these
typed, frozen dataclasses with decoded text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, eq=False)
class Folder:
    """A mailbox as LIST and STATUS describe it.

    A folder compares equal to its name (``"INBOX" in mailbox.list_folders()`` holds, as the seed
    library's guide expects) while still carrying its attributes.

    Attributes:
        name: Full name with the server's delimiter, decoded from modified UTF-7.
        delimiter: Hierarchy delimiter ("/" or "."), None for a flat namespace.
        flags: LIST attributes, e.g. ``\\HasNoChildren``, ``\\Trash``.
        role: "inbox", "archive", "trash", "sent", "junk", "drafts", "all", "flagged" or None;
            from SPECIAL-USE where the server marks it, else from well-known names.
        messages: STATUS MESSAGES (None for a \\Noselect folder or when not asked for).
        unseen: STATUS UNSEEN.
    """

    name: str
    delimiter: str | None = "/"
    flags: frozenset[str] = frozenset()
    role: str | None = None
    messages: int | None = None
    unseen: int | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Folder):
            return self.name == other.name
        if isinstance(other, str):
            return self.name == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name

    @property
    def selectable(self) -> bool:
        lowered = {flag.lower() for flag in self.flags}
        return not ({"\\noselect", "\\nonexistent"} & lowered)

    @property
    def parts(self) -> tuple[str, ...]:
        """The name split at the delimiter: ``("Lists", "rust")``."""
        return tuple(self.name.split(self.delimiter)) if self.delimiter else (self.name,)


@dataclass(frozen=True)
class SelectInfo:
    """What SELECT/EXAMINE reported about a folder."""

    name: str
    exists: int
    uidvalidity: int
    uidnext: int | None = None
    highestmodseq: int | None = None
    readonly: bool = False
    flags: frozenset[str] = frozenset()
    permanent_flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Address:
    """One mailbox address with its decoded display name."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class MessageSummary:
    """What a message list needs about one message.

    Fields the fetch did not ask for are None (``fields=["FLAGS"]`` gives no subject).

    Attributes:
        uid: The message's UID in the folder it was fetched from.
        subject: Decoded from RFC 2047; "" when absent.
        from_: Decoded From addresses.
        date: The Date header (timezone-aware) when parseable, else None.
        internaldate: When the server received it.
        flags: e.g. ``\\Seen``, ``\\Flagged``, keywords.
        size: RFC822.SIZE in bytes.
        has_attachments: True for multipart/mixed or a non-text single part.
        raw: The whole message, when ``BODY`` (sent as ``BODY.PEEK[]``) was fetched.
    """

    uid: int
    subject: str | None = None
    from_: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    internaldate: datetime | None = None
    flags: frozenset[str] = frozenset()
    size: int | None = None
    has_attachments: bool | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    raw: bytes | None = field(default=None, repr=False)

    @property
    def sender(self) -> str:
        """The first From address as ``Name <email>``, or "" (the guide's ``message.sender``)."""
        return str(self.from_[0]) if self.from_ else ""

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags

    @property
    def answered(self) -> bool:
        return "\\Answered" in self.flags

    @property
    def deleted(self) -> bool:
        return "\\Deleted" in self.flags

    @property
    def draft(self) -> bool:
        return "\\Draft" in self.flags


@dataclass(frozen=True)
class Attachment:
    """A part that is meant to be saved rather than read inline.

    Attributes:
        part: The position of the part in a depth-first walk of the message (1-based).
        filename: Decoded file name as the sender gave it (unsanitised: sanitise before saving).
        content_type: e.g. ``application/pdf``.
        size: Decoded size in bytes.
    """

    part: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Message:
    """A whole message for the reader: headers, the readable parts, and attachments.

    Attributes:
        summary: The list fields (uid, subject, addresses, date, flags, size).
        headers: Every header, decoded, in order.
        text: The text/plain body, decoded to str.
        html: The text/html body, decoded to str (not rendered: that is the UI's job).
        attachments: Parts to save.
        raw: The message source as the server sent it.
        defects: What the parser found wrong, in words, so the reader can say "partly unreadable".
    """

    summary: MessageSummary
    headers: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    raw: bytes = field(default=b"", repr=False)
    defects: tuple[str, ...] = ()

    @property
    def uid(self) -> int:
        return self.summary.uid

    @property
    def subject(self) -> str:
        return self.summary.subject or ""

    @property
    def sender(self) -> str:
        return self.summary.sender


@dataclass(frozen=True)
class MoveResult:
    """The outcome of a move/copy/archive/delete, with what an undo needs.

    Attributes:
        source: Folder the messages left (or were copied from).
        destination: Folder they arrived in.
        uid_map: Old UID -> new UID in the destination, as the server reported (UIDPLUS);
            empty when the server does not report it.
        uidvalidity: UIDVALIDITY of the destination the new UIDs belong to.
        count: How many UIDs were asked to move.
    """

    source: str
    destination: str
    uid_map: dict[int, int] = field(default_factory=dict)
    uidvalidity: int | None = None
    count: int = 0
