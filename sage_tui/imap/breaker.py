"""A circuit breaker per connection pool.

When a server is down, waiting out a connect timeout on every click makes an app feel dead. After
``failure_threshold`` *consecutive* transient failures the circuit opens and calls fail at once
with ``CircuitOpenError``; after ``recovery_timeout`` exactly one probe is let through (half-open),
and its outcome closes or re-opens the circuit. Unlike the seed library's example, a success only
resets the count of *consecutive* failures; it is the probe that closes an open circuit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

from .errors import CircuitOpenError


class CircuitState(StrEnum):
    """The three states; the values are the words the UI shows."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


StateListener = Callable[[CircuitState, CircuitState, str], None]


class CircuitBreaker:
    """Thread-safe breaker with an injectable monotonic clock.

    Args:
        failure_threshold: Consecutive transient failures that open the circuit.
        recovery_timeout: Seconds open before one probe is allowed.
        clock: Monotonic seconds; tests pass a fake.
        on_state_change: Called with (old, new, reason) outside the lock.
        name: Used in the error message ("alice@imap.example.com").
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_state_change: StateListener | None = None,
        name: str = "the server",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._clock = clock
        self._on_state_change = on_state_change
        self._name = name
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> CircuitState:
        """The current state; an open circuit whose timeout has passed reads as half-open."""
        with self._lock:
            if self._state is CircuitState.OPEN and self._remaining() <= 0:
                return CircuitState.HALF_OPEN
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def retry_in(self) -> float | None:
        """Seconds until the next probe while open, else ``None``."""
        with self._lock:
            if self._state is CircuitState.OPEN:
                return max(0.0, self._remaining())
            return None

    def before_call(self) -> None:
        """Let a call through or raise ``CircuitOpenError``.

        Every call let through must be followed by exactly one of ``record_success``,
        ``record_failure`` or ``release``.
        """
        change = None
        with self._lock:
            if self._state is CircuitState.OPEN:
                remaining = self._remaining()
                if remaining > 0:
                    raise CircuitOpenError(
                        f"{self._name} is unavailable after {self._failures} failures in a row; "
                        f"next try in {remaining:.0f} s",
                        retry_in=remaining,
                    )
                change = self._set(CircuitState.HALF_OPEN)
                self._probe_in_flight = True
            elif self._state is CircuitState.HALF_OPEN:
                if self._probe_in_flight:
                    raise CircuitOpenError(
                        f"{self._name} is being probed; try again in a moment", retry_in=0.0
                    )
                self._probe_in_flight = True
        self._notify(change, "recovery timeout passed; probing")

    def record_success(self) -> None:
        """The server answered: reset the failure count and close a half-open circuit."""
        change = None
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            if self._state is not CircuitState.CLOSED:
                change = self._set(CircuitState.CLOSED)
        self._notify(change, "probe succeeded")

    def record_failure(self, reason: str = "") -> None:
        """A transient failure: count it, and open the circuit at the threshold or on a probe."""
        change = None
        with self._lock:
            self._failures += 1
            was_probe = self._probe_in_flight
            self._probe_in_flight = False
            if was_probe or (
                self._state is CircuitState.CLOSED and self._failures >= self.failure_threshold
            ):
                self._opened_at = self._clock()
                change = self._set(CircuitState.OPEN)
        self._notify(change, reason or "too many failures")

    def release(self) -> None:
        """The call ended without telling anything about the server (e.g. cancelled)."""
        with self._lock:
            self._probe_in_flight = False

    def _remaining(self) -> float:
        return self._opened_at + self.recovery_timeout - self._clock()

    def _set(self, new: CircuitState) -> tuple[CircuitState, CircuitState] | None:
        old, self._state = self._state, new
        return (old, new) if old is not new else None

    def _notify(self, change: tuple[CircuitState, CircuitState] | None, reason: str) -> None:
        if change and self._on_state_change:
            self._on_state_change(change[0], change[1], reason)
