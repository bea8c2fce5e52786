"""Exponential backoff with jitter for transient failures.

Only failures whose translated error says ``transient`` are retried: authentication failures and
server refusals (NO/BAD) are final, because retrying them cannot help and may lock an account.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .config import ConnectionConfig


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait in between.

    The delay before retry ``n`` (1-based) is ``retry_delay * 2**(n-1)`` (or flat without
    exponential backoff), plus up to 50% random jitter so that many clients hit by the same outage
    do not reconnect in lock step, capped at ``max_delay``.
    """

    max_retries: int = 3
    base_delay: float = 1.0
    exponential: bool = True
    max_delay: float = 30.0
    jitter: float = 0.5

    @classmethod
    def from_config(cls, config: ConnectionConfig) -> RetryPolicy:
        return cls(
            max_retries=config.max_retries,
            base_delay=config.retry_delay,
            exponential=config.retry_exponential_backoff,
            max_delay=config.max_retry_delay,
        )

    def delay(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before the given retry (1 for the first retry)."""
        if retry_number < 1:
            raise ValueError("retry_number starts at 1")
        base = self.base_delay * (2 ** (retry_number - 1) if self.exponential else 1)
        return min(self.max_delay, base * (1 + self.jitter * rand()))
