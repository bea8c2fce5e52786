"""The fast path from a list FETCH response (``SUMMARY_ITEMS``) to ``MessageSummary`` rows.

Listing a big folder is this loop, once per message, so it is written for speed and checked for
sameness: every shortcut here gives exactly what the general path in ``parsing`` gives (tests
compare them on real and generated responses), and anything a shortcut does not cover goes to
that general path instead, so a hostile message is still listed, never dropped.

Where the time goes and what is done about it (20,000 messages, loopback Dovecot):

- The response prefix (UID, FLAGS, INTERNALDATE, RFC822.SIZE) is read with one regular
  expression for the shape servers send, with separate searches for any other order.
- A header block of printable ASCII without folded lines (most of them: RFC 2047 words are
  ASCII) is split with one ``findall``; any other block goes to ``parse_header_block``.
- Dates in the form nearly every mailer writes take a regular expression instead of
  ``email.utils`` (``parsing.parse_date``).
- Values that repeat across a folder (senders, recipients, encoded subjects, flag sets,
  content types) are decoded once and then shared: faster, and 100,000 rows from one sender
  hold one ``Address`` tuple instead of 100,000 copies. The memos are bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import imapclient

from . import wire
from .models import Address, MessageSummary
from .parsing import (
    SUMMARY_ITEMS,
    _message_ids,
    _unfold,
    decode_text,
    general_summaries,
    has_attachments,
    parse_addresses,
    parse_date,
    parse_header_block,
    parse_internaldate,
)

RawFetch = list[bytes | tuple[bytes, bytes]]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MEMO_LIMIT = 50_000
"""Entries per memo: far more distinct senders than most folders have, and a few MB at most."""


class _Memo(dict[K, V], Generic[K, V]):
    """``memo[key]`` is ``function(key)``, computed once while the memo has room.

    A dict subclass whose ``__missing__`` computes the value, so a hit is a plain dict lookup.
    Values must be immutable (they are shared between rows). Safe across threads: at worst a
    value is computed twice.
    """

    def __init__(self, function: Callable[[K], V], limit: int = MEMO_LIMIT) -> None:
        super().__init__()
        self.function = function
        self.limit = limit

    def __missing__(self, key: K) -> V:
        value = self.function(key)
        if len(self) < self.limit:
            self[key] = value
        return value


_addresses: _Memo[str, tuple[Address, ...]] = _Memo(parse_addresses)
_encoded_text: _Memo[str, str] = _Memo(decode_text)
_attachments: _Memo[str, bool] = _Memo(has_attachments)
_flag_sets: _Memo[bytes, frozenset[str]] = _Memo(
    lambda raw: frozenset(raw.decode("utf-8", "replace").split()))


def clear_memos() -> None:
    """Forget every shared value (a benchmark's cold run starts from nothing)."""
    for memo in (_addresses, _encoded_text, _attachments, _flag_sets):
        memo.clear()


def _text(value: str) -> str:
    """``decode_text`` of a header value: RFC 2047 words only when there are any."""
    return _encoded_text[value] if "=?" in value else _unfold(value)


# -- header blocks -------------------------------------------------------------------------

_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_HEADER_LINE = re.compile(r"^([^:\n]*):(.*)$", re.MULTILINE)


def simple_header_block(block: bytes) -> dict[str, str] | None:
    """``parse_header_block(block)`` for a block of unfolded printable ASCII lines, else None.

    For such a block every line is ``name: value`` or has no colon (then it names nothing),
    so one ``findall`` does what the general line loop does. Left to ``parse_header_block``:
    bytes outside printable ASCII (charsets, control characters), a CR that does not end a
    line, and folded lines.
    """
    if block.translate(None, _PRINTABLE):
        return None
    text = block.decode("ascii")
    if "\n " in text or "\n\t" in text or text.count("\r") != text.count("\r\n"):
        return None
    headers: dict[str, str] = {}
    for name, value in _HEADER_LINE.findall(text):
        name = name.strip().lower()
        if name not in headers:
            headers[name] = value.strip()
    return headers


def list_fields(block: bytes) -> dict[str, object]:
    """The ``MessageSummary`` fields a header block gives (``parsing._fields_from_headers``)."""
    names = ("subject", "from_", "to", "cc", "date", "message_id", "in_reply_to", "references",
             "has_attachments")
    return dict(zip(names, _header_values(block), strict=True))


def _header_values(block: bytes) -> tuple[object, ...]:
    """``list_fields`` as a tuple in ``MessageSummary`` order, for the hot loop."""
    headers = simple_header_block(block)
    if headers is None:
        headers = parse_header_block(block)
    get = headers.get
    return (
        _text(get("subject", "")),
        _addresses[get("from", "")],
        _addresses[get("to", "")],
        _addresses[get("cc", "")],
        parse_date(get("date")),
        get("message-id", "").strip() or None,
        get("in-reply-to", "").strip() or None,
        _message_ids(get("references")),
        _attachments[get("content-type", "")],
    )


# -- responses -----------------------------------------------------------------------------

_RESPONSE_START = re.compile(rb"(\d+) \(")
_COMMON_SHAPE = re.compile(
    rb'\d+ \(UID (\d+) FLAGS \(([^()"\[\]{}]*)\) INTERNALDATE "([ 0-9A-Za-z:+-]+)" '
    rb"RFC822\.SIZE (\d+) BODY\[HEADER\.FIELDS \([^)]*\)\] (?:\{\d+\}|\"\"|NIL)"
)
"""``SUMMARY_ITEMS`` answered in the order asked (Dovecot, and most servers). The character
classes keep every group to what the separate searches below would find first."""
_UID_ITEM = re.compile(rb"\bUID (\d+)")
_FLAGS_ITEM = re.compile(rb"\bFLAGS \(([^)]*)\)")
_DATE_ITEM = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_SIZE_ITEM = re.compile(rb"\bRFC822\.SIZE (\d+)")
_HEADER_ITEM = re.compile(rb"\bBODY\[HEADER\.FIELDS \([^)]*\)\] (?:\{\d+\}|\"\"|NIL)")
_NO_FLAGS: frozenset[str] = frozenset()


def _read_piece(piece: bytes | tuple[bytes, bytes], rows: dict[int, MessageSummary]) -> bool:
    """Add the row of one piece to ``rows``; False when the piece has an unexpected shape."""
    if isinstance(piece, tuple):
        prefix, literal = piece
    else:
        if piece.strip() == b")":
            return True
        prefix, literal = piece, None
    common = _COMMON_SHAPE.fullmatch(prefix)
    if common is not None:
        uid_text, flag_text, date_text, size_text = common.groups()
        uid, size = int(uid_text), int(size_text)
        flags = _flag_sets[flag_text]
        internaldate = parse_internaldate(date_text.decode("ascii"))
    else:
        if not _RESPONSE_START.match(prefix):
            return False
        uid_match = _UID_ITEM.search(prefix)
        if uid_match is None:
            # An unsolicited FETCH (another client's flag change) is not ours to list.
            return literal is None and b"BODY[" not in prefix
        if _HEADER_ITEM.search(prefix) is None:
            return False
        flag_match = _FLAGS_ITEM.search(prefix)
        date_match = _DATE_ITEM.search(prefix)
        size_match = _SIZE_ITEM.search(prefix)
        uid = int(uid_match.group(1))
        flags = _flag_sets[flag_match.group(1)] if flag_match else _NO_FLAGS
        internaldate = (parse_internaldate(date_match.group(1).decode("ascii", "replace"))
                        if date_match else None)
        size = int(size_match.group(1)) if size_match else None
    subject, from_, to, cc, date, message_id, in_reply_to, references, attachments = (
        _header_values(literal or b""))
    # A server may repeat a message in one response: the last answer wins, one row per UID.
    rows[uid] = MessageSummary(
        uid, subject, from_, to, cc, date, internaldate, flags, size,  # type: ignore[arg-type]
        attachments, message_id, in_reply_to, references,  # type: ignore[arg-type]
    )
    return True


def fast_summaries(data: RawFetch) -> list[MessageSummary] | None:
    """Parse a ``SUMMARY_ITEMS`` FETCH response directly from imaplib's pieces.

    imapclient's general parser tokenises every byte of every response; a list response has a
    fixed shape (a few atoms, then one header literal), so regular expressions over the short
    prefix and one pass over the header block do the same work many times faster.

    Returns:
        Summaries ascending by UID, or None when a response does not have the expected shape
        (the caller then uses the general parser, so nothing is ever dropped).
    """
    rows: dict[int, MessageSummary] = {}
    for piece in data:
        if not _read_piece(piece, rows):
            return None
    return [rows[uid] for uid in sorted(rows)]


def summaries(data: RawFetch) -> list[MessageSummary]:
    """Summaries from a raw FETCH response: the fast path, else imapclient's general parser."""
    fast = fast_summaries(data)
    return fast if fast is not None else general_summaries(data)


def fetch_summaries(
    raw: imapclient.IMAPClient, message_set: str, *, uid: bool = True
) -> list[MessageSummary]:
    """``[UID] FETCH <message_set> SUMMARY_ITEMS`` as rows ascending by UID.

    The whole answer is read first, then parsed: parsing each message as it arrives (while the
    server sends the rest) was measured here and was slower on a 2-core machine, where the
    server and this loop then compete for the same cores.
    """
    return summaries(wire.fetch_raw(raw, message_set, SUMMARY_ITEMS, uid=uid))
