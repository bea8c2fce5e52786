"""Counters, latencies and a live event stream for one connection pool.

The UI's health panel follows the engine through ``subscribe``: listeners are called from the
engine's worker threads, so a UI listener must only hand the event over (``post_message``), never
touch widgets. ``get_metrics()`` returns an immutable ``MetricsSnapshot``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger(__name__)

LATENCY_WINDOW = 1024
"""Operations kept for the percentiles: recent behaviour matters more than the all-time mean."""
SPARKLINE_POINTS = 60


class EventKind(StrEnum):
    """What happened; the values are the words the event log shows."""

    CONNECT = "connect"
    CONNECT_FAILED = "connect-failed"
    RETRY = "retry"
    FAILURE = "failure"
    STATE_CHANGE = "state-change"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class EngineEvent:
    """One thing that happened in a pool.

    Attributes:
        kind: The category.
        message: A plain sentence with no secrets ("retry 1 of 3 in 0.8 s: connection reset").
        at: Wall-clock time (``time.time()``), for timestamps in an event log.
        data: Small extra facts (attempt, delay, old/new state, operation).
    """

    kind: EventKind
    message: str
    at: float
    data: dict[str, object] = field(default_factory=dict)


Listener = Callable[[EngineEvent], None]


@dataclass(frozen=True)
class MetricsSnapshot:
    """An immutable copy of a pool's health at one moment."""

    connection_attempts: int = 0
    successful_connections: int = 0
    failed_connections: int = 0
    total_operations: int = 0
    failed_operations: int = 0
    retries: int = 0
    retries_last_minute: int = 0
    average_response_time: float = 0.0
    p50_latency: float = 0.0
    p95_latency: float = 0.0
    recent_latencies: tuple[float, ...] = ()
    pool_in_use: int = 0
    pool_idle: int = 0
    pool_max: int = 0
    circuit_state: str = "closed"
    circuit_retry_in: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    monitoring_enabled: bool = True


class Metrics:
    """Thread-safe bookkeeping; every ``record_*`` is a no-op when monitoring is off."""

    def __init__(
        self,
        enabled: bool = True,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = enabled
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._connection_attempts = 0
        self._successful_connections = 0
        self._failed_connections = 0
        self._total_operations = 0
        self._failed_operations = 0
        self._retries = 0
        self._retry_times: deque[float] = deque()
        self._latency_sum = 0.0
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._last_error: str | None = None
        self._last_error_at: float | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event from now on; returns the function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def record_connect(self, ok: bool, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._connection_attempts += 1
            if ok:
                self._successful_connections += 1
            else:
                self._failed_connections += 1
                self._set_error(message)
        self.emit(EventKind.CONNECT if ok else EventKind.CONNECT_FAILED, message)

    def record_operation(self, seconds: float, ok: bool, error: str | None = None) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._total_operations += 1
            self._latency_sum += seconds
            self._latencies.append(seconds)
            if not ok:
                self._failed_operations += 1
                if error:
                    self._set_error(error)
        if not ok and error:
            self.emit(EventKind.FAILURE, error)

    def record_retry(self, attempt: int, of: int, delay: float, error: str, operation: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._retries += 1
            self._retry_times.append(self._clock())
            self._set_error(error)
        self.emit(
            EventKind.RETRY,
            f"retry {attempt} of {of} of {operation} in {delay:.1f} s: {error}",
            attempt=attempt,
            delay=delay,
            operation=operation,
        )

    def emit(self, kind: EventKind, message: str, **data: object) -> None:
        """Send an event to every listener; a failing listener never breaks the engine.

        Every event is also one INFO log line (``event=retry`` and its facts as fields), so the
        log file tells the story of retries, reconnects and circuit changes.
        """
        log.info("%s", message, extra={"event": kind.value, **_log_fields(data)})
        if not self.enabled:
            return
        event = EngineEvent(kind, message, self._wall_clock(), dict(data))
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("metrics listener failed")

    def snapshot(self, **live: object) -> MetricsSnapshot:
        """Freeze the counters; ``live`` adds pool and circuit state, which exist even when off."""
        if not self.enabled:
            return MetricsSnapshot(monitoring_enabled=False, **live)  # type: ignore[arg-type]
        with self._lock:
            now = self._clock()
            while self._retry_times and now - self._retry_times[0] > 60.0:
                self._retry_times.popleft()
            ordered = sorted(self._latencies)
            return MetricsSnapshot(
                connection_attempts=self._connection_attempts,
                successful_connections=self._successful_connections,
                failed_connections=self._failed_connections,
                total_operations=self._total_operations,
                failed_operations=self._failed_operations,
                retries=self._retries,
                retries_last_minute=len(self._retry_times),
                average_response_time=(
                    self._latency_sum / self._total_operations if self._total_operations else 0.0
                ),
                p50_latency=_percentile(ordered, 0.50),
                p95_latency=_percentile(ordered, 0.95),
                recent_latencies=tuple(self._latencies)[-SPARKLINE_POINTS:],
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                **live,  # type: ignore[arg-type]
            )

    def _set_error(self, message: str) -> None:
        self._last_error = message
        self._last_error_at = self._wall_clock()


def _log_fields(data: dict[str, object]) -> dict[str, object]:
    """``data`` as log fields; a name ``logging`` keeps for itself gets a ``data_`` prefix."""
    return {
        (f"data_{key}" if key in _RESERVED or key.startswith("_") else key): value
        for key, value in data.items()
    }


_RESERVED = frozenset(
    [*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime"]
)


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
