"""The health panel and screen, driven by real faults between the app and Dovecot.

A ``FaultProxy`` sits between the app and the server: resetting the pooled connections and
refusing new ones makes a real read fail, the retry fail, and the circuit open (threshold 2);
letting connections through and waiting out the recovery time makes it half-open, and the next
read closes it. The assertions are on what the panel shows, nothing else. The feed's throttling
and literal event text are checked on the widget alone, fed fixed events.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.geometry import Region
from textual.widget import Widget

from sage_tui.health_feed import HealthFeed, HealthUpdate
from sage_tui.imap import IMAPConnectionError, IMAPMailboxService
from sage_tui.imap.metrics import EngineEvent, EventKind, MetricsSnapshot
from sage_tui.screens.health import HealthScreen
from sage_tui.widgets.health_panel import HealthPanel, LastError, event_line, sparkline
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

RECOVERY = 1.5
"""Seconds the circuit stays open: long enough to watch the countdown go 2 s, 1 s."""


def shown(widget: Widget) -> str:
    """The lines a widget draws on the terminal, as text."""
    strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(strip.text for strip in strips)


async def showing(pilot, panel: HealthPanel, words: str, timeout: float = 15.0) -> str:
    """Wait until the panel has every event the app received and its facts say ``words``."""
    feed = pilot.app.health_feed
    await settle(pilot, lambda: panel.seen == feed.count and words in shown(panel.facts),
                 timeout=timeout)
    return shown(panel.facts)


def log_lines(panel: HealthPanel) -> list[str]:
    """Every line in the panel's event log (the visible ones and those scrolled away)."""
    return [strip.text.rstrip() for strip in panel.log_view.lines]


@pytest.fixture
def faulty(dovecot, imap_user, fault_proxy):
    """Five messages, and a config that reaches Dovecot through a proxy, with a quick breaker."""
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 6)])
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, max_retries=1,
                          circuit_failure_threshold=2, circuit_recovery_timeout=RECOVERY)
    return proxy, config


async def opened(pilot):
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders)
                 and screen.reader.message is not None)
    return screen


async def test_panel_follows_the_circuit_through_real_faults(faulty):
    proxy, config = faulty
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        assert not screen.query("#health"), "made when first asked for"
        await pilot.press("h")
        panel = screen.query_one("#health", HealthPanel)
        facts = await showing(pilot, panel, "● closed")
        # What happened before the panel was opened is there: the connections and traffic.
        assert re.search(r"Operations\s+[1-9]\d* · 0 failed", facts), facts
        assert re.search(r"Connections\s+[1-9]\d* attempts · [1-9]\d* ok · 0 failed", facts)
        assert re.search(r"Latency\s+avg [\d.]+ m?s · p50 [\d.]+ m?s · p95 [\d.]+ m?s", facts)
        assert re.search(r"Pool\s+0 in use · [1-5] idle · 5 max", facts), facts
        assert "Last error  none" in shown(panel.query_one(LastError))
        assert any("connected" in line for line in log_lines(panel))

        # The server goes away: live connections are reset, new ones refused.
        proxy.refuse(True)
        proxy.reset_all()
        await pilot.press("j")  # the reader previews the next message: a real read, retried
        facts = await showing(pilot, panel, "● open")
        assert re.search(r"Retries\s+1 · 1 in the last minute", facts), facts
        assert re.search(r"Operations\s+\d+ · 1 failed", facts), facts
        assert re.search(r"Pool\s+0 in use · 0 idle · 5 max", facts), "broken ones discarded"
        error = shown(panel.query_one(LastError))
        assert "connection broke" in error and "Traceback" not in error, error
        lines = log_lines(panel)
        assert any(re.search(r"^\d\d:\d\d:\d\d  retry\s+retry 1 of 1 of ", line)
                   for line in lines), lines
        assert sum("circuit closed -> open" in line for line in lines) == 1, lines

        # Nothing calls the server now, yet the countdown runs and the state turns half-open
        # when the recovery time is up.
        seen: list[str] = []

        def half_open() -> bool:
            seen.append(shown(panel.facts))
            return "● half-open" in seen[-1]

        await settle(pilot, half_open, timeout=RECOVERY + 10)
        counted = [int(m.group(1)) for text in seen
                   if (m := re.search(r"● open · probe in (\d+) s", text))]
        assert counted == sorted(counted, reverse=True) and 1 in counted, counted
        assert "half-open" not in "\n".join(log_lines(panel)), "no probe yet"

        # The probe (the next read) finds the server still refusing: open again.
        await pilot.press("k")
        facts = await showing(pilot, panel, "● open")
        assert re.search(r"Connections\s+\d+ attempts · \d+ ok · 1 failed", facts), facts
        error = shown(panel.query_one(LastError))
        # Its retry met the open circuit: the last error says so, in words.
        assert "is unavailable after 3 failures in a row; next try in" in error, error
        lines = log_lines(panel)
        assert any("connect failed" in line for line in lines), lines
        assert sum("circuit half-open -> open" in line for line in lines) == 1, lines

        # The server is back: after the recovery time the probe succeeds and closes it.
        proxy.refuse(False)
        await showing(pilot, panel, "● half-open", timeout=RECOVERY + 10)
        await pilot.press("j")
        await showing(pilot, panel, "● closed")
        lines = log_lines(panel)
        assert sum("circuit open -> half-open" in line for line in lines) == 2, lines
        assert sum("circuit half-open -> closed: probe succeeded" in line
                   for line in lines) == 1, lines
        await pilot.press("h")
        await pilot.pause()
        assert not panel.display


async def test_full_screen_by_key_and_palette_updates_live_and_escape_closes(faulty):
    proxy, config = faulty
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        await opened(pilot)
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        full = app.screen.query_one(HealthPanel)
        await showing(pilot, full, "● closed")
        assert any("connected" in line for line in log_lines(full)), "history from before"
        # Engine traffic while the screen is open shows up without a key press: a read that
        # fails twice (reset, then refused) opens the circuit.
        proxy.refuse(True)
        proxy.reset_all()
        with pytest.raises(IMAPConnectionError):
            await asyncio.to_thread(IMAPMailboxService(app.client).list_folders)
        facts = await showing(pilot, full, "● open · probe in")
        assert re.search(r"Retries\s+1 · 1 in the last minute", facts), facts
        assert "The connection broke during listing folders" in facts, "the error, wrapped"
        lines = log_lines(full)
        assert any(re.search(r"  retry\s+retry 1 of 1 of listing folders", line)
                   for line in lines), lines
        assert any("circuit closed -> open" in line for line in lines), lines
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_screen(app)

        # The command palette reaches the same screen.
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"connection health")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_screen(app)


async def test_narrow_terminal_keeps_the_list_and_stacks_the_panel(faulty):
    _proxy, config = faulty
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert screen.narrow
        await pilot.press("h")
        panel = screen.query_one("#health", HealthPanel)
        await showing(pilot, panel, "● closed")
        assert panel.region.right <= 80 and panel.region.bottom <= 23  # above the footer
        assert screen.message_list.region.height >= 5, "the list still has room"
        assert panel.log_view.region.y > panel.facts.region.y, "log under the facts"
        assert panel.facts.region.width >= 60
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        full = app.screen.query_one(HealthPanel)
        await showing(pilot, full, "● closed")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and panel.display


# -- the widget and the feed alone, fed fixed data --------------------------------------------

FIXED = MetricsSnapshot(total_operations=3, recent_latencies=(0.01, 0.02, 0.04))


class Host(App[None]):
    """Just a health panel and its feed."""

    def __init__(self) -> None:
        super().__init__()
        self.feed = HealthFeed(self, lambda: FIXED)
        self.published: list[HealthUpdate] = []

    def compose(self) -> ComposeResult:
        yield HealthPanel(self.feed)

    def on_mount(self) -> None:
        self.feed.updated.subscribe(self, self.published.append)


def event(i: int, message: str = "", kind: EventKind = EventKind.RETRY) -> EngineEvent:
    return EngineEvent(kind, message or f"event {i}", at=time.time())


async def test_a_burst_of_events_is_one_redraw_and_nothing_is_lost():
    app = Host()
    async with app.run_test(size=(120, 12)) as pilot:
        panel = app.query_one(HealthPanel)
        for i in range(50):
            app.feed.add(event(i))
        await pilot.pause(0.3)
        await pilot.pause()
        assert len(app.published) == 1 and len(app.published[0].events) == 50
        lines = log_lines(panel)
        assert [line.split()[-1] for line in lines] == [str(i) for i in range(50)]
        # Refilled (as when shown again), then an update that overlaps it: no duplicates.
        panel.refill(FIXED, list(app.feed.history), app.feed.count)
        app.feed.add(event(50))
        app.feed.flush()
        await pilot.pause()
        assert [line.split()[-1] for line in log_lines(panel)] == [str(i) for i in range(51)]


async def test_the_history_is_bounded():
    app = Host()
    async with app.run_test(size=(120, 12)):
        for i in range(600):
            app.feed.add(event(i))
        assert len(app.feed.history) == 500 and app.feed.history[0].message == "event 100"
        assert app.feed.count == 600


async def test_server_words_in_events_are_shown_literally():
    hostile = "[bold red]x[/] [link=http://e]y[/link] \x1b[31mred\x07"
    app = Host()
    async with app.run_test(size=(120, 12)) as pilot:
        panel = app.query_one(HealthPanel)
        app.feed.add(event(0, f"retry 1 of 3 of reading: {hostile}"))
        app.feed.flush()
        await pilot.pause()
        (line,) = log_lines(panel)
        assert "[bold red]x[/] [link=http://e]y[/link] ␛[31mred␇" in line
        segments = [s for strip in panel.log_view.lines for s in strip]
        assert not any(s.style and s.style.link for s in segments)


def test_event_line_and_sparkline_words():
    at = time.mktime((2024, 5, 1, 9, 30, 2, 0, 0, -1))
    line = event_line(EngineEvent(EventKind.STATE_CHANGE, "circuit closed -> open: reset",
                                  at, {"old": "closed", "new": "open"}))
    assert line.plain == "09:30:02  circuit        circuit closed -> open: reset"
    assert sparkline([0.01, 0.01, 0.01], 30).plain == "███", "steady is flat, not noisy"
    assert sparkline([0.0, 0.5, 1.0], 30).plain == "▁▄█"
    assert sparkline([], 30).plain == "no operations yet"
    tall = sparkline([0.25, 1.0], 10, height=2).plain.splitlines()
    assert tall == [" █", "▄█"]
