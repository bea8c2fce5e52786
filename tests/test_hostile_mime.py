"""The MIME decoder on hand-made hostile mail: every message reads, what cannot be decoded is
marked, and the parts bombs and monster headers cost milliseconds, not minutes."""

from __future__ import annotations

import base64
import time

import pytest

from sage_tui.imap.mime import attachment_payload, parse_message, summary_from_raw
from tests.support.hostile_mail import hostile_messages

CORPUS = dict(hostile_messages(big=False))


def read(raw: bytes):  # type: ignore[no-untyped-def]
    return parse_message(summary_from_raw(1, raw), raw)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_hostile_message_reads(name):
    started = time.perf_counter()
    message = read(CORPUS[name])
    assert time.perf_counter() - started < 5.0
    assert message.raw == CORPUS[name]
    for attachment in message.attachments:
        assert isinstance(attachment_payload(message.raw, attachment.part), bytes)


def test_undecodable_text_is_marked_and_named():
    lying = read(CORPUS["lying charset"])
    assert lying.text == "caf� na�ve �� end\r\n"
    assert any("not valid utf-8" in d for d in lying.defects)
    unknown = read(CORPUS["unknown charset"])
    assert unknown.text == "plain words"
    assert any("unknown charset 'x-no-such-charset-42'" in d for d in unknown.defects)
    broken = read(CORPUS["broken base64"])
    assert any("base64" in d for d in broken.defects)
    unclosed = read(CORPUS["no boundary end"])
    assert "the boundary is never closed" in (unclosed.text or "")
    assert "a multipart section is never closed" in unclosed.defects


def test_rfc2047_garbage_and_codecs_that_never_decode_do_not_raise():
    message = read(CORPUS["rfc2047 garbage"])
    assert message.subject.startswith("H05 ")
    raw = b"Subject: =?undefined?Q?x?= =?utf-8\x00?Q?y?= =?rot13?Q?z?=\r\n\r\nbody"
    assert read(raw).text == "body"


@pytest.mark.parametrize("header", [
    b"Content-Type: text/plain; " + b"; ".join(b"a%d=b" % i for i in range(20000)),
    b"Content-Type: text/plain" + b";" * 1_000_000,
    b"Content-Type: text/plain; charset=utf-8 " + b"(" * 5000,
    b"Content-Transfer-Encoding: " + b"(x)" * 10000,
    b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
    + b"=?utf-8?q?a?= " * 20000 + b'"',
])
def test_monster_structural_headers_cost_little(header):
    """email.policy.default took 10-15 s on some of these and raised RecursionError on one."""
    raw = b"Subject: x\r\n" + header + b"\r\n\r\nbody"
    started = time.perf_counter()
    message = read(raw)
    assert time.perf_counter() - started < 5.0
    assert message.text == "body" or message.attachments


def test_eight_bit_file_names_keep_their_letters():
    raw = ('Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n'
           'Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n'
           'Content-Disposition: attachment; filename="Café résumé.pdf"\r\n\r\n'
           + base64.b64encode(b"%PDF-1.4").decode() + '\r\n--b--\r\n').encode()
    message = read(raw)
    assert [a.filename for a in message.attachments] == ["Café résumé.pdf"]
    assert attachment_payload(raw, message.attachments[0].part) == b"%PDF-1.4"
    latin = raw.replace("Café résumé".encode(), "Caf\xe9".encode("latin-1"))
    assert [a.filename for a in read(latin).attachments] == ["Café.pdf"]


def test_a_part_bomb_is_cut_off_with_a_note():
    parts = "".join(f"--b\r\nContent-Type: application/x-{i}\r\n\r\nx\r\n" for i in range(2000))
    raw = f"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n"
    started = time.perf_counter()
    message = read(raw.encode())
    assert time.perf_counter() - started < 5.0
    assert len(message.attachments) < 2000
    assert any("more than 500 parts" in d for d in message.defects)


def test_a_missing_part_is_a_lookup_error():
    with pytest.raises(LookupError):
        attachment_payload(CORPUS["attachment names"], 999)
