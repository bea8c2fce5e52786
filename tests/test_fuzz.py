"""Fuzzing: the MIME decoder, the query parser and MessageSet parsing never fail in a way the
UI would show as a crash.

Marked ``fuzz`` and bounded (``SAGE_TUI_FUZZ_EXAMPLES``, 200 by default, no deadline) so the
suite stays fast; run ``SAGE_TUI_FUZZ_EXAMPLES=5000 pytest -m fuzz`` for a longer hunt.
"""

from __future__ import annotations

import base64
import os
import quopri
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sage_tui.imap import IMAPSearchCriteria, MessageSet
from sage_tui.imap.mime import MAX_PARTS, attachment_payload, parse_message, summary_from_raw
from sage_tui.imap.parsing import decode_text, parse_header_block
from sage_tui.text import literal_line, one_line, visible

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=int(os.environ.get("SAGE_TUI_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- building blocks of hostile mail -----------------------------------------------------

HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from([*"[]/\\@=:;\"'()<>,.$ ", "[/]", "[@click=app.quit]", "\x1b[31m",
                         "\x9b", "\x9d", "\x00", "\u202e", "\u200b", "\ufeff", "\r\n\t", "=?"]),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
).map("".join)
CHARSETS = st.sampled_from([
    "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "utf-7", "shift_jis",
    "koi8-r", "x-unknown", "undefined", "rot13", "base64", "", "utf-8\x00", "\u00e9t\u00e9",
])
ENCODINGS = st.sampled_from(["7bit", "8bit", "binary", "base64", "quoted-printable",
                             "x-uuencode", "garbage", ""])
TYPES = st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png",
                         "message/rfc822", "text/x-weird", "garbage", "multipart/alternative"])


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    charset = draw(CHARSETS)
    raw = draw(st.binary(max_size=30))
    if draw(st.booleans()):
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
    return f"=?{charset}?Q?{quopri.encodestring(raw, header=True).decode('ascii', 'replace')}?="


HEADER_VALUE = st.one_of(HOSTILE_TEXT, encoded_word(),
                         st.lists(st.one_of(HOSTILE_TEXT, encoded_word()), max_size=4)
                         .map(" ".join))


def _encode_body(body: bytes, encoding: str, draw: st.DrawFn) -> bytes:
    if encoding == "base64":
        data = base64.encodebytes(body)
        if draw(st.booleans()):  # break it
            data = data[: draw(st.integers(0, len(data)))] + draw(st.binary(max_size=10))
        return data
    if encoding == "quoted-printable":
        return quopri.encodestring(body) + draw(st.sampled_from([b"", b"=", b"=Z", b"=\r\n"]))
    return body


@st.composite
def mime_part(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(TYPES)
    headers = [f"Content-Type: {kind}; charset={draw(CHARSETS)}"]
    if draw(st.booleans()):
        name = draw(HEADER_VALUE)
        disposition = draw(st.sampled_from(["attachment", "inline", "x"]))
        headers.append(f'Content-Disposition: {disposition}; filename="{name}"')
    if kind.startswith("multipart/") and depth < 6:
        boundary = draw(st.sampled_from(["b", "bb", "=_x", "", "b" * 80]))
        headers[0] = f'Content-Type: multipart/mixed; boundary="{boundary}"'
        children = draw(st.lists(mime_part(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
    encoding = draw(ENCODINGS)
    headers.append(f"Content-Transfer-Encoding: {encoding}")
    body = _encode_body(draw(st.binary(max_size=200)), encoding, draw)
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


@st.composite
def hostile_message(draw: st.DrawFn) -> bytes:
    names = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "References", "X-Junk"]
    lines = []
    for name in draw(st.lists(st.sampled_from(names), max_size=8)):
        value = draw(HEADER_VALUE)
        if draw(st.booleans()):
            value = value.replace(" ", "\r\n\t", 1)  # folded
        lines.append(f"{name}: {value}")
    head = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    return head + b"\r\nMIME-Version: 1.0\r\n" + draw(mime_part())


def _check(raw: bytes) -> None:
    """What the reader does with a message: none of it may raise."""
    summary = summary_from_raw(7, raw)
    message = parse_message(summary, raw)
    assert message.raw == raw and message.uid == 7
    assert isinstance(message.text or "", str) and isinstance(message.html or "", str)
    for attachment in message.attachments:
        assert 1 <= attachment.part <= MAX_PARTS
        assert isinstance(attachment_payload(raw, attachment.part), bytes)
    for name, value in message.headers:
        _assert_displayable(one_line(value))
        _assert_displayable(one_line(name))
    _assert_displayable(visible(message.text or ""))
    for defect in message.defects:
        assert isinstance(defect, str) and defect


def _assert_displayable(shown: str) -> None:
    """Nothing that a terminal would obey: no C0 (but newline and tab), no DEL, no C1, no
    bidi override."""
    for char in shown:
        code = ord(char)
        assert char in "\n\t" or not (code < 0x20 or 0x7F <= code < 0xA0), repr(shown)
        assert unicodedata.bidirectional(char) not in ("RLO", "LRO", "RLE", "LRE", "PDF",
                                                       "RLI", "LRI", "FSI", "PDI"), repr(shown)


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_are_a_readable_message(raw):
    _check(raw)


@FUZZ
@given(hostile_message())
def test_structured_hostile_mail_is_readable(raw):
    _check(raw)


@FUZZ
@given(st.binary(max_size=2000))
def test_header_blocks_and_words_always_decode(block):
    for value in parse_header_block(block).values():
        text = decode_text(value)
        assert isinstance(text, str)
        line = literal_line(text)
        _assert_displayable(line.plain)
        assert "\n" not in line.plain


# -- the query language ------------------------------------------------------------------

QUERY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["from:", "to:", "subject:", "since:", "before:", "larger:", "uid:",
                         "header:", "keyword:", " OR ", " AND ", "NOT ", "-", "(", ")", '"',
                         "\\", " ", "2024-01-01", "1MB", "1:5,9", "*", "unseen", "flagged"]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=20,
).map("".join)


@FUZZ
@given(QUERY_TEXT)
def test_any_query_text_parses_or_says_where_it_is_wrong(text):
    try:
        criteria = IMAPSearchCriteria.parse(text)
    except ValueError as error:
        assert str(error).startswith("column "), str(error)
        return
    rendered = criteria.to_query()
    assert IMAPSearchCriteria.parse(rendered).to_query() == rendered
    wire = criteria.to_wire()
    assert all(isinstance(arg, bytes) for arg in wire)


# -- MessageSet --------------------------------------------------------------------------

SET_TEXT = st.text(alphabet=st.sampled_from(list("0123456789:,*- x")), max_size=30)


@FUZZ
@given(SET_TEXT)
def test_any_message_set_text_parses_or_is_refused_cleanly(text):
    try:
        parsed = MessageSet.parse(text)
    except ValueError as error:
        assert str(error)
        return
    assert MessageSet.parse(str(parsed)) == parsed
    assert all(1 <= uid <= 4294967295 for uid in parsed.ranges[0]) if parsed else True


@FUZZ
@given(st.lists(st.integers(1, 4294967295), max_size=200), st.integers(1, 50))
def test_message_sets_round_trip_and_chunk_without_loss(uids, size):
    messages = MessageSet(uids)
    assert set(messages) == set(uids)
    assert MessageSet(str(messages)) == messages
    chunked = [uid for chunk in messages.chunks(size) for uid in chunk]
    assert chunked == sorted(set(uids))
    by_length = [uid for chunk in messages.chunks_by_length(40) for uid in chunk]
    assert by_length == sorted(set(uids))
