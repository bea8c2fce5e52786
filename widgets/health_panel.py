"""The connection health panel: circuit, pool, traffic, latency, last error, and an event log.

It shows what the engine already knows (a ``MetricsSnapshot`` and ``EngineEvent``s handed to it
by the app's ``HealthFeed``); it never asks the server anything and opens no socket. Event texts
and errors may quote the server, so they go through ``sage_tui.text`` and are never markup.

Two presentations of the same facts: compact (docked at the bottom of the main screen: facts
beside the log) and ``full`` (the "Connection health" screen: bigger sparkline, errors wrapped,
the log filling the rest). A hidden panel ignores updates and catches up from the feed's history
when it is shown again.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Show
from textual.widget import Widget
from textual.widgets import RichLog, Static

from sage_tui.health_feed import HISTORY, HealthFeed, HealthUpdate
from sage_tui.imap.metrics import EngineEvent, EventKind, MetricsSnapshot
from sage_tui.text import literal, literal_line

BARS = " ▁▂▃▄▅▆▇█"
SPARK_WIDTH = 30
"""Operations in the compact sparkline (one column each, newest on the right)."""
SPARK_WIDTH_FULL = 60
SPARK_HEIGHT_FULL = 3

CIRCUIT_STYLES = {"closed": "bold green", "open": "bold red", "half-open": "bold yellow"}
EVENT_WORDS: dict[str, tuple[str, str]] = {
    EventKind.CONNECT: ("connected", "green"),
    EventKind.CONNECT_FAILED: ("connect failed", "red"),
    EventKind.RETRY: ("retry", "yellow"),
    EventKind.FAILURE: ("failed", "red"),
    EventKind.STATE_CHANGE: ("circuit", "bold"),
    EventKind.DISCARDED: ("discarded", "dim"),
}


def clock_time(at: float) -> str:
    """Wall-clock seconds as the local ``HH:MM:SS`` an event log shows."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def duration(seconds: float) -> str:
    """``0.0023`` -> ``2.3 ms``, ``0.041`` -> ``41 ms``, ``1.25`` -> ``1.25 s``."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def circuit_words(snapshot: MetricsSnapshot) -> Text:
    """The breaker's state in colour; while open, the whole seconds until its probe."""
    state = snapshot.circuit_state
    style = CIRCUIT_STYLES.get(state, "bold")
    if state == "open":
        seconds = math.ceil(snapshot.circuit_retry_in or 0.0)
        return Text(f"● open · probe in {seconds} s", style=style)
    if state == "half-open":
        return Text("● half-open · the next call probes the server", style=style)
    return Text(f"● {state}", style=style)


def sparkline(values: Sequence[float], width: int, height: int = 1) -> Text:
    """Bars of the last ``width`` latencies, scaled from zero to the highest of them.

    Zero-based on purpose: a steady 10-12 ms must look steady, not like a wild swing.
    """
    points = list(values)[-width:]
    if not points:
        return Text("no operations yet", style="dim")
    top = max(points)
    levels = [max(1, round(v / top * 8 * height)) if top > 0 else 1 for v in points]
    rows = []
    for row in reversed(range(height)):
        rows.append("".join(BARS[min(8, max(0, level - row * 8))] for level in levels))
    return Text("\n".join(rows), style="cyan")


def fact_rows(snapshot: MetricsSnapshot, *, full: bool = False) -> list[tuple[str, Text]]:
    """Label and value for each line of the facts, in the order shown.

    The compact panel leaves the last error out: it gets a line of the panel's whole width.
    """
    s = snapshot
    rows: list[tuple[str, Text]] = [
        ("Circuit", circuit_words(s)),
        ("Pool", Text(f"{s.pool_in_use} in use · {s.pool_idle} idle · {s.pool_max} max")),
    ]
    if not s.monitoring_enabled:
        rows.append(("Metrics", Text("monitoring is off in this account's settings",
                                     style="dim")))
        return rows
    failed_style = "red" if s.failed_operations else ""
    operations = Text(f"{s.total_operations:,} · ")
    operations.append(f"{s.failed_operations:,} failed", style=failed_style)
    retries = Text(f"{s.retries:,} · ")
    retries.append(f"{s.retries_last_minute:,} in the last minute",
                   style="yellow" if s.retries_last_minute else "")
    latency = Text(f"avg {duration(s.average_response_time)} · p50 {duration(s.p50_latency)}"
                   f" · p95 {duration(s.p95_latency)}")
    spark = sparkline(s.recent_latencies, SPARK_WIDTH_FULL if full else SPARK_WIDTH,
                      SPARK_HEIGHT_FULL if full else 1)
    if full and s.recent_latencies:
        spark.append(f"  up to {duration(max(s.recent_latencies))}", style="dim")
    connections = Text(f"{s.connection_attempts:,} attempts · {s.successful_connections:,} ok · ")
    connections.append(f"{s.failed_connections:,} failed",
                       style="red" if s.failed_connections else "")
    rows += [
        ("Operations", operations),
        ("Retries", retries),
        ("Latency", latency),
        ("Recent", spark),
        ("Connections", connections),
    ]
    if full:
        rows.append(("Last error", last_error(s)))
    return rows


def last_error(snapshot: MetricsSnapshot) -> Text:
    """The engine's last error sentence and when (it may quote the server: shown literally)."""
    if not snapshot.last_error:
        return Text("none", style="dim")
    words = Text()
    if snapshot.last_error_at is not None:
        words.append(clock_time(snapshot.last_error_at) + "  ", style="dim")
    words.append_text(literal(snapshot.last_error, style="red"))
    return words


def facts_table(snapshot: MetricsSnapshot, *, full: bool = False) -> Table:
    table = Table.grid(padding=(0, 2 if full else 1))
    table.add_column(style="bold", no_wrap=True, min_width=len("Connections"))
    table.add_column(no_wrap=not full, overflow="fold" if full else "ellipsis")
    for label, value in fact_rows(snapshot, full=full):
        table.add_row(label, value)
    return table


def event_line(event: EngineEvent) -> Text:
    """``09:30:02  retry          retry 1 of 3 of …``: the message exactly as the engine said."""
    line = Text(clock_time(event.at), style="dim")
    word, style = EVENT_WORDS.get(event.kind, (str(event.kind), ""))
    if event.kind == EventKind.STATE_CHANGE:
        style = CIRCUIT_STYLES.get(str(event.data.get("new", "")), style)
    line.append(f"  {word:<15}", style=style)
    line.append_text(literal_line(event.message))
    return line


class HealthFacts(Static):
    """The facts column; ``show`` redraws it from a snapshot."""

    def __init__(self, *, full: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.full = full

    def show(self, snapshot: MetricsSnapshot) -> None:
        self.update(facts_table(snapshot, full=self.full))


class LastError(Static):
    """The compact panel's last error, across its whole width (the cause is at the end)."""

    def show(self, snapshot: MetricsSnapshot) -> None:
        words = Text("Last error  ", style="bold")
        words.append_text(last_error(snapshot))
        self.update(words)


class EventLog(RichLog):
    """Timestamped engine events, newest at the bottom, bounded like the feed's history.

    It keeps the events themselves and draws them again when its width changes, so wrapped
    lines (full screen) always fit, and nothing is drawn while it has no width (hidden).
    """

    def __init__(self, *, full: bool = False, **kwargs: object) -> None:
        super().__init__(max_lines=HISTORY, wrap=full, markup=False, highlight=False,
                         **kwargs)  # type: ignore[arg-type]
        self.full = full
        self.can_focus = full  # docked, it must not take tab stops from the mail panes
        self.events: deque[EngineEvent] = deque(maxlen=HISTORY)
        self._drawn_width = 0

    def add(self, events: Iterable[EngineEvent]) -> None:
        fresh = list(events)
        self.events.extend(fresh)
        width = self.scrollable_content_region.width
        if width and width == self._drawn_width:
            for event in fresh:
                self._draw(event, width)
        # Otherwise the size is not settled yet: the coming resize draws them all.

    def replace(self, events: Iterable[EngineEvent]) -> None:
        self.events.clear()
        self.clear()
        self._drawn_width = 0
        self.add(events)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        width = self.scrollable_content_region.width
        if not width or width == self._drawn_width:
            return
        self.clear()
        self._drawn_width = width
        for event in self.events:
            self._draw(event, width)

    def _draw(self, event: EngineEvent, width: int) -> None:
        # An explicit width: otherwise RichLog measures against the console, not this widget.
        self.write(event_line(event), width=width if self.full else None)


class HealthPanel(Widget):
    """Health facts and the event log, kept up to date by a ``HealthFeed``.

    Args:
        feed: Where updates come from (None: only what ``refill``/``apply`` are given).
        full: The larger presentation of the full screen.
    """

    DEFAULT_CSS = """
    HealthPanel { height: 10; border-top: solid $primary 50%; border-title-color: $text; }
    HealthPanel #health-top { height: 1fr; }
    HealthPanel HealthFacts { width: 52; height: auto; padding: 0 1; }
    HealthPanel EventLog {
        width: 1fr; height: 1fr; border-left: vkey $primary 30%; padding: 0 1;
        overflow-x: hidden; background: transparent; scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
    }
    HealthPanel LastError { height: auto; max-height: 2; padding: 0 1; }
    HealthPanel.-full { height: 1fr; border-top: none; }
    HealthPanel.-full HealthFacts { width: 1fr; padding: 1 2; }
    HealthPanel.-full EventLog {
        border-left: none; border-top: solid $primary 50%; padding: 0 2;
    }
    """

    def __init__(self, feed: HealthFeed | None = None, *, full: bool = False,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.feed = feed
        self.full = full
        self.seen = 0
        """Events (by the feed's count) already in the log."""
        self.set_class(full, "-full")
        if not full:
            self.border_title = "Connection health · h hides · H full screen"

    def compose(self) -> ComposeResult:
        if self.full:
            yield HealthFacts(full=True)
            log = EventLog(full=True)
            log.border_title = "Events"
            yield log
            return
        with Horizontal(id="health-top"):
            yield HealthFacts()
            yield EventLog()
        yield LastError()

    @property
    def facts(self) -> HealthFacts:
        return self.query_one(HealthFacts)

    @property
    def log_view(self) -> EventLog:
        return self.query_one(EventLog)

    def on_mount(self) -> None:
        if self.feed is not None:
            self.feed.updated.subscribe(self, self.apply)
        if self.display:
            self.refill_from_feed()

    def on_show(self, event: Show) -> None:
        self.refill_from_feed()

    def refill_from_feed(self) -> None:
        """Catch up with everything the feed knows (it keeps what happened while hidden)."""
        if self.feed is not None:
            self.refill(self.feed.current(), self.feed.history, self.feed.count)

    def refill(self, snapshot: MetricsSnapshot, events: Iterable[EngineEvent],
               upto: int) -> None:
        """Show ``snapshot`` and replace the log with ``events`` (the feed's first ``upto``)."""
        self._show_facts(snapshot)
        self.log_view.replace(events)
        self.seen = upto

    def apply(self, update: HealthUpdate) -> None:
        """Show a published update; events already in the log (from a refill) are skipped."""
        if not self.display:
            return  # hidden: ``on_show`` catches up from the history
        self._show_facts(update.snapshot)
        first = update.upto - len(update.events) + 1  # the feed's number of events[0]
        fresh = update.events[max(0, self.seen - first + 1):]
        self.log_view.add(fresh)
        self.seen = max(self.seen, update.upto)

    def _show_facts(self, snapshot: MetricsSnapshot) -> None:
        self.facts.show(snapshot)
        for line in self.query(LastError):
            line.show(snapshot)
