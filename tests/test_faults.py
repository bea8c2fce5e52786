"""Faults caused for real: reset, stalled and cut connections, a stopped server.

A TCP proxy sits between the engine and Dovecot; the breaker runs on the real clock with short
timeouts, because these faults happen in real time.
"""

from __future__ import annotations

import time

import pytest

from sage_tui.imap import (
    CircuitOpenError,
    IMAPClient,
    IMAPConnectionError,
    IMAPMailboxService,
)
from sage_tui.imap import mailbox as mailbox_module
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def seed(dovecot, user, count, folder="INBOX"):
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, folder,
                [make_message(i, subject=f"msg {i}") for i in range(count)])


def test_reset_connections_are_retried_transparently(dovecot, imap_user, fault_proxy):
    seed(dovecot, imap_user, 10)
    proxy = fault_proxy()
    client = IMAPClient(plain_config(dovecot.host, proxy.port, imap_user))
    events = []
    client.subscribe(events.append)
    mailbox = IMAPMailboxService(client)
    mailbox.select("INBOX")
    proxy.reset_all()
    assert len(mailbox.search()) == 10
    snap = client.get_metrics()
    assert snap.retries == 1 and snap.failed_operations == 0
    assert snap.circuit_state == "closed"
    assert [e.kind for e in events if e.kind == "retry"] == ["retry"]


def test_cut_mid_fetch_is_retried_and_nothing_is_lost_or_doubled(dovecot, imap_user, fault_proxy):
    seed(dovecot, imap_user, 300)
    proxy = fault_proxy()
    client = IMAPClient(plain_config(dovecot.host, proxy.port, imap_user))
    mailbox = IMAPMailboxService(client)
    uids = mailbox.search()
    proxy.cut_after(20_000)  # the first big FETCH response dies part way
    summaries = mailbox.fetch(uids)
    proxy.cut_after(None)
    assert [s.uid for s in summaries] == uids
    assert sorted(s.subject for s in summaries) == sorted(f"msg {i}" for i in range(300))
    assert client.get_metrics().retries >= 1


def test_stall_opens_the_circuit_then_it_recovers(dovecot, imap_user, fault_proxy):
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, timeout=0.5, max_retries=1,
                          circuit_failure_threshold=2, circuit_recovery_timeout=1.0)
    client = IMAPClient(config)
    changes = []
    client.subscribe(lambda e: changes.append(e) if e.kind == "state-change" else None)
    mailbox = IMAPMailboxService(client)
    mailbox.list_folders()
    proxy.stall(True)
    with pytest.raises(IMAPConnectionError, match="did not answer in time"):
        mailbox.list_folders()  # attempt + 1 retry = 2 failures: the circuit opens
    assert client.get_metrics().circuit_state == "open"
    started = time.monotonic()
    with pytest.raises(CircuitOpenError) as info:
        mailbox.list_folders()
    assert time.monotonic() - started < 1.0  # fails at once, not after the 5 s timeout
    assert 0 < info.value.retry_in <= 1.0
    proxy.stall(False)
    time.sleep(1.05)
    assert client.get_metrics().circuit_state == "half-open"
    assert "INBOX" in mailbox.list_folders()  # the probe succeeds
    assert [e.data["new"] for e in changes] == ["open", "half-open", "closed"]
    assert "did not answer in time" in changes[0].message  # why it opened, in plain words
    snap = client.get_metrics()
    # The stalled call and the one refused while open both failed; the probe succeeded.
    assert snap.circuit_state == "closed" and snap.failed_operations == 2
    assert snap.last_error and "unavailable" in snap.last_error


def test_server_stopped_mid_operation_then_restarted(private_dovecot, fault_proxy):
    user = private_dovecot.add_user()
    seed(private_dovecot, user, 5)
    proxy = fault_proxy(private_dovecot.port)
    config = plain_config(private_dovecot.host, proxy.port, user, timeout=2.0, max_retries=2,
                          circuit_failure_threshold=20)
    client = IMAPClient(config)
    mailbox = IMAPMailboxService(client)
    assert len(mailbox.search()) == 5
    private_dovecot.stop()
    with pytest.raises(IMAPConnectionError) as info:
        mailbox.search()
    assert not isinstance(info.value, CircuitOpenError)
    private_dovecot.start()
    proxy.set_upstream(private_dovecot.port)
    assert len(mailbox.search()) == 5


def test_bulk_move_interrupted_by_resets_moves_every_message_exactly_once(
    dovecot, imap_user, fault_proxy, monkeypatch
):
    seed(dovecot, imap_user, 1000)
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, max_retries=5,
                          circuit_failure_threshold=1000)
    client = IMAPClient(config)
    mailbox = IMAPMailboxService(client)
    mailbox.select("INBOX")
    # Small chunks make many commands; every connection dies after a few of them, often in the
    # middle of a MOVE's answer (the server moved the messages, the client never heard).
    monkeypatch.setattr(mailbox_module, "MOVE_CHUNK", 25)
    # 4 KB: enough for login, SELECT and a SEARCH (ESEARCH answers a range in a few bytes; a
    # plain list of 1,000 UIDs is about 4 KB), then a few MOVEs, so that several connections
    # die in the middle of the job.
    proxy.cut_every(4000)
    proxy.reset_all()  # the connection opened before is not on a byte budget: drop it
    attempts = 0
    while attempts < 300:  # a move that ran out of retries is reported; the user asks again
        attempts += 1
        try:
            remaining = mailbox.search()
            if not remaining:
                break
            mailbox.move(remaining, "Archive")
        except IMAPConnectionError:
            continue
    proxy.cut_every(None)
    proxy.reset_all()
    assert mailbox.search() == []
    mailbox.select("Archive", readonly=True)
    archived = mailbox.fetch(mailbox.search(), fields=["ENVELOPE"])
    ids = [m.message_id for m in archived]
    assert len(ids) == 1000 and len(set(ids)) == 1000
    assert client.get_metrics().retries >= 3


def test_an_interrupted_append_is_not_repeated(dovecot, imap_user, fault_proxy):
    """APPEND is not idempotent: a cut answer must not turn into two stored copies."""
    proxy = fault_proxy()
    client = IMAPClient(plain_config(dovecot.host, proxy.port, imap_user))
    mailbox = IMAPMailboxService(client)
    mailbox.list_folders()  # a live connection for cut_after to act on
    proxy.cut_after(0)  # the server stores the message; its answer never arrives
    with pytest.raises(IMAPConnectionError, match="may or may not have done it"):
        mailbox.append("INBOX", make_message(1, subject="once"))
    assert client.get_metrics().retries == 0
    mailbox.select("INBOX")
    assert len(mailbox.search()) <= 1
    appended = mailbox.append("INBOX", make_message(2, subject="twice?"))
    assert appended is not None and len(mailbox.search()) <= 2
