"""Parse a whole message for the reader with the stdlib ``email`` package, whatever it contains.

Malformed mail is normal mail: broken base64, lying charsets, missing boundaries, headers of
10,000 lines, parts nested 50 deep. Nothing here raises on content: what cannot be decoded is
shown with replacement characters (U+FFFD) and named in ``Message.defects`` in plain words, so
the reader can say "partly unreadable" while still showing the rest.

The structure is parsed with the legacy ``compat32`` policy, whose header handling is a few
regular expressions: the modern ``email.policy.default`` parses structured headers with a
recursive parser that took 10-15 s on one 300 KB Content-Type (and raised ``RecursionError`` on
5,000 nested comments). Header *text* is decoded here and in ``parsing`` instead. Header values
the structure needs are cut at ``MAX_HEADER_CHARS`` before anything parses them.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import Message as LegacyMessage

from .models import Attachment, Message, MessageSummary
from .parsing import decode_text, summary_from_fetch

MAX_PARTS = 500
"""Parts walked at most: a 50-level or 10,000-part bomb must not stall the reader."""
MAX_HEADER_CHARS = 8192
"""Longest header value the structure parser looks at (parameters, file names)."""
MAX_FILENAME_CHARS = 1024
MAX_DEFECT_CHARS = 200


class _BoundedPolicy(email.policy.Compat32):
    """``compat32`` with header values cut short before parameters are parsed from them, and
    8-bit header bytes read as UTF-8 (RFC 6532; Latin-1 when they are not UTF-8) instead of
    one U+FFFD per byte, so ``filename="Café.pdf"`` sent raw keeps its name."""

    def header_fetch_parse(self, name: str, value: str):  # type: ignore[no-untyped-def]
        if len(value) > MAX_HEADER_CHARS:
            value = value[:MAX_HEADER_CHARS]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # surrogate escapes: the parser met non-ASCII bytes
            raw = value.encode("ascii", "surrogateescape")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return super().header_fetch_parse(name, value)


POLICY = _BoundedPolicy()

_DEFECT_WORDS = {
    "CloseBoundaryNotFoundDefect": "a multipart section is never closed",
    "StartBoundaryNotFoundDefect": "a multipart boundary is missing",
    "NoBoundaryInMultipartDefect": "a multipart part declares no boundary",
    "MultipartInvariantViolationDefect": "a part claims to be multipart but is not",
    "MissingHeaderBodySeparatorDefect": "the headers run into the body",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "a mailbox separator line sits among the headers",
    "InvalidBase64PaddingDefect": "broken base64 padding",
    "InvalidBase64CharactersDefect": "invalid characters in base64",
    "InvalidBase64LengthDefect": "base64 that cannot be decoded (shown as sent)",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart part with a transfer encoding",
    "UndecodableBytesDefect": "bytes that are not text",
}


def parse_message(summary: MessageSummary, raw: bytes) -> Message:
    """Build the reader's view of ``raw``; ``summary`` supplies uid, flags, size and date.

    Never raises on content: a part that cannot be read is named in ``defects`` and the other
    parts are still shown.
    """
    defects: list[str] = []
    try:
        parsed = email.message_from_bytes(raw, policy=POLICY)
    except Exception as exc:  # the parser is lenient; this is a last resort
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
        try:
            if part.is_multipart():
                continue
            content_type = part.get_content_type()
            filename = _filename(part)
            if part.get_content_disposition() == "attachment" or (
                filename and content_type not in _READABLE
            ):
                attachments.append(
                    Attachment(index, filename or f"part-{index}", content_type, _size(part))
                )
            elif content_type == "text/plain" and text is None:
                text = _text(part, defects)
            elif content_type == "text/html" and html is None:
                html = _text(part, defects)
            elif not content_type.startswith(("text/", "multipart/")):
                attachments.append(
                    Attachment(index, filename or f"part-{index}", content_type, _size(part))
                )
        except Exception as exc:  # one unreadable part must not hide the others
            defects.append(f"part {index} could not be read ({type(exc).__name__})")
        finally:
            defects.extend(_defect_words(part))
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


def attachment_payload(raw: bytes, part: int) -> bytes:
    """The decoded bytes of part number ``part`` (``Attachment.part``) of the message ``raw``.

    The same walk as ``parse_message``, so the numbers agree. Broken base64 gives what could be
    decoded, as the reader showed it.

    Raises:
        LookupError: the message has no such part (it changed since it was read).
    """
    parsed = email.message_from_bytes(raw, policy=POLICY)
    for index, candidate in enumerate(_walk(parsed), start=1):
        if index == part and not candidate.is_multipart():
            payload = candidate.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
        if index > part:
            break
    raise LookupError(f"the message has no part {part}")


_READABLE = ("text/plain", "text/html")


def _walk(message: LegacyMessage) -> Iterator[LegacyMessage]:
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
        lines = head.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = head.decode("latin-1").split("\n")
    for line in (line.removesuffix("\r") for line in lines):
        if line[:1] in (" ", "\t") and name is not None:
            value.append(line.strip())
            continue
        if name is not None:
            out.append((name, _header_text(value)))
        key, sep, rest = line.partition(":")
        name, value = (key.strip(), [rest.strip()]) if sep else (None, [])
    if name is not None:
        out.append((name, _header_text(value)))
    return out


def _header_text(lines: list[str]) -> str:
    """One header's decoded value; a monster value is decoded only as far as anyone reads."""
    value = " ".join(lines)
    return decode_text(value[:MAX_HEADER_CHARS] + "…" if len(value) > MAX_HEADER_CHARS
                       else value)


def _filename(part: LegacyMessage) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    return decode_text(str(name)[:MAX_FILENAME_CHARS])


def _text(part: LegacyMessage, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = b""
    charset = (part.get_content_charset() or "utf-8").strip()
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeError, TypeError, ValueError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            defects.append(f"some text is not valid {_short(charset)}; undecodable bytes are "
                           "shown as �")
            return payload.decode(charset, errors="replace")
        defects.append(f"unknown charset {_short(charset)!r}; decoded as UTF-8")
        return payload.decode("utf-8", errors="replace")


def _size(part: LegacyMessage) -> int:
    """The decoded size, estimated without decoding (a 25 MB base64 part costs no copy)."""
    try:
        payload = part.get_payload()
    except Exception:
        return 0
    if not isinstance(payload, str):
        return 0
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        letters = len(payload) - sum(payload.count(c) for c in "\r\n \t=")
        return letters * 3 // 4
    return len(payload)


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _defect_words(part: LegacyMessage) -> list[str]:
    words = []
    for defect in getattr(part, "defects", ()):
        name = type(defect).__name__
        words.append(_DEFECT_WORDS.get(name) or _CAMEL.sub(" ", name.removesuffix("Defect"))
                     .lower())
    return words


def _short(value: str) -> str:
    return value if len(value) <= MAX_DEFECT_CHARS else value[:MAX_DEFECT_CHARS] + "…"
