"""Every mailbox operation against a real Dovecot, checked on the server afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sage_tui.imap import (
    IMAPClient,
    IMAPFolderError,
    IMAPMailboxService,
    IMAPMessageError,
    IMAPSearchCriteria,
    MessageSet,
    UIDValidityChangedError,
)
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


@pytest.fixture
def account(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    with IMAPClient(config) as client:
        yield client


@pytest.fixture
def mailbox(account) -> IMAPMailboxService:
    return IMAPMailboxService(account)


def seed(dovecot, user, messages, folder="INBOX") -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, folder, messages)


def test_list_folders_has_roles_counts_and_compares_to_names(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1), make_message(2)])
    folders = mailbox.list_folders()
    assert "INBOX" in folders
    by_name = {f.name: f for f in folders}
    assert by_name["INBOX"].messages == 2 and by_name["INBOX"].unseen == 2
    assert {name: by_name[name].role for name in ("INBOX", "Archive", "Trash", "Sent", "Junk",
                                                   "Drafts")} == {
        "INBOX": "inbox", "Archive": "archive", "Trash": "trash", "Sent": "sent",
        "Junk": "junk", "Drafts": "drafts"}
    assert folders[0].name == "INBOX"
    assert folders[-1].name == "Trash"


def test_summaries_are_decoded(dovecot, imap_user, mailbox):
    raw = make_message(
        7,
        subject="Überprüfung der Rechnung",
        sender="Jürgen Groß <jurgen@example.de>",
        to="Ana <ana@example.org>, bob@example.org",
        date=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        attachment=("report.pdf", b"%PDF-1.4 fake"),
    )
    seed(dovecot, imap_user, [raw, make_message(8, subject="plain")])
    info = mailbox.select("INBOX")
    assert info.exists == 2 and info.uidvalidity > 0 and info.uidnext == 3
    assert info.highestmodseq is not None  # CONDSTORE is enabled where offered
    first, second = mailbox.fetch(mailbox.search())
    assert first.subject == "Überprüfung der Rechnung"
    assert first.sender == "Jürgen Groß <jurgen@example.de>"
    assert [str(a) for a in first.to] == ["Ana <ana@example.org>", "bob@example.org"]
    assert first.date == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert first.has_attachments is True and second.has_attachments is False
    assert first.size == len(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert first.internaldate is not None and first.internaldate.tzinfo is not None
    assert not first.seen and first.message_id


def test_fetch_with_explicit_fields_and_body(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1, subject="hello")])
    uid = mailbox.search()[0]
    message = mailbox.fetch(MessageSet([uid]), fields=["ENVELOPE", "FLAGS", "INTERNALDATE"])[0]
    assert (message.uid, message.subject, message.size) == (uid, "hello", None)
    full = mailbox.fetch(MessageSet([uid]), fields=["BODY"])[0]
    assert full.raw is not None and b"Subject: hello" in full.raw
    assert full.subject == "hello"
    assert not mailbox.fetch([uid], fields=["FLAGS"])[0].seen  # BODY.PEEK: still unread


def test_fetch_newest_is_newest_first(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(i, subject=f"m{i}") for i in range(1, 31)])
    mailbox.select("INBOX", readonly=True)
    newest = mailbox.fetch_newest(5)
    assert [m.subject for m in newest] == ["m30", "m29", "m28", "m27", "m26"]
    seed(dovecot, imap_user, [make_message(31, subject="m31")])
    assert mailbox.fetch_newest(1)[0].subject == "m31"  # EXISTS is refreshed, not cached
    assert len(mailbox.fetch_newest(100)) == 31


def test_fetch_message_parts_without_setting_seen(dovecot, imap_user, mailbox, raw_imap):
    raw = make_message(1, subject="parts", body="Hello text", html="<p>Hello <b>html</b></p>",
                       attachment=("notes.txt", b"attached text"))
    seed(dovecot, imap_user, [raw])
    uid = mailbox.search()[0]
    message = mailbox.fetch_message(uid)
    assert message.subject == "parts"
    assert "Hello text" in (message.text or "")
    assert "<b>html</b>" in (message.html or "")
    assert [(a.filename, a.size) for a in message.attachments] == [("notes.txt", 13)]
    assert ("Subject", "parts") in message.headers
    client = raw_imap(imap_user)
    client.select_folder("INBOX", readonly=True)
    assert b"\\Seen" not in client.get_flags([uid])[uid]


def test_fetch_message_that_vanished(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1)])
    with pytest.raises(IMAPMessageError, match="no longer exists"):
        mailbox.fetch_message(999)


def test_flags(dovecot, imap_user, mailbox, raw_imap):
    seed(dovecot, imap_user, [make_message(i) for i in range(5)])
    uids = mailbox.search()
    mailbox.mark_seen(uids[:3])
    mailbox.flag(MessageSet(uids[1:2]))
    mailbox.mark_unseen(uids[0])
    client = raw_imap(imap_user)
    client.select_folder("INBOX", readonly=True)
    assert client.search(["SEEN"]) == uids[1:3]
    assert client.search(["FLAGGED"]) == [uids[1]]
    mailbox.unflag(uids)
    assert mailbox.search(IMAPSearchCriteria().flagged()) == []
    assert mailbox.search(IMAPSearchCriteria().unseen()) == [uids[0], *uids[3:]]


def test_move_reports_new_uids_and_can_be_undone(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(i, subject=f"s{i}") for i in range(6)])
    mailbox.select("INBOX")
    uids = mailbox.search()
    result = mailbox.move(uids[:4], "Archive")
    assert sorted(result.uid_map) == uids[:4] and len(set(result.uid_map.values())) == 4
    assert result.uidvalidity is not None
    assert mailbox.search() == uids[4:]
    mailbox.select("Archive")
    assert sorted(mailbox.search()) == sorted(result.uid_map.values())
    undo = mailbox.move(list(result.uid_map.values()), "INBOX")
    assert len(undo.uid_map) == 4
    mailbox.select("INBOX")
    subjects = sorted(m.subject for m in mailbox.fetch(mailbox.search()))
    assert subjects == [f"s{i}" for i in range(6)]


def test_copy_keeps_the_original(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1)])
    mailbox.select("INBOX")
    result = mailbox.copy(mailbox.search(), "Sent")
    assert len(result.uid_map) == 1
    assert len(mailbox.search()) == 1
    mailbox.select("Sent")
    assert len(mailbox.search()) == 1


def test_delete_moves_to_trash_then_expunges_from_trash(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(i) for i in range(3)])
    mailbox.select("INBOX")
    uids = mailbox.search()
    result = mailbox.delete(uids[:2])
    assert result is not None and result.destination == "Trash"
    assert mailbox.search() == uids[2:]
    mailbox.select("Trash")
    trash_uids = mailbox.search()
    assert len(trash_uids) == 2
    # Another client's \Deleted mark in Trash must survive our expunge (UID EXPUNGE only).
    mailbox.add_flags(trash_uids[1], ["\\Deleted"])
    assert mailbox.delete(trash_uids[0]) is None
    assert mailbox.search() == [trash_uids[1]]


def test_archive(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1)])
    mailbox.select("INBOX")
    result = mailbox.archive(mailbox.search())
    assert result.destination == "Archive" and len(result.uid_map) == 1


def test_append_returns_the_uid(dovecot, imap_user, mailbox):
    uid = mailbox.append("Drafts", make_message(1, subject="draft"), flags=["\\Draft"])
    mailbox.select("Drafts")
    assert mailbox.search(IMAPSearchCriteria().draft()) == [uid]


def test_folder_lifecycle_with_non_ascii_names(mailbox):
    mailbox.create_folder("Projekte/Überprüfung")
    assert "Projekte/Überprüfung" in mailbox.list_folders()
    mailbox.select("Projekte/Überprüfung")
    mailbox.rename_folder("Projekte/Überprüfung", "Projekte/Erledigt")
    names = [f.name for f in mailbox.list_folders(status=False)]
    assert "Projekte/Erledigt" in names and "Projekte/Überprüfung" not in names
    mailbox.delete_folder("Projekte/Erledigt")
    assert "Projekte/Erledigt" not in mailbox.list_folders(status=False)
    with pytest.raises(IMAPFolderError):
        mailbox.select("Does/Not/Exist")
    with pytest.raises(IMAPFolderError, match="INBOX"):
        mailbox.delete_folder("INBOX")


def test_uidvalidity_change_stops_work_on_stale_uids(dovecot, imap_user, mailbox):
    seed(dovecot, imap_user, [make_message(1)])
    info = mailbox.select("INBOX")
    dovecot.set_uidvalidity(imap_user.name, "INBOX", info.uidvalidity + 7)
    dovecot.kick(imap_user.name)  # connections that selected the old folder go away
    with pytest.raises(UIDValidityChangedError):
        mailbox.mark_seen(1)
    info = mailbox.select("INBOX")  # reloading accepts the new value
    mailbox.mark_seen(mailbox.search())


def test_a_fresh_search_sees_mail_that_arrived_since_the_last_command(dovecot, imap_user,
                                                                       mailbox):
    seed(dovecot, imap_user, [make_message(1)])
    mailbox.select("INBOX")
    assert mailbox.search() == [1]
    seed(dovecot, imap_user, [make_message(2)])  # another client delivers
    assert mailbox.search(fresh=True) == [1, 2]
    assert mailbox.uids_after(2) == []  # nothing newer than what the fresh search saw
    seed(dovecot, imap_user, [make_message(3)])
    assert mailbox.uids_after(2) == [3]
