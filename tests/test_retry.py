"""Backoff delays: exponential, jittered, capped."""

from __future__ import annotations

import pytest

from sage_tui.imap import ConnectionConfig
from sage_tui.imap.retry import RetryPolicy


def test_exponential_without_jitter() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=1.0, max_delay=30.0)
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(1, 6)] == [1, 2, 4, 8, 16]


def test_jitter_adds_up_to_half_and_the_cap_holds() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert policy.delay(2, rand=lambda: 1.0) == pytest.approx(3.0)
    assert policy.delay(10, rand=lambda: 1.0) == 5.0


def test_flat_backoff() -> None:
    policy = RetryPolicy(base_delay=0.5, exponential=False)
    assert policy.delay(4, rand=lambda: 0.0) == 0.5


def test_from_config() -> None:
    config = ConnectionConfig(host="h", username="u", max_retries=7, retry_delay=0.2,
                              retry_exponential_backoff=False, max_retry_delay=3.0)
    policy = RetryPolicy.from_config(config)
    assert (policy.max_retries, policy.base_delay, policy.exponential, policy.max_delay) == (
        7, 0.2, False, 3.0)


def test_retry_number_starts_at_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().delay(0)
