"""The benchmark's maildir seeding stores what it says: every message, in order, sized right.

``benchmarks/run.py`` writes 100,000 messages straight into Dovecot's maildir (seconds, not the
half minute MULTIAPPEND takes) and relies on it: UID n is message n (the start-up benchmark
waits for the newest message's subject), sizes are what Dovecot would compute, and the flags
are as written.
"""

from __future__ import annotations

from benchmarks.seeding import seed_maildir
from sage_tui.imap import IMAPClient, IMAPMailboxService, MessageSet
from tests.support.engine import plain_config
from tests.support.seed import generated_messages, make_message


def test_maildir_seeding_gives_ordered_uids_sizes_and_flags(dovecot, imap_user):
    messages = [*generated_messages(40, seed=4), make_message(41, subject="NEWEST-41")]
    seed_maildir(dovecot, imap_user, messages)
    mailbox = IMAPMailboxService(IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user)))
    info = mailbox.select("INBOX", readonly=True)
    assert info.exists == 41
    rows = mailbox.fetch(MessageSet.from_ranges([(1, 41)]))
    assert [row.uid for row in rows] == list(range(1, 42))
    assert [row.message_id for row in rows[:3]] == [
        "<gen-4-0@sage-tui.test>", "<gen-4-1@sage-tui.test>", "<gen-4-2@sage-tui.test>"]
    assert mailbox.fetch_newest(1)[0].subject == "NEWEST-41"
    crlf = [m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in messages]
    assert [row.size for row in rows] == [len(m) for m in crlf]
    assert [row.seen for row in rows] == [i % 3 != 0 for i in range(41)]
    dates = [row.internaldate for row in rows]
    assert dates == sorted(dates) and len(set(dates)) == 41
