"""Searches whose answer would not fit in one line (issue 8, "huge folders"), on Dovecot.

The answer to a SEARCH is one line, and imaplib refuses a line over ``imaplib._MAXLINE``
(1,000,000 bytes): ``UID SEARCH ALL`` breaks at about 140,000 messages. Seeding that many is too
slow for the suite, so these tests lower that very limit (monkeypatch) and reach it with 1,500
messages: the engine sizes its searches by the limit imaplib enforces, so the same code paths run
as on a real huge folder. The expected UIDs come from raw imapclient searches made at the
normal limit; the folder has holes (expunged messages) and alternate flags, the worst case for
ESEARCH's compact sets. The path for servers without ESEARCH runs against the same Dovecot with
the engine's ``esearch`` switch off.
"""

from __future__ import annotations

import imaplib
import logging
import re

import imapclient
import pytest
from imapclient.exceptions import ProtocolError

from sage_tui.imap import (
    ConnectionConfig,
    IMAPClient,
    IMAPMailboxService,
    IMAPProtocolError,
    IMAPSearchError,
    MessageSet,
    wire,
)
from sage_tui.imap import IMAPSearchCriteria as C
from tests.support.dovecot import DovecotServer, DovecotUser
from tests.support.engine import plain_config
from tests.support.seed import generated_messages, seed_folder

LIMIT = 2_000
"""The lowered line limit: a plain answer listing the folder's ~1,200 UIDs takes ~6,000 bytes."""
COUNT = 1_500

EXPUNGED = sorted({*range(7, COUNT + 1, 7), *range(600, 720)})
"""Every 7th message and a block: the UID set has holes of both kinds."""

UMLAUT = "Überprüfung"

# name -> (engine criteria, raw imapclient criteria, charset for raw imapclient)
CRITERIA: dict[str, tuple[C, list, str | None]] = {
    "all": (C(), ["ALL"], None),
    "from": (C().from_address("ana@example.org"), ["FROM", "ana@example.org"], None),
    "flagged": (C().flagged(), ["FLAGGED"], None),
    "not-flagged": (C.not_(C().flagged()), ["NOT", "FLAGGED"], None),
    "or": (C.or_(C().flagged(), C().from_address("bob@example.com")),
           ["OR", "FLAGGED", "FROM", "bob@example.com"], None),
    "not-or": (C.not_(C.or_(C().seen(), C().from_address("ana@example.org"))),
               ["NOT", ["OR", "SEEN", "FROM", "ana@example.org"]], None),
    "or-of-and": (C.or_(C().seen().from_address("bob@example.com"), C().flagged()),
                  ["OR", ["SEEN", "FROM", "bob@example.com"], "FLAGGED"], None),
    "charset": (C().subject(UMLAUT), ["SUBJECT", UMLAUT.encode()], "UTF-8"),
    "not-charset": (C.not_(C().subject(UMLAUT)).unseen(),
                    ["NOT", "SUBJECT", UMLAUT.encode(), "UNSEEN"], "UTF-8"),
}


@pytest.fixture(scope="module")
def huge(dovecot: DovecotServer) -> tuple[DovecotUser, dict[str, list[int]]]:
    """A user whose INBOX has 1,500 messages minus ``EXPUNGED``; odd UIDs flagged, every third
    seen; and what raw imapclient finds for each of ``CRITERIA`` at the normal line limit."""
    user = dovecot.add_user()
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                generated_messages(COUNT, seed=8), batch=500)
    raw = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    try:
        raw.login(user.name, user.password)
        raw.select_folder("INBOX")
        raw.add_flags(range(1, COUNT + 1, 2), ["\\Flagged"], silent=True)
        raw.add_flags(range(1, COUNT + 1, 3), ["\\Seen"], silent=True)
        raw.delete_messages(EXPUNGED, silent=True)
        raw.expunge()
        expected = {name: sorted(raw.search(criteria, charset=charset) if charset
                                 else raw.search(criteria))
                    for name, (_, criteria, charset) in CRITERIA.items()}
    finally:
        raw.logout()
    assert expected["all"] == sorted(set(range(1, COUNT + 1)) - set(EXPUNGED))
    assert all(expected.values()), "every criterion must match something"
    return user, expected


@pytest.fixture
def low_limit(monkeypatch) -> None:
    monkeypatch.setattr(imaplib, "_MAXLINE", LIMIT)


@pytest.fixture
def mailbox(dovecot, huge):
    user, _ = huge
    with IMAPClient(plain_config(dovecot.host, dovecot.port, user)) as client:
        service = IMAPMailboxService(client)
        service.select("INBOX", readonly=True)
        yield service


@pytest.fixture
def sent(caplog):
    """``sent()``: the UID SEARCH commands sent since the test began, as imapclient logs them."""
    caplog.set_level(logging.DEBUG, logger="imapclient.imapclient")

    def searches() -> list[str]:
        lines = [record.getMessage() for record in caplog.records
                 if record.name == "imapclient.imapclient"]
        return [match.group(1) for line in lines
                if (match := re.search(r" UID SEARCH (.*?)'?$", line))]

    return searches


def _ranged(commands: list[str]) -> list[str]:
    """The searches of the criteria (not ``*``, the question for the view's highest UID)."""
    return [command for command in commands if command != "*"]


def test_one_answer_line_breaks_at_the_lowered_limit(dovecot, huge, raw_imap, mailbox, low_limit):
    user, expected = huge
    raw = raw_imap(user)
    raw.select_folder("INBOX", readonly=True)
    with pytest.raises(imaplib.IMAP4.error, match=f"got more than {LIMIT} bytes"):
        raw.search("ALL")  # imapclient: the line the issue reports

    def old_engine_search(conn) -> list[int]:  # one command, as the engine searched before
        return wire.search_once(conn.raw, [b"ALL"])

    with pytest.raises(IMAPProtocolError, match="over-long line"):
        mailbox.client.run("searching INBOX", old_engine_search, folder="INBOX",
                           kind=IMAPSearchError)

    # ESEARCH alone is no cure: alternate matches make its compact set a plain list.
    def one_esearch(conn) -> list[int]:
        return wire.search_once(conn.raw, [b"FLAGGED"], esearch=True)

    with pytest.raises(IMAPProtocolError, match="over-long line"):
        mailbox.client.run("searching INBOX", one_esearch, folder="INBOX", kind=IMAPSearchError)
    # The engine's search finds them all at the same limit.
    assert mailbox.search(C().flagged()) == expected["flagged"]


@pytest.mark.parametrize("name", list(CRITERIA))
def test_esearch_path_finds_what_raw_imapclient_finds(huge, mailbox, low_limit, sent, name):
    _, expected = huge
    assert mailbox.search(CRITERIA[name][0]) == expected[name]
    searches = _ranged(sent())
    assert searches and all(command.startswith("RETURN (ALL) ") for command in searches)
    assert all(re.search(r"\bUID \d+:\d+ ", command) for command in searches)
    if name == "all":  # ~1,200 UIDs: several ranges, each answer under the lowered limit
        assert len(searches) >= 3


@pytest.mark.parametrize("name", list(CRITERIA))
def test_path_without_esearch_finds_what_raw_imapclient_finds(huge, mailbox, low_limit, sent,
                                                                name):
    _, expected = huge
    mailbox.esearch = False
    assert mailbox.search(CRITERIA[name][0]) == expected[name]
    searches = _ranged(sent())
    assert searches and not any("RETURN" in command for command in searches)
    assert all(re.search(r"\bUID \d+:\d+ ", command) for command in searches)
    if name == "all":
        assert len(searches) >= 4  # plain answers cost more per UID than ESEARCH sets
    if CRITERIA[name][2]:  # CHARSET must stay first, the range after it
        assert all(command.startswith("CHARSET UTF-8 UID ") for command in searches)


@pytest.mark.parametrize("esearch", [True, False], ids=["esearch", "plain"])
def test_new_mail_search_starts_at_the_known_uid(huge, mailbox, low_limit, sent, esearch):
    _, expected = huge
    mailbox.esearch = esearch
    everything = expected["all"]
    assert mailbox.uids_after(100) == [uid for uid in everything if uid > 100]
    sent_before = len(sent())
    assert mailbox.uids_after(everything[-5]) == everything[-4:]
    assert len(sent()) - sent_before == 2  # the view's highest UID, then one small range
    sent_before = len(sent())
    assert mailbox.uids_after(everything[-1]) == []
    assert len(sent()) - sent_before == 1  # nothing above the highest UID: no search at all


def test_mail_announced_during_a_search_gets_its_own_ranges(dovecot, imap_user, low_limit,
                                                             sent):
    """A bulk import while the engine's connection still believes the folder small: the
    server announces the mail during the search, and the answers still fit."""
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                generated_messages(3, seed=1))
    with IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user)) as client:
        mailbox = IMAPMailboxService(client)
        mailbox.esearch = False
        assert mailbox.select("INBOX", readonly=True).exists == 3
        assert mailbox.search() == [1, 2, 3]
        seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                    generated_messages(COUNT, seed=2), batch=500)
        before = len(sent())
        # No NOOP first: the connection has not been told yet. Dovecot announces the new mail
        # at the end of the first command (the question for the highest UID), so the first
        # round's range (1:3) would be followed by one range over 1,500 UIDs, were it not closed.
        assert mailbox.search() == list(range(1, COUNT + 4))
        assert sent()[before:].count("*") == 2  # a second round for the announced mail
        assert mailbox.search(fresh=True) == list(range(1, COUNT + 4))


def test_esearch_answers_are_read_whatever_items_come_with_them():
    assert wire.parse_esearch([b'(TAG "A1") UID COUNT 3 ALL 4:5,9 MIN 4']) == MessageSet("4:5,9")
    assert wire.parse_esearch([b'(tag "A2") UID all 7:3']) == MessageSet("3:7")
    assert wire.parse_esearch([b'(TAG "A3") UID']) == MessageSet()  # nothing matched
    assert wire.parse_esearch([None]) == MessageSet()
    with pytest.raises(ProtocolError):
        wire.parse_esearch([b'(TAG "A4") UID ALL 1:*'])
    with pytest.raises(ProtocolError):
        wire.parse_esearch([b'(TAG "A5") UID ALL'])


@pytest.mark.parametrize("highest", [9, 999, 99_999, 4_294_967_295])
def test_the_worst_answer_of_one_range_fits_in_half_the_real_limit(highest):
    """The sizes behind the ranges, for a range ending at ``highest`` (ranges never go above the
    view's highest UID): every UID of it matching (plain), and matches in pairs (``a:b,c:d``,
    ESEARCH's longest form per UID), still fill at most half of the limit."""
    limit = imaplib._MAXLINE
    plain_span = wire._span(highest, esearch=False)
    plain = " ".join(str(uid) for uid in range(max(1, highest - plain_span + 1), highest + 1))
    assert len(plain) <= limit // 2
    esearch_span = wire._span(highest, esearch=True)
    pairs = MessageSet.from_ranges(
        (uid, uid + 1) for uid in range(max(1, highest - esearch_span + 1), highest, 3)
    )
    assert len(str(pairs)) <= limit // 2
    assert esearch_span >= plain_span  # ESEARCH needs no more commands for the same folder


def test_a_server_without_esearch_pymap(demo, monkeypatch, sent):
    """pymap (the demo server) has no ESEARCH, and reads a sequence set in SEARCH as UIDs; its
    INBOX's UIDs start at 101, so the ranges count from the lowest UID, asked with FETCH."""
    raw = imapclient.IMAPClient(demo.host, port=demo.port, ssl=False, timeout=30)
    try:
        raw.login(demo.username, demo.password)
        raw.select_folder("INBOX", readonly=True)
        expected = {name: sorted(raw.search(criteria)) for name, criteria in
                    {"all": ["ALL"], "unseen": ["UNSEEN"], "not-or": ["NOT", ["OR", "SEEN",
                                                                             "FLAGGED"]]}.items()}
    finally:
        raw.logout()
    assert expected["all"][0] > 1 and len(expected["all"]) > 1_000
    config = ConnectionConfig(host=demo.host, port=demo.port, username=demo.username,
                              password=demo.password, use_ssl=False, timeout=10)
    monkeypatch.setattr(imaplib, "_MAXLINE", 4_000)  # a plain answer for all takes ~10,000
    with IMAPClient(config) as client:
        mailbox = IMAPMailboxService(client)
        mailbox.select("INBOX", readonly=True)
        assert not client.has_capability("ESEARCH")
        with pytest.raises(IMAPProtocolError, match="over-long line"):
            client.run("searching INBOX", lambda conn: wire.search_once(conn.raw, [b"ALL"]),
                       folder="INBOX", kind=IMAPSearchError)
        assert mailbox.search() == expected["all"]
        assert mailbox.search(C().unseen()) == expected["unseen"]
        assert mailbox.search(C.not_(C.or_(C().seen(), C().flagged()))) == expected["not-or"]
        assert mailbox.uids_after(expected["all"][-3]) == expected["all"][-2:]
    first_range = next(command for command in _ranged(sent()) if command.startswith("UID "))
    assert first_range.startswith("UID 1:")  # counted from 101: holds at most one range's UIDs
    span = int(first_range.split()[1].split(":")[1])
    assert span - expected["all"][0] + 1 <= wire._span(expected["all"][-1], esearch=False)
