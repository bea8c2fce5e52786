"""The app's record of connection health: recent engine events and the latest metrics snapshot.

Engine events arrive one message each (the engine calls listeners on its worker threads, and
those only post a message). A burst of retries must not redraw the health panel dozens of times,
so events are gathered and published together at most every ``interval`` seconds, each time with
a fresh ``MetricsSnapshot``. Reading the snapshot is local bookkeeping (no server traffic), which
is why it may run on the UI thread. Without events nothing changes, except what time alone
changes: the seconds until the circuit's probe (refreshed at each whole second while the circuit
is open, and when it turns half-open) and the count of retries in the last minute.

The history is bounded and kept on the app, so a panel or screen opened later shows what
happened before it was opened.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from textual.dom import DOMNode
from textual.signal import Signal
from textual.timer import Timer

from sage_tui.imap.metrics import EngineEvent, MetricsSnapshot

HISTORY = 500
"""Events kept for panels opened later."""
INTERVAL = 0.25
"""Seconds between two published updates at most: bursts are coalesced."""
MINUTE_REFRESH = 5.0
"""While retries were counted in the last minute, re-read this often so the count decays."""


@dataclass(frozen=True)
class HealthUpdate:
    """What a health view needs to catch up: the snapshot and the events new since last time.

    Attributes:
        snapshot: The metrics as they are now.
        events: Events added since the previous update, oldest first.
        upto: How many events the feed has received in all, the last of ``events`` included;
            a view that refilled from the history already has every event up to its own count.
    """

    snapshot: MetricsSnapshot
    events: tuple[EngineEvent, ...]
    upto: int


class HealthFeed:
    """Bounded event history, throttled publication, and the countdown refresh.

    Args:
        owner: The node whose timers and signal carry the updates (the app).
        read: Returns the current snapshot, or None when there is none to read any more
            (the app is shutting down); must not touch the network.
        interval: Minimum seconds between two published updates.
        keep: Events kept in the history.
        clock: Monotonic seconds (tests may pass a fake).
    """

    def __init__(
        self,
        owner: DOMNode,
        read: Callable[[], MetricsSnapshot | None],
        *,
        interval: float = INTERVAL,
        keep: int = HISTORY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owner = owner
        self._read = read
        self.interval = interval
        self._clock = clock
        self.history: deque[EngineEvent] = deque(maxlen=keep)
        self.count = 0
        """Events received since the start (the history holds the last ``keep`` of them)."""
        self.snapshot = MetricsSnapshot()
        self.updated: Signal[HealthUpdate] = Signal(owner, "health-updated")
        self._pending: deque[EngineEvent] = deque(maxlen=keep)
        self._last_publish = float("-inf")
        self._flush_timer: Timer | None = None
        self._tick_timer: Timer | None = None

    def add(self, event: EngineEvent) -> None:
        """Record an event (UI thread) and publish it with the next throttled update."""
        self.count += 1
        self.history.append(event)
        self._pending.append(event)
        if self._flush_timer is None:
            # Never 0: a zero-interval Timer divides by zero; 10 ms still gathers a burst.
            wait = max(0.01, self._last_publish + self.interval - self._clock())
            self._flush_timer = self._owner.set_timer(wait, self._flush_due, name="health-flush")

    def current(self) -> MetricsSnapshot:
        """A fresh snapshot (the last one read if none can be read now)."""
        snapshot = self._read()
        if snapshot is not None:
            self.snapshot = snapshot
        return self.snapshot

    def flush(self) -> HealthUpdate:
        """Read the metrics and publish them with the pending events, now."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        snapshot = self.current()
        events = tuple(self._pending)
        self._pending.clear()
        self._last_publish = self._clock()
        update = HealthUpdate(snapshot, events, self.count)
        self.updated.publish(update)
        self._schedule_tick(snapshot)
        return update

    def stop(self) -> None:
        """Stop every timer (the app is leaving)."""
        for timer in (self._flush_timer, self._tick_timer):
            if timer is not None:
                timer.stop()
        self._flush_timer = self._tick_timer = None

    def _flush_due(self) -> None:
        self._flush_timer = None
        self.flush()

    def _schedule_tick(self, snapshot: MetricsSnapshot) -> None:
        """While open, wake when the shown countdown changes (and when it reaches the probe)."""
        if self._tick_timer is not None:
            self._tick_timer.stop()
            self._tick_timer = None
        retry_in = snapshot.circuit_retry_in
        if snapshot.circuit_state == "open" and retry_in is not None:
            # The countdown shows whole seconds rounded up: it changes at each whole second.
            wait = (retry_in % 1.0 or 1.0) + 0.01
        elif snapshot.retries_last_minute:
            wait = MINUTE_REFRESH
        else:
            return
        self._tick_timer = self._owner.set_timer(wait, self._tick_due, name="health-tick")

    def _tick_due(self) -> None:
        self._tick_timer = None
        self.flush()
