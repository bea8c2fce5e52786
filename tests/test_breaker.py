"""The circuit breaker's state machine, on a fake clock."""

from __future__ import annotations

import pytest

from sage_tui.imap import CircuitBreaker, CircuitOpenError, CircuitState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock, changes: list | None = None) -> CircuitBreaker:
    def record(old: CircuitState, new: CircuitState, reason: str) -> None:
        if changes is not None:
            changes.append((old, new))

    return CircuitBreaker(3, 10.0, clock=clock, on_state_change=record, name="alice@example")


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure("reset")


def test_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    breaker = make(clock)
    fail(breaker, 2)
    assert breaker.state is CircuitState.CLOSED
    fail(breaker, 1)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_in == pytest.approx(10.0)
    assert "alice@example" in str(info.value) and "10 s" in str(info.value)


def test_a_success_resets_the_consecutive_count(clock: FakeClock) -> None:
    breaker = make(clock)
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.consecutive_failures == 2


def test_full_cycle_closed_open_half_open_closed(clock: FakeClock) -> None:
    changes: list = []
    breaker = make(clock, changes)
    fail(breaker, 3)
    clock.now += 9.9
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    assert breaker.retry_in() == pytest.approx(0.1)
    clock.now += 0.1
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpenError, match="probed"):
        breaker.before_call()  # only one probe at a time
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert changes == [
        (CircuitState.CLOSED, CircuitState.OPEN),
        (CircuitState.OPEN, CircuitState.HALF_OPEN),
        (CircuitState.HALF_OPEN, CircuitState.CLOSED),
    ]


def test_failed_probe_reopens_for_a_full_timeout(clock: FakeClock) -> None:
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 10
    breaker.before_call()
    breaker.record_failure("still down")
    assert breaker.state is CircuitState.OPEN
    assert breaker.retry_in() == pytest.approx(10.0)


def test_release_frees_the_probe_without_a_verdict(clock: FakeClock) -> None:
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 10
    breaker.before_call()
    breaker.release()
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.before_call()  # a new probe may go


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(0)
