"""The shared pool against Dovecot: sharing, limits, one thread per connection, keepalive."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sage_tui.imap import (
    IMAPAuthenticationError,
    IMAPClient,
    IMAPMailboxService,
    PoolTimeoutError,
)
from sage_tui.imap.pool import get_pool
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def test_equal_configs_share_one_pool_and_credentials_split_pools(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    with IMAPClient(config) as a, IMAPClient(config) as b:
        assert a.pool is b.pool
        same_fields = IMAPClient(host=config.host, port=config.port, username=config.username,
                                 password=config.password, use_ssl=False, timeout=5.0,
                                 retry_delay=0.01, max_retry_delay=0.05,
                                 circuit_recovery_timeout=0.5)
        assert same_fields.pool is a.pool
    wrong = IMAPClient(config, password="not-the-password")
    assert wrong.pool is not get_pool(config)
    with pytest.raises(IMAPAuthenticationError) as info:
        wrong.connect()
    assert "not-the-password" not in str(info.value)
    assert f"{imap_user.name}@{dovecot.host}" in str(info.value)
    metrics = wrong.get_metrics()
    assert metrics.retries == 0  # authentication failures are never retried
    assert metrics.circuit_state == "closed"


def test_leaving_the_with_block_returns_every_connection(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    with IMAPClient(config) as client:
        IMAPMailboxService(client).list_folders()
        assert client.get_metrics().pool_in_use == 0
    stats = get_pool(config).stats()
    assert stats.in_use == 0 and stats.idle >= 1


def test_many_threads_never_share_a_connection(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i) for i in range(50)])
    config = plain_config(dovecot.host, dovecot.port, imap_user, max_connections=3)
    client = IMAPClient(config)
    in_use_peak = 0
    lock = threading.Lock()
    seen_connections: set[int] = set()

    def work(i: int) -> int:
        nonlocal in_use_peak
        mailbox = IMAPMailboxService(client)
        mailbox.select("INBOX" if i % 2 else "Archive", readonly=True)

        def op(conn):
            nonlocal in_use_peak
            with lock:
                seen_connections.add(conn.id)
                in_use_peak = max(in_use_peak, client.pool.stats().in_use)
            return len(conn.raw.search(["ALL"]))

        return client.run("counting", op, folder=mailbox.current_folder)

    with ThreadPoolExecutor(max_workers=16) as executor:
        counts = list(executor.map(work, range(200)))
    assert set(counts) == {0, 50}
    assert in_use_peak <= 3
    assert len(seen_connections) <= 3
    snap = client.get_metrics()
    assert snap.successful_connections <= 3
    assert snap.total_operations >= 400
    assert (snap.pool_in_use, snap.pool_max) == (0, 3)


def test_a_connection_refuses_a_second_thread(dovecot, imap_user):
    client = IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user))
    with client.pool.connection() as conn, pytest.raises(RuntimeError, match="already in use"):
        conn.acquire()


def test_checkout_times_out_when_all_connections_are_busy(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user, max_connections=1)
    pool = IMAPClient(config).pool
    with pool.connection(), pytest.raises(PoolTimeoutError, match="busy"):
        pool.checkout(timeout=0.2)


def test_idle_connections_are_checked_and_replaced_after_a_kick(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user, keepalive_interval=0.0)
    client = IMAPClient(config)
    mailbox = IMAPMailboxService(client)
    mailbox.list_folders()
    dovecot.kick(imap_user.name)
    assert "INBOX" in mailbox.list_folders()  # the NOOP check found the dead one first
    snap = client.get_metrics()
    assert snap.retries == 0 and snap.successful_connections == 2


def test_a_kicked_connection_is_retried_on_a_new_one(dovecot, imap_user):
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    client = IMAPClient(config)
    events = []
    client.subscribe(events.append)
    mailbox = IMAPMailboxService(client)
    mailbox.list_folders()
    dovecot.kick(imap_user.name)
    assert "INBOX" in mailbox.list_folders()
    snap = client.get_metrics()
    assert snap.retries == 1 and snap.failed_operations == 0
    assert any(e.kind == "retry" for e in events)


def test_health_check(dovecot, imap_user):
    client = IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user))
    report = client.health_check()
    assert report["status"] == "healthy" and report["error"] is None
    assert report["latency"] > 0 and "IMAP4REV1" in report["capabilities"]
    assert report["tls"] is None
    bad = IMAPClient(plain_config(dovecot.host, dovecot.port, imap_user, password="nope"))
    report = bad.health_check()
    assert report["status"] == "unhealthy" and "Authentication failed" in report["error"]
    assert "nope" not in str(report)


def test_a_closed_client_fails_later_operations_at_once(dovecot, imap_user):
    """``close`` is for good (an app quitting): no new pool, no new connection, no retry; the
    metrics stay readable."""
    config = plain_config(dovecot.host, dovecot.port, imap_user, max_retries=3,
                          retry_delay=1.0)
    client = IMAPClient(config)
    IMAPMailboxService(client).list_folders()
    pool = client.pool
    client.close(timeout=1.0)
    with pytest.raises(PoolTimeoutError, match="closed"):
        IMAPMailboxService(client).list_folders()
    assert client.pool is pool and pool.closed
    snapshot = client.get_metrics()
    assert snapshot.successful_connections == 1 and snapshot.retries == 0
    assert get_pool(config) is not pool, "another client of the account starts afresh"
