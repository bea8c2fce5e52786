"""Metrics bookkeeping and the event stream."""

from __future__ import annotations

import pytest

from sage_tui.imap.metrics import EventKind, Metrics


def test_counters_percentiles_and_snapshot_immutability() -> None:
    metrics = Metrics()
    for seconds in [0.01 * n for n in range(1, 101)]:
        metrics.record_operation(seconds, ok=True)
    metrics.record_operation(2.0, ok=False, error="boom")
    snap = metrics.snapshot(pool_in_use=1, pool_idle=2, pool_max=5, circuit_state="closed")
    assert snap.total_operations == 101
    assert snap.failed_operations == 1
    assert snap.p50_latency == pytest.approx(0.51)
    assert snap.p95_latency == pytest.approx(0.96)
    assert snap.average_response_time == pytest.approx((sum(range(1, 101)) * 0.01 + 2) / 101)
    assert snap.last_error == "boom"
    assert (snap.pool_in_use, snap.pool_idle, snap.pool_max) == (1, 2, 5)
    with pytest.raises(AttributeError):
        snap.retries = 3  # type: ignore[misc]


def test_retries_in_the_last_minute_use_the_clock() -> None:
    now = [0.0]
    metrics = Metrics(clock=lambda: now[0])
    metrics.record_retry(1, 3, 0.5, "reset", "fetch")
    now[0] = 30.0
    metrics.record_retry(2, 3, 1.0, "reset", "fetch")
    assert metrics.snapshot().retries_last_minute == 2
    now[0] = 75.0
    snap = metrics.snapshot()
    assert (snap.retries, snap.retries_last_minute) == (2, 1)


def test_listeners_get_events_and_a_broken_listener_is_contained() -> None:
    metrics = Metrics()
    seen = []

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    metrics.subscribe(broken)
    unsubscribe = metrics.subscribe(seen.append)
    metrics.record_retry(1, 3, 0.25, "connection reset", "fetching")
    metrics.record_connect(False, "refused")
    unsubscribe()
    metrics.record_connect(True, "ok")
    assert [e.kind for e in seen] == [EventKind.RETRY, EventKind.CONNECT_FAILED]
    assert "retry 1 of 3" in seen[0].message and seen[0].data["delay"] == 0.25


def test_monitoring_off_keeps_no_books() -> None:
    metrics = Metrics(enabled=False)
    seen = []
    metrics.subscribe(seen.append)
    metrics.record_operation(1.0, ok=False, error="x")
    metrics.record_retry(1, 3, 0.1, "x", "y")
    snap = metrics.snapshot(circuit_state="open")
    assert (snap.total_operations, snap.retries, snap.monitoring_enabled) == (0, 0, False)
    assert snap.circuit_state == "open"
    assert seen == []
