"""What the health panel and the "Connection health" screen look like (pytest-textual-snapshot).

Live metrics vary from run to run (latencies, timestamps), so these feed the real widgets and
the real ``HealthFeed`` a fixed snapshot and fixed events in a small host app; the Pilot tests in
``test_health_panel.py`` cover the same widgets under real faults. One event carries Rich markup
and an escape sequence, to show that server words are drawn as typed.
"""

from __future__ import annotations

import time

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from sage_tui.health_feed import HealthFeed
from sage_tui.imap.metrics import EngineEvent, EventKind, MetricsSnapshot
from sage_tui.screens.health import HealthScreen
from sage_tui.widgets.health_panel import HealthPanel

START = time.mktime((2024, 5, 1, 9, 30, 0, 0, 0, -1))
"""09:30:00 local time, whatever the machine's time zone."""
ACCOUNT = "alice@imap.example.com"

OPEN = MetricsSnapshot(
    connection_attempts=6,
    successful_connections=4,
    failed_connections=2,
    total_operations=148,
    failed_operations=3,
    retries=5,
    retries_last_minute=2,
    average_response_time=0.0183,
    p50_latency=0.0121,
    p95_latency=0.0642,
    recent_latencies=tuple(0.008 + 0.004 * ((i * 7) % 5) + (0.05 if i % 13 == 12 else 0.0)
                           for i in range(60)),
    pool_in_use=1,
    pool_idle=2,
    pool_max=5,
    circuit_state="open",
    circuit_retry_in=4.2,
    last_error=f"The connection broke during fetching 60 messages from INBOX ({ACCOUNT}): "
               "[Errno 104] Connection reset by peer",
    last_error_at=START + 41,
)


def _event(seconds: int, kind: EventKind, message: str, **data: object) -> EngineEvent:
    return EngineEvent(kind, message, START + seconds, dict(data))


EVENTS = [
    _event(0, EventKind.CONNECT, f"connection 1 to {ACCOUNT}"),
    _event(1, EventKind.CONNECT, f"connection 2 to {ACCOUNT}"),
    _event(2, EventKind.CONNECT, f"connection 3 to {ACCOUNT}"),
    _event(30, EventKind.RETRY, "retry 1 of 3 of searching INBOX in 0.8 s: the server said "
           "[bold red]BYE[/] \x1b[31mgoing down"),
    _event(31, EventKind.DISCARDED, "connection 2 discarded"),
    _event(40, EventKind.RETRY, "retry 1 of 3 of fetching 60 messages from INBOX in 0.5 s: "
           "[Errno 104] Connection reset by peer"),
    _event(40, EventKind.CONNECT_FAILED, f"connecting to {ACCOUNT} failed: connection refused"),
    _event(41, EventKind.STATE_CHANGE, "circuit closed -> open: too many failures",
           old="closed", new="open"),
    _event(41, EventKind.FAILURE, f"{ACCOUNT} is unavailable after 5 failures in a row; next "
           "try in 5 s"),
]


class HealthHost(App[None]):
    """The panel docked under a stand-in for the mail panes, or the full screen on top."""

    CSS = "#panes { height: 1fr; }"

    def __init__(self, snapshot: MetricsSnapshot, events: list[EngineEvent], *,
                 full_screen: bool = False) -> None:
        super().__init__()
        self.theme = "textual-dark"
        self.feed = HealthFeed(self, lambda: snapshot)
        self.events = events
        self.full_screen = full_screen

    def compose(self) -> ComposeResult:
        yield Static("(the mail panes)", id="panes")
        yield HealthPanel(self.feed)

    def on_mount(self) -> None:
        for event in self.events:
            self.feed.add(event)
        if self.full_screen:
            self.push_screen(HealthScreen(self.feed, ACCOUNT))


async def _published(pilot) -> None:
    pilot.app.feed.flush()
    await pilot.pause()


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_docked_panel_with_the_circuit_open(snap_compare):
    assert snap_compare(HealthHost(OPEN, EVENTS), terminal_size=(120, 16), run_before=_published)


def test_docked_panel_when_all_is_well(snap_compare):
    calm = MetricsSnapshot(connection_attempts=2, successful_connections=2, total_operations=12,
                           average_response_time=0.004, p50_latency=0.0035, p95_latency=0.009,
                           recent_latencies=(0.003, 0.004, 0.0035, 0.009, 0.003, 0.004),
                           pool_idle=2, pool_max=5)
    assert snap_compare(HealthHost(calm, EVENTS[:3]), terminal_size=(100, 14),
                        run_before=_published)


def test_connection_health_screen(snap_compare):
    assert snap_compare(HealthHost(OPEN, EVENTS, full_screen=True), terminal_size=(120, 36),
                        run_before=_published)
