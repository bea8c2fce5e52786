"""Parse a whole message for the reader with the stdlib ``email`` package.

Malformed mail is normal mail: broken base64, lying charsets, missing boundaries. Nothing here
raises on content; what cannot be decoded is shown with replacement characters and listed in
``Message.defects`` so the reader can say so while still showing the rest.
"""

from __future__ import annotations

import email
import email.policy
from email.message import Message as LegacyMessage

from .models import Attachment, Message, MessageSummary
from .parsing import decode_text, summary_from_fetch

MAX_PARTS = 500
"""Parts walked at most: a 50-level or 10,000-part bomb must not stall the reader."""


def parse_message(summary: MessageSummary, raw: bytes) -> Message:
    """Build the reader's view of ``raw``; ``summary`` supplies uid, flags, size and date."""
    defects: list[str] = []
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the email package is lenient; this is a last resort
        return Message(
            summary=summary,
            text=raw.decode("utf-8", "replace"),
            raw=raw,
            defects=(f"the message could not be parsed ({type(exc).__name__}); shown as source",),
        )
    headers = tuple(_headers(raw))
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for index, part in enumerate(_walk(parsed), start=1):
        if index > MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} parts; the rest are not shown")
            break
        defects.extend(_defect_words(part))
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if disposition == "attachment" or (filename and content_type not in _READABLE):
            attachments.append(
                Attachment(index, filename or f"part-{index}", content_type, _size(part))
            )
            continue
        if content_type == "text/plain" and text is None:
            text = _text(part, defects)
        elif content_type == "text/html" and html is None:
            html = _text(part, defects)
        elif not content_type.startswith(("text/", "multipart/")):
            attachments.append(
                Attachment(index, filename or f"part-{index}", content_type, _size(part))
            )
    return Message(
        summary=summary,
        headers=headers,
        text=text,
        html=html,
        attachments=tuple(attachments),
        raw=raw,
        defects=tuple(dict.fromkeys(defects)),
    )


def summary_from_raw(uid: int, raw: bytes) -> MessageSummary:
    """A summary from the source alone (used where only ``BODY[]`` was fetched)."""
    return summary_from_fetch(uid, {b"BODY[]": raw})


_READABLE = ("text/plain", "text/html")


def _walk(message: LegacyMessage):  # type: ignore[no-untyped-def]
    """Depth-first like ``Message.walk`` but bounded, so a part bomb cannot run away."""
    stack = [message]
    seen = 0
    while stack and seen <= MAX_PARTS:
        part = stack.pop()
        seen += 1
        yield part
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(reversed(payload))


def _headers(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    out: list[tuple[str, str]] = []
    name: str | None = None
    value: list[str] = []
    try:
        lines = head.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        lines = head.decode("latin-1").splitlines()
    for line in lines:
        if line[:1] in (" ", "\t") and name is not None:
            value.append(line.strip())
            continue
        if name is not None:
            out.append((name, decode_text(" ".join(value))))
        key, sep, rest = line.partition(":")
        name, value = (key.strip(), [rest.strip()]) if sep else (None, [])
    if name is not None:
        out.append((name, decode_text(" ".join(value))))
    return out


def _filename(part: LegacyMessage) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return decode_text(name) if name else None


def _text(part: LegacyMessage, defects: list[str]) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        defects.append(f"unknown charset {charset!r}; decoded as UTF-8")
        return payload.decode("utf-8", errors="replace")


def _size(part: LegacyMessage) -> int:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return 0
    return len(payload) if isinstance(payload, bytes) else 0


def _defect_words(part: LegacyMessage) -> list[str]:
    return [type(defect).__name__ for defect in getattr(part, "defects", ())]
