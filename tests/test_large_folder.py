"""Big folders work: 20,000 messages listed, flagged and moved in chunks with compressed UIDs."""

from __future__ import annotations

import pytest

from sage_tui.imap import IMAPClient, IMAPMailboxService, IMAPSearchCriteria, MessageSet
from tests.support.engine import plain_config
from tests.support.seed import generated_messages, seed_folder

pytestmark = pytest.mark.slow


@pytest.fixture
def big(dovecot, big_mailbox):
    client = IMAPClient(plain_config(dovecot.host, dovecot.port, big_mailbox, timeout=60))
    mailbox = IMAPMailboxService(client)
    mailbox.select("INBOX", readonly=True)
    return mailbox


def test_newest_page_of_a_20000_message_folder(big):
    assert big.current.exists == 20_000
    newest = big.fetch_newest(60)
    assert [m.uid for m in newest] == list(range(20_000, 19_940, -1))
    assert all(m.subject and m.from_ for m in newest)


def test_whole_folder_listing_in_chunks(big):
    uids = big.search()
    assert len(uids) == 20_000
    progress = []
    summaries = big.fetch(MessageSet(uids), progress=lambda done, total: progress.append(done))
    assert [m.uid for m in summaries] == uids
    assert progress == list(range(2000, 20_001, 2000))
    assert all(m.subject and m.date and m.size for m in summaries)
    assert sum(1 for m in summaries if m.has_attachments) > 1000


def test_flags_on_20000_spread_uids(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                generated_messages(20_000, seed=7), batch=1000)
    mailbox = IMAPMailboxService(IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user,
                                                         timeout=60)))
    mailbox.select("INBOX")
    every_other = MessageSet(range(1, 20_001, 2))  # 10,000 single UIDs: nothing to compress
    mailbox.flag(every_other)
    assert mailbox.search(IMAPSearchCriteria().flagged()) == list(every_other)
    result = mailbox.archive(every_other)
    assert len(result.uid_map) == 10_000
    assert len(mailbox.search()) == 10_000
    mailbox.select("Archive", readonly=True)
    assert len(mailbox.search(IMAPSearchCriteria().flagged())) == 10_000
