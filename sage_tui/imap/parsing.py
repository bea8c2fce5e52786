"""Turn FETCH responses into ``MessageSummary`` objects: the one replaceable parsing step.

The list view is fed by ``SUMMARY_ITEMS``: the few header fields a list shows
(``BODY.PEEK[HEADER.FIELDS (...)]``) instead of ENVELOPE, whose many tokens make imapclient's
response parser the bottleneck on big folders. ENVELOPE responses (asked for explicitly, as the
seed library's guide does) and whole messages (``BODY[]``) are understood too.

Decoding never raises: bad charsets, broken RFC 2047 words and unparseable dates become
replacement characters or ``None``, so a hostile message is still listed.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from imapclient.response_types import Address as EnvelopeAddress
from imapclient.response_types import Envelope

from .models import Address, MessageSummary
from .salvage import parse_fetch

LIST_HEADERS = (
    "DATE",
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "CONTENT-TYPE",
)
HEADER_FIELDS_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(LIST_HEADERS)})]"
SUMMARY_ITEMS = ("UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", HEADER_FIELDS_ITEM)
"""What a message list fetches per message."""

_NON_ATTACHMENT_TYPES = ("text/", "multipart/alternative", "multipart/related", "message/")


def decode_text(value: bytes | str | None) -> str:
    """Decode a raw header value: bytes as UTF-8 (RFC 6532) or Latin-1, then RFC 2047 words."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    if "=?" not in value:
        return _unfold(value)
    try:
        parts = email.header.decode_header(value)
    except Exception:
        return _unfold(value)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        out.append(_decode_bytes(chunk, charset))
    return _unfold("".join(out))


def _decode_bytes(chunk: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return chunk.decode(candidate, errors="replace")
        except (LookupError, ValueError):  # unknown, "undefined", a NUL in the name...
            continue
    return chunk.decode("latin-1")


def _unfold(value: str) -> str:
    """A folded header (CRLF + white space) reads as one line with single spaces."""
    if "\n" not in value and "\r" not in value:
        return value.strip()
    return " ".join(value.split())


def parse_header_block(block: bytes) -> dict[str, str]:
    """Split a header block into ``{lower-case name: raw value}``; the first occurrence wins."""
    headers: dict[str, str] = {}
    name: str | None = None
    value_lines: list[str] = []
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    # Not splitlines(): it also breaks at NEL, U+2028, VT, FF..., which hostile headers carry.
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line[0] in " \t" and name is not None:
            value_lines.append(line)
            continue
        if name is not None and name not in headers:
            headers[name] = " ".join(part.strip() for part in value_lines)
        key, sep, rest = line.partition(":")
        if not sep:
            name = None
            continue
        name = key.strip().lower()
        value_lines = [rest]
    if name is not None and name not in headers:
        headers[name] = " ".join(part.strip() for part in value_lines)
    return headers


_ANGLE_ADDRESS = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<>"()\\]*?))\s*<([^<>\s]*)>\s*')
_BARE_ADDRESS = re.compile(r'\s*([^\s<>"(),;:\\]+)\s*')


def parse_addresses(value: str | None) -> tuple[Address, ...]:
    """Parse an address header, decoding RFC 2047 display names after splitting at commas.

    The common shapes (``a@b``, ``Name <a@b>``, ``"Last, First" <a@b>``) take a fast path;
    anything else (comments, groups, odd quoting) goes to ``email.utils.getaddresses``, which
    is correct but about ten times slower: it dominated the time to list a big folder.
    """
    if not value:
        return ()
    fast = _fast_addresses(value)
    if fast is not None:
        return fast
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:
        return (Address(decode_text(value), ""),)
    return tuple(Address(decode_text(name), addr.strip()) for name, addr in pairs if name or addr)


def _fast_addresses(value: str) -> tuple[Address, ...] | None:
    out = []
    for part in _split_addresses(value):
        match = _ANGLE_ADDRESS.fullmatch(part)
        if match:
            quoted, plain, addr = match.groups()
            name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain
            out.append(Address(decode_text(name) if name else "", addr))
            continue
        match = _BARE_ADDRESS.fullmatch(part)
        if match is None:
            return None
        out.append(Address("", match.group(1)))
    return tuple(out)


def _split_addresses(value: str) -> list[str]:
    """Split at commas outside quoted strings; blank parts are dropped."""
    if '"' not in value:
        return [part for part in value.split(",") if part.strip()]
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC5322_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(_MONTHS) + r") "
    r"([1-9]\d{3}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)(?:[ \t][^\n]*)?"
)
_MONTH_OF = {name: number for number, name in enumerate(_MONTHS, 1)}


def parse_date(value: str | None) -> datetime | None:
    """A Date header as an aware datetime (naive for ``-0000``), None when unparseable.

    The form nearly every mailer writes (``Thu, 13 Sep 2020 12:26:40 +0200 (CEST)``) is read
    with one regular expression; anything else goes to ``email.utils``, whose result the
    fast path equals (a test compares them).
    """
    if not value:
        return None
    match = _RFC5322_DATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second, sign, zh, zm = match.groups()
        try:
            # RFC 5322: -0000 means "zone unknown", for which email.utils gives a naive time.
            zone = None if sign == "-" and zh == zm == "00" else _zone(sign + zh + zm)
            return datetime(int(year), _MONTH_OF[month], int(day), int(hour), int(minute),
                            int(second), tzinfo=zone)
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def has_attachments(content_type: str | None) -> bool:
    """Cheap list-view guess: multipart/mixed, or a single part that is not text."""
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "multipart/mixed":
        return True
    return not mime.startswith(_NON_ATTACHMENT_TYPES) and "/" in mime


def _message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(token for token in value.replace(",", " ").split() if token)


def _envelope_addresses(items: Iterable[EnvelopeAddress] | None) -> tuple[Address, ...]:
    out = []
    for item in items or ():
        mailbox = decode_text(item.mailbox)
        host = decode_text(item.host)
        if not host and not mailbox:
            continue  # group syntax markers
        out.append(Address(decode_text(item.name), f"{mailbox}@{host}" if host else mailbox))
    return tuple(out)


def _flags(raw: Iterable[bytes | str] | None) -> frozenset[str]:
    return frozenset(
        flag.decode("utf-8", "replace") if isinstance(flag, bytes) else str(flag)
        for flag in (raw or ())
    )


def _find(data: Mapping[bytes, object], prefix: bytes) -> object | None:
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return value
    return None


def summary_from_fetch(uid: int, data: Mapping[bytes, object]) -> MessageSummary:
    """Build a summary from one message's FETCH data, whatever items were asked for."""
    flags = data.get(b"FLAGS")
    internaldate = data.get(b"INTERNALDATE")
    size = data.get(b"RFC822.SIZE")
    fields: dict[str, object] = {
        "uid": uid,
        "flags": _flags(flags) if flags is not None else frozenset(),  # type: ignore[arg-type]
        "internaldate": internaldate if isinstance(internaldate, datetime) else None,
        "size": size if isinstance(size, int) else None,
    }
    raw = _find(data, b"BODY[]")
    header_block = _find(data, b"BODY[HEADER")
    if isinstance(raw, bytes):
        fields["raw"] = raw
        header_block = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw
    envelope = data.get(b"ENVELOPE")
    if isinstance(header_block, bytes):
        fields.update(_fields_from_headers(parse_header_block(header_block)))
    elif isinstance(envelope, Envelope):
        fields.update(_fields_from_envelope(envelope))
    return MessageSummary(**fields)  # type: ignore[arg-type]


def _fields_from_headers(headers: dict[str, str]) -> dict[str, object]:
    return {
        "subject": decode_text(headers.get("subject")),
        "from_": parse_addresses(headers.get("from")),
        "to": parse_addresses(headers.get("to")),
        "cc": parse_addresses(headers.get("cc")),
        "date": parse_date(headers.get("date")),
        "message_id": headers.get("message-id", "").strip() or None,
        "in_reply_to": headers.get("in-reply-to", "").strip() or None,
        "references": _message_ids(headers.get("references")),
        "has_attachments": has_attachments(headers.get("content-type")),
    }


def _fields_from_envelope(envelope: Envelope) -> dict[str, object]:
    date = envelope.date if isinstance(envelope.date, datetime) else None
    return {
        "subject": decode_text(envelope.subject),
        "from_": _envelope_addresses(envelope.from_),
        "to": _envelope_addresses(envelope.to),
        "cc": _envelope_addresses(envelope.cc),
        "date": date,
        "message_id": decode_text(envelope.message_id) or None,
        "in_reply_to": decode_text(envelope.in_reply_to) or None,
    }


def summaries_from_response(response: Mapping[int, Mapping[bytes, object]]) -> list[MessageSummary]:
    """All summaries of an imapclient-parsed FETCH response (keyed by UID), ascending."""
    return [summary_from_fetch(uid, response[uid]) for uid in sorted(response)]


# -- INTERNALDATE ------------------------------------------------------------------------

_INTERNALDATE = re.compile(
    r"\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)
_MONTH_NUMBERS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ZONES: dict[str, timezone] = {}


def parse_internaldate(text: str) -> datetime | None:
    """``01-Jan-2024 10:00:00 +0100`` -> aware datetime; None when malformed."""
    match = _INTERNALDATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    month_number = _MONTH_NUMBERS.get(month.lower())
    if month_number is None:
        return None
    try:
        return datetime(int(year), month_number, int(day), int(hour), int(minute), int(second),
                        tzinfo=_zone(sign + zh + zm))
    except ValueError:
        return None


def _zone(offset: str) -> timezone:
    """``+0130`` -> a shared ``timezone`` object (ValueError beyond +-24 h, as timezone)."""
    zone = _ZONES.get(offset)
    if zone is None:
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        zone = timezone(-delta if offset[0] == "-" else delta)
        if len(_ZONES) < 2000:
            _ZONES[offset] = zone
    return zone


def general_summaries(data: list[bytes | tuple[bytes, bytes]]) -> list[MessageSummary]:
    """The slow, general path: any FETCH response imapclient can parse, ascending by UID."""
    parsed = parse_fetch(data)  # one malformed message does not hide the others
    return sorted(
        (
            summary_from_fetch(item[b"UID"], item)  # type: ignore[arg-type]
            for item in parsed.values()
            if b"UID" in item
        ),
        key=lambda summary: summary.uid,
    )
