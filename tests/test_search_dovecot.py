"""The builder's searches give what hand-written raw IMAP searches give, on Dovecot.

The raw side goes through imapclient's own ``search`` with nested lists and, for non-ASCII,
UTF-8 bytes with ``charset="UTF-8"`` (what works in imapclient 4.1; a group must not end in a
non-ASCII value there, so the raw forms put an ASCII key last).
"""

from __future__ import annotations

import datetime as dt

import pytest

from sage_tui.imap import IMAPClient, IMAPMailboxService
from sage_tui.imap import IMAPSearchCriteria as C
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

UTC = dt.UTC

MESSAGES = [
    # (Date header, INTERNALDATE, flags, kwargs for make_message)
    dict(subject="Weekly digest", sender="Ana Lima <ana@example.org>", day=(2024, 1, 1),
         flags=["\\Seen"]),
    dict(subject="Überprüfung der Rechnung", sender="Jürgen Groß <juergen@example.de>",
         day=(2024, 1, 15), flags=["\\Flagged"]),
    dict(subject='Quote "this" now', sender="Bob Stone <bob@example.com>", day=(2024, 2, 1),
         flags=["\\Answered", "\\Seen"]),
    dict(subject="Backslash C:\\temp", sender="bob@example.com", day=(2024, 2, 10),
         flags=["$Work"]),
    dict(subject="Café ce soir ?", sender="Zoë Martin <zoe@example.fr>", day=(2024, 3, 1),
         flags=["\\Draft"], body="Rendez-vous à huit heures"),
    dict(subject="[rust] New release", sender="Rust <announce@rust.example>", day=(2024, 3, 5),
         headers={"List-Id": "<rust.lists.example>"}, flags=["\\Seen"]),
    dict(subject="Invoice (March)", sender="billing@shop.example", day=(2024, 3, 31),
         attachment=("invoice.pdf", b"x" * 20_000), flags=[]),
    dict(subject="会議の議事録", sender="山田太郎 <taro@example.jp>", day=(2024, 4, 2),
         flags=["\\Seen", "$Work"], to="Team <team@example.com>"),
    dict(subject="Re: lunch?", sender="Ana Lima <ana@example.org>", day=(2024, 4, 2),
         flags=["\\Deleted"], headers={"Cc": "Bob <bob@example.com>"}),
    dict(subject="Build failed on main", sender="CI <ci@build.example>", day=(2024, 5, 20),
         flags=[], body="Traceback: error in step {3}"),
]

TABLE = [
    (C().seen(), ["SEEN"]),
    (C().unseen(), ["UNSEEN"]),
    (C().flagged(), ["FLAGGED"]),
    (C().answered(), ["ANSWERED"]),
    (C().draft(), ["DRAFT"]),
    (C().deleted(), ["DELETED"]),
    (C().undeleted().unflagged(), ["UNDELETED", "UNFLAGGED"]),
    (C().keyword("$Work"), ["KEYWORD", "$Work"]),
    (C().unkeyword("$Work").seen(), ["UNKEYWORD", "$Work", "SEEN"]),
    (C().from_address("ana@example.org"), ["FROM", "ana@example.org"]),
    (C().from_address("Ana Lima"), ["FROM", "Ana Lima"]),
    (C().to_address("team@example.com"), ["TO", "team@example.com"]),
    (C().cc("bob@example.com"), ["CC", "bob@example.com"]),
    (C().subject('"this"'), ["SUBJECT", '"this"']),
    (C().subject("C:\\temp"), ["SUBJECT", "C:\\temp"]),
    # imapclient quotes only values with spaces, so these keep one to stay hand-writable.
    (C().subject("Invoice (March)"), ["SUBJECT", "Invoice (March)"]),
    (C().body("step {3}"), ["BODY", "step {3}"]),
    (C().subject("Überprüfung"), ["SUBJECT", "Überprüfung".encode()]),
    (C().from_address("Groß"), ["FROM", "Groß".encode()]),
    (C().text("huit heures"), ["TEXT", "huit heures"]),
    (C().header("List-Id", "rust.lists"), ["HEADER", "List-Id", "rust.lists"]),
    (C().sent_since(dt.date(2024, 3, 1)), ["SENTSINCE", dt.date(2024, 3, 1)]),
    (C().sent_before("01-Mar-2024"), ["SENTBEFORE", dt.date(2024, 3, 1)]),
    (C().sent_on("02-Apr-2024"), ["SENTON", dt.date(2024, 4, 2)]),
    (C().since(dt.date(2024, 3, 1)).before(dt.date(2024, 4, 1)),
     ["SINCE", dt.date(2024, 3, 1), "BEFORE", dt.date(2024, 4, 1)]),
    (C().on(dt.date(2024, 1, 15)), ["ON", dt.date(2024, 1, 15)]),
    (C().larger(10_000), ["LARGER", 10_000]),
    (C().smaller(10_000).seen(), ["SMALLER", 10_000, "SEEN"]),
    (C.or_(C().flagged(), C().draft()), ["OR", "FLAGGED", "DRAFT"]),
    (C.or_(C().flagged(), C().draft(), C().answered()),
     ["OR", "FLAGGED", "OR", "DRAFT", "ANSWERED"]),
    (C.not_(C().seen()), ["NOT", "SEEN"]),
    (C.or_(C().seen().from_address("ana"), C().keyword("$Work")),
     ["OR", ["SEEN", "FROM", "ana"], ["KEYWORD", "$Work"]]),
    (C.not_(C.or_(C().seen(), C().flagged())), ["NOT", ["OR", "SEEN", "FLAGGED"]]),
    (C.or_(C().subject("Überprüfung"), C().subject("Café")),
     ["OR", "SUBJECT", "Überprüfung".encode(), "SUBJECT", "Café".encode()]),
    (C.or_(C().seen().subject("会議"), C().draft()),
     ["OR", ["SEEN", "SUBJECT", "会議".encode(), "ALL"], "DRAFT"]),
    (C.not_(C().seen().from_address("Zoë")), ["NOT", ["FROM", "Zoë".encode(), "SEEN"]]),
    (C.and_(C.or_(C().seen(), C().draft()), C.not_(C().keyword("$Work")),
            C.or_(C().since("01-Mar-2024"), C().flagged())),
     ["OR", "SEEN", "DRAFT", "NOT", "KEYWORD", "$Work", "OR", "SINCE",
      dt.date(2024, 3, 1), "FLAGGED"]),
    (C().uid([1, 2, 3, 9]), ["UID", "1:3,9"]),
    (C(), ["ALL"]),
]


@pytest.fixture(scope="module")
def searched(dovecot):
    user = dovecot.add_user()
    items = []
    for i, spec in enumerate(MESSAGES):
        spec = dict(spec)
        day = dt.datetime(*spec.pop("day"), 10, 0, tzinfo=UTC)
        flags = spec.pop("flags")
        items.append({"msg": make_message(i, date=day, **spec), "flags": flags, "date": day})
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX", items)
    return user


def test_table_is_big_enough():
    assert len(TABLE) >= 25


@pytest.mark.parametrize(("criteria", "raw"), TABLE, ids=[str(c) for c, _ in TABLE])
def test_builder_equals_raw_search(dovecot, searched, raw_imap, criteria, raw):
    client = raw_imap(searched)
    client.select_folder("INBOX", readonly=True)
    charset = "UTF-8" if criteria.needs_utf8 else None
    expected = sorted(client.search(raw, charset=charset))
    with IMAPClient(plain_config(dovecot.host, dovecot.port, searched)) as engine:
        mailbox = IMAPMailboxService(engine)
        mailbox.select("INBOX", readonly=True)
        assert mailbox.search(criteria) == expected


def test_the_table_discriminates(dovecot, searched, raw_imap):
    """Guard against a table of empty results that would pass for the wrong reasons."""
    client = raw_imap(searched)
    client.select_folder("INBOX", readonly=True)
    sizes = {len(client.search(raw, charset="UTF-8" if c.needs_utf8 else None))
             for c, raw in TABLE}
    assert len(sizes) >= 5 and max(sizes) == len(MESSAGES)


@pytest.mark.parametrize(("criteria", "raw"), TABLE, ids=[c.to_query() for c, _ in TABLE])
def test_the_query_language_equals_raw_search(dovecot, searched, raw_imap, criteria, raw):
    """Each row written as query text (``to_query``), parsed back, searched on Dovecot."""
    client = raw_imap(searched)
    client.select_folder("INBOX", readonly=True)
    expected = sorted(client.search(raw, charset="UTF-8" if criteria.needs_utf8 else None))
    with IMAPClient(plain_config(dovecot.host, dovecot.port, searched)) as engine:
        mailbox = IMAPMailboxService(engine)
        mailbox.select("INBOX", readonly=True)
        assert mailbox.search(C.parse(criteria.to_query())) == expected
