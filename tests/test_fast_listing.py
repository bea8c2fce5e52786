"""The fast listing path gives exactly what the general path gives, and never drops a row.

Three shortcuts make a big folder list fast; each is checked against what it replaces:

- ``responses``: the block reader files a byte stream exactly as imaplib's line reader does,
  however the stream is cut into reads;
- ``fastlist.simple_header_block`` equals ``parse_header_block`` wherever it applies, and
  ``parse_date``'s regular expression equals ``email.utils``;
- ``fast_summaries`` equals imapclient-based ``general_summaries`` on any header bytes, and on
  hostile mail stored in the real Dovecot, every message is listed.
"""

from __future__ import annotations

import email.utils
import imaplib
import io
import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sage_tui.imap import IMAPClient, IMAPMailboxService, MessageSet, responses, wire
from sage_tui.imap.fastlist import _Memo, fast_summaries, simple_header_block
from sage_tui.imap.parsing import SUMMARY_ITEMS, general_summaries, parse_date, parse_header_block
from tests.support.engine import plain_config
from tests.support.hostile_mail import hostile_messages
from tests.support.seed import make_message, seed_folder

TAG = b"ABCD7"

# -- the block reader against imaplib -----------------------------------------------------


class _Chunked(io.RawIOBase):
    """A stream that hands out its bytes in the given read sizes (as TCP segments would)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.pos = data, list(sizes), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = self.sizes.pop(0) if self.sizes else 7
        piece = self.data[self.pos:self.pos + min(size, len(buffer))]
        buffer[:len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


def _connection(stream: bytes, sizes: list[int]) -> imaplib.IMAP4:
    """An ``IMAP4`` in the state just after sending command ``TAG``, reading ``stream``."""
    imap = object.__new__(imaplib.IMAP4)
    imap.debug = 0
    imap._mode_ascii()  # type: ignore[attr-defined]
    imap._cmd_log_len, imap._cmd_log_idx, imap._cmd_log = 10, 0, {}
    imap.tagpre = b"ABCD"
    imap.tagre = re.compile(rb"(?P<tag>ABCD\d+) (?P<type>[A-Z]+) (?P<data>.*)", re.ASCII)
    imap.tagged_commands = {TAG: None}
    imap.untagged_responses = {}
    imap.continuation_response = ""
    imap.file = io.BufferedReader(_Chunked(stream, sizes), buffer_size=64)
    return imap


def _outcome(read) -> tuple:  # type: ignore[no-untyped-def]
    try:
        tagged = read()
    except imaplib.IMAP4.abort:
        return ("abort",)
    except imaplib.IMAP4.error:
        return ("error",)
    return ("done", tagged)


def _both(stream: bytes, sizes: list[int]) -> tuple[tuple, tuple]:
    theirs = _connection(stream, sizes)
    ours = _connection(stream, sizes)

    def imaplib_read() -> tuple:
        result = theirs._get_tagged_response(TAG)
        return result, theirs.untagged_responses, theirs.continuation_response

    def block_read() -> tuple:
        responses.read_until_tagged(ours, TAG)
        return ours.tagged_commands[TAG], ours.untagged_responses, ours.continuation_response

    return _outcome(imaplib_read), _outcome(block_read)


def _literal(body: bytes) -> bytes:
    return b"{%d}\r\n" % len(body) + body


RESPONSE_PARTS = st.one_of(
    st.builds(lambda n, body: b"* %d FETCH (UID %d FLAGS (\\Seen) BODY[HEADER] " % (n, n)
              + _literal(body) + b")\r\n", st.integers(1, 10**6), st.binary(max_size=60)),
    st.builds(lambda body: b"* 3 FETCH (BODY[1] " + _literal(body) + b" BODY[2] "
              + _literal(body[::-1]) + b")\r\n", st.binary(max_size=30)),
    st.just(b"* 1 FETCH (UID 9 BODY[] {13}\r\nABCD7 OK fake\r\n)\r\n"),  # a tag inside a literal
    st.sampled_from([
        b"* 23 EXISTS\r\n", b"* 2 EXPUNGE\r\n", b"* OK [HIGHESTMODSEQ 99] x\r\n",
        b"* FLAGS (\\Seen \\Answered)\r\n", b"* VANISHED (EARLIER) 1:3\r\n", b"+ go on\r\n",
        b"* NO [ALERT] careful\r\n", b"* 4 FETCH (FLAGS (\\Deleted))\r\n", b"* \r\n",
        b"* 1 FETCH\r\n", b"* SEARCH 1 2 3\r\n",
    ]),
)
BROKEN_PARTS = st.sampled_from([
    b"garbage line\r\n", b"* 5 FETCH (UID 5 BODY[] {10}\r\nshort", b"* bare LF\n",
    b"ABCD9 OK someone else's tag\r\n", b"* BYE going away\r\n", b"",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(RESPONSE_PARTS, max_size=8),
    broken=st.lists(BROKEN_PARTS, max_size=1),
    ending=st.sampled_from([b"ABCD7 OK FETCH done\r\n", b"ABCD7 NO [TRYCREATE] nope\r\n",
                            b"ABCD7 BAD no\r\n", b"ABCD7 OK [READ-ONLY] x\r\n", b""]),
    sizes=st.lists(st.integers(1, 300), max_size=40),
)
def test_the_block_reader_files_what_imaplib_files(parts, broken, ending, sizes):
    stream = b"".join(parts) + b"".join(broken) + ending
    theirs, ours = _both(stream, sizes)
    assert ours == theirs


def test_unsolicited_data_read_with_the_tagged_line_is_filed_not_lost():
    imap = _connection(b"ABCD7 OK done\r\n* 9 EXISTS\r\n* 2 FETCH (BODY[] {3}\r\nabc)\r\n",
                       [4096])
    responses.read_until_tagged(imap, TAG)
    assert imap.tagged_commands[TAG] == ("OK", [b"done"])
    assert imap.untagged_responses == {"EXISTS": [b"9"], "FETCH": [(b"2 (BODY[] {3}", b"abc"),
                                                                   b")"]}


def test_limits_hold_in_the_block_reader():
    huge = _connection(b"* 1 FETCH (BODY[] {99999999999}\r\n", [4096])
    with pytest.raises(responses.ResponseRejected, match="99,999,999,999-byte response"):
        responses.read_until_tagged(huge, TAG)
    cut = _connection(b"* 1 FETCH (BODY[] {100}\r\n" + b"x" * 40, [4096])
    with pytest.raises(responses.ResponseRejected, match="40 bytes into a 100-byte"):
        responses.read_until_tagged(cut, TAG)


# -- header blocks and dates --------------------------------------------------------------

HEADER_NAMES = st.sampled_from(["From", "to", "CC", "Subject", "DATE", "Message-ID", " From",
                                "From ", "X-Spam", "", "In-Reply-To", "references"])
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    st.sampled_from(["=?utf-8?q?Caf=C3=A9?=", "a@b, \"L, F\" <c@d>", " \t padded \t ",
                     "Thu, 13 Sep 2020 12:26:40 +0200", "<x@y> <z@w>", "x\ry", "\x00nul",
                     "caf\xe9", "Gr\u00fc\u00dfe", "\x1cfs", "\u2028"]),
)
LINES = st.one_of(
    st.builds(lambda n, v: f"{n}:{v}", HEADER_NAMES, HEADER_VALUES),
    st.builds(lambda v: f" {v}", HEADER_VALUES),  # a folded continuation
    st.sampled_from(["", " ", "no colon here", "\t", ":empty name"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=10), st.sampled_from(["\r\n", "\n"]),
       st.sampled_from(["utf-8", "latin-1"]))
def test_the_simple_header_path_equals_the_general_one(lines, end, charset):
    block = (end.join(lines) + end + end).encode(charset, "replace")
    simple = simple_header_block(block)
    if simple is not None:
        assert simple == parse_header_block(block)


def test_plain_header_blocks_take_the_simple_path():
    block = (b"From: Ana <ana@example.org>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
             b"Date: Thu, 13 Sep 2020 12:26:40 +0200\r\nSubject: second\r\n\r\n")
    assert simple_header_block(block) == {
        "from": "Ana <ana@example.org>", "subject": "=?utf-8?q?Caf=C3=A9?=",
        "date": "Thu, 13 Sep 2020 12:26:40 +0200"}
    assert simple_header_block(b"Subject: a\r\n folded\r\n\r\n") is None
    assert simple_header_block(b"Subject: caf\xc3\xa9\r\n\r\n") is None


def _email_utils_date(value: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


DATE_TEXT = st.builds(
    "{}{} {} {} {}:{}:{} {}{}{}".format,
    st.sampled_from(["", "Thu, ", "Sun, ", "thu, ", "Xyz, "]),
    st.integers(0, 40).map(str) | st.just("07"),
    st.sampled_from(["Jan", "Feb", "Sep", "Dec", "sep", "Foo"]),
    st.integers(0, 9999).map(lambda y: f"{y:04d}"),
    st.integers(0, 25).map(lambda v: f"{v:02d}"),
    st.integers(0, 61).map(lambda v: f"{v:02d}"),
    st.integers(0, 61).map(lambda v: f"{v:02d}"),
    st.sampled_from(["+", "-"]),
    st.integers(0, 2500).map(lambda v: f"{v:04d}"),
    st.sampled_from(["", " (CEST)", " UT", "\tjunk", "x"]),
)


@settings(max_examples=400, deadline=None)
@given(DATE_TEXT)
def test_the_date_shortcut_equals_email_utils(text):
    ours, theirs = parse_date(text), _email_utils_date(text)
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert (ours.replace(tzinfo=None), ours.utcoffset()) == (
            theirs.replace(tzinfo=None), theirs.utcoffset())


def test_memos_are_bounded_and_compute_the_same_values():
    calls: list[str] = []
    memo: _Memo[str, str] = _Memo(lambda key: calls.append(key) or key.upper(), limit=2)
    assert [memo[k] for k in ("a", "b", "a", "c", "c")] == ["A", "B", "A", "C", "C"]
    assert calls == ["a", "b", "c", "c"]  # full: "c" is computed each time, never stored
    assert len(memo) == 2


# -- whole responses ----------------------------------------------------------------------

HEADER_BYTES = st.one_of(
    st.binary(max_size=200),
    st.lists(LINES, max_size=8).map(lambda lines: ("\r\n".join(lines) + "\r\n\r\n").encode(
        "utf-8", "replace")),
)


def _response(uid: int, flags: bytes, block: bytes, common: bool) -> list:
    date = b'"13-Sep-2020 12:26:40 +0000"'
    if common:
        prefix = (b"%d (UID %d FLAGS (%s) INTERNALDATE %s RFC822.SIZE %d BODY[HEADER.FIELDS "
                  b"(DATE FROM)] {%d}" % (uid, uid, flags, date, len(block) + 9, len(block)))
    else:  # another server's order
        prefix = (b"%d (BODY[HEADER.FIELDS (DATE FROM)] {%d}" % (uid, len(block)))
        return [(prefix, block), b" UID %d FLAGS (%s) RFC822.SIZE 5)" % (uid, flags)]
    return [(prefix, block), b")"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(HEADER_BYTES, st.sampled_from([b"", b"\\Seen", b"\\Seen $Junk"]),
                          st.booleans()), min_size=1, max_size=6))
def test_fast_summaries_equal_the_general_parser_on_any_headers(messages):
    data = [piece for uid, (block, flags, common) in enumerate(messages, 1)
            for piece in _response(uid, flags, block, common)]
    general = general_summaries(data)
    fast = fast_summaries(data)
    assert len(general) == len(messages)  # imapclient lists every one of them
    if fast is not None:
        assert fast == general
    if all(common for _, _, common in messages):
        assert fast is not None  # the shape servers send is never left to the slow path


def test_hostile_mail_in_dovecot_is_listed_by_the_fast_path(dovecot, imap_user, raw_imap):
    hostile = [raw for _, raw in hostile_messages(big=False)]
    messages = [*hostile, make_message(1, subject="last")]
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX", messages)
    mailbox = IMAPMailboxService(IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user)))
    mailbox.select("INBOX", readonly=True)
    listed = mailbox.fetch(MessageSet.from_ranges([(1, len(messages))]))
    assert [row.uid for row in listed] == list(range(1, len(messages) + 1))
    client = raw_imap(imap_user)
    client.select_folder("INBOX", readonly=True)
    data = wire.fetch_raw(client, f"1:{len(messages)}", SUMMARY_ITEMS)
    assert fast_summaries(data) == general_summaries(data) == listed
