"""Header decoding and the fast list parser: never raise, never disagree with the slow path."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sage_tui.imap import wire
from sage_tui.imap.fastlist import fast_summaries
from sage_tui.imap.mime import parse_message
from sage_tui.imap.models import MessageSummary
from sage_tui.imap.parsing import (
    SUMMARY_ITEMS,
    decode_text,
    general_summaries,
    parse_addresses,
    parse_internaldate,
)
from tests.support.seed import generated_messages, make_message, seed_folder


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("=?utf-8?q?Caf=C3=A9?=", "Café"),
        ("=?iso-8859-1?q?Gr=FC=DFe?= aus Berlin", "Grüße aus Berlin"),
        ("=?x-unknown?q?abc?=", "abc"),
        ("=?utf-8?b?!!!not base64?=", "=?utf-8?b?!!!not base64?="),
        ("Folded\r\n\tsubject  line", "Folded subject line"),
        ("[bold red]x[/] \x1b[31mz", "[bold red]x[/] \x1b[31mz"),
        (b"Gr\xfc\xdfe", "Grüße"),
        (None, ""),
    ],
)
def test_decode_text_never_raises(raw, text):
    assert decode_text(raw) == text


def test_internaldate():
    assert parse_internaldate("01-Jan-2024 10:00:00 +0100") == datetime(
        2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    assert parse_internaldate(" 5-Feb-2024 23:59:59 -0530").utcoffset() == -timedelta(
        hours=5, minutes=30)
    assert parse_internaldate("31-Feb-2024 10:00:00 +0000") is None
    assert parse_internaldate("garbage") is None


names = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF,
                                       blacklist_characters='"\\<>,()'), max_size=15)
locals_ = st.from_regex(r"[a-z0-9._+-]{1,10}", fullmatch=True)


@given(st.lists(st.tuples(names, locals_), min_size=1, max_size=4))
def test_fast_addresses_agree_with_the_email_package(pairs):
    header = ", ".join(
        email.utils.formataddr((name.strip(), f"{local}@example.org")) for name, local in pairs
    )
    expected = [(decode_text(n), a) for n, a in email.utils.getaddresses([header])]
    assert [(a.name, a.email) for a in parse_addresses(header)] == expected


def test_hostile_address_headers_fall_back_and_never_raise():
    assert parse_addresses("undisclosed-recipients:;") == ()
    assert [a.email for a in parse_addresses("x@y (comment)")] == ["x@y"]
    assert parse_addresses('"unterminated <a@b>') is not None


def test_fast_and_general_parsers_agree_on_real_responses(dovecot, imap_user, raw_imap):
    messages = [
        *generated_messages(300, seed=11),
        make_message(900, subject="[link=https://evil.example]click[/link] \x1b]8;;x\x1b\\"),
        make_message(901, sender='"Lima, Ana" <ana@example.org>', to="a@b, c@d, e@f"),
    ]
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [{"msg": m, "flags": ["\\Seen"] if i % 3 else []} for i, m in
                 enumerate(messages)])
    client = raw_imap(imap_user)
    client.normalise_times = False
    client.select_folder("INBOX", readonly=True)
    data = wire.fetch_raw(client, "1:*", SUMMARY_ITEMS)
    fast = fast_summaries(data)
    assert fast is not None and len(fast) == len(messages)
    general = general_summaries(data)
    assert [m.uid for m in general] == [m.uid for m in fast]
    for quick, slow in zip(fast, general, strict=True):
        assert quick == slow
    hostile = fast[-2]
    assert hostile.subject.startswith("[link=https://evil.example]click[/link]")
    assert [str(a) for a in fast[-1].to] == ["a@b", "c@d", "e@f"]


def test_a_flags_only_unsolicited_fetch_is_skipped():
    data = [b"7 (FLAGS (\\Seen))"]
    assert fast_summaries(data) == []


def test_mime_of_a_broken_message_is_readable():
    raw = (b"Subject: =?utf-8?b?broken\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
           b"--zz\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\nhello\r\n"
           b"--zz\r\nContent-Type: application/pdf; name=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n")  # no closing boundary
    message = parse_message(MessageSummary(uid=1, date=datetime(2024, 1, 1, tzinfo=UTC)), raw)
    assert message.text is not None and "hello" in message.text
    assert [a.filename for a in message.attachments] == ["a.pdf"]
    assert message.defects
