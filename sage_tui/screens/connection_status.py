"""What the main screen says while the server is unreachable, and when it tries again.

A lost connection must never look like an empty folder: the rows last listed stay (drawn dim,
the title says "stale"), and a banner that stays until the connection is back says what went
wrong and counts down to the next try. Two things try again on their own: the folder watcher
(it reconnects with the account's backoff, and its "reconnect" change re-reads the folder), and
a folder that failed to open (re-opened here with a growing delay). While the engine's circuit
is open the banner says so with the seconds until its probe, so a failing action is explained.

A mixin of ``MainScreen``: handlers are found by name (``on_watch_failed``), which works in a
mixin where ``@on`` would not. The countdown reads the engine's local metrics snapshot once a
second; it never asks the server anything.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.widgets import Static

from sage_tui.messages import WatchFailed
from sage_tui.text import literal_line, one_line
from sage_tui.widgets.account_bar import AccountBar

if TYPE_CHECKING:
    from sage_tui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

RETRY_DELAYS = (2.0, 4.0, 8.0, 15.0, 30.0)
"""Seconds before re-opening a folder that failed to open, growing with each failure."""


class ConnectionStatus(_Base):
    """Stale rows, the connection banner with its countdown, and retrying a failed open."""

    stale_reason: str | None = None
    """Why the rows on screen may be out of date (None: they are live)."""
    _retry_at: float | None = None
    _retry_what: str = ""
    _link: tuple[str, str] = ("connecting", "")
    """The engine's last connection state and its detail, for the account bar."""
    _open_failures: int = 0
    _reopen_timer: Timer | None = None
    _status_timer: Timer | None = None

    # -- the account bar's connection state ----------------------------------------------------

    def show_link_state(self, state: str, detail: str = "") -> None:
        """The engine's connection state changed: show it in the account bar, and redraw the
        banner (the circuit breaker's countdown). Before the screen has its widgets it is kept,
        and shown by ``on_mount``: the app replays the start-up connection's events early."""
        self._link = (state, detail)
        if self.query(AccountBar):
            self._show_link()

    def _show_link(self) -> None:
        bar = self.query_one(AccountBar)
        bar.state, bar.detail = self._link
        self.refresh_status()

    # -- entering and leaving the stale state --------------------------------------------------

    def on_watch_failed(self, event: WatchFailed) -> None:
        if event.generation != self.folder_generation:
            return
        self.mark_stale(f"Connection lost: {one_line(str(event.error))}", event.retry_in,
                        "reconnecting")
        bar = self.query_one(AccountBar)
        bar.state, bar.detail = "offline", ""

    def mark_stale(self, reason: str, retry_in: float | None, what: str) -> None:
        """Keep the rows, dim them, and say why and when the next try is."""
        self.stale_reason = reason
        self._retry_at = time.monotonic() + retry_in if retry_in is not None else None
        self._retry_what = what
        self.message_list.add_class("-stale")
        self._update_title()
        self.refresh_status()

    def connection_back(self) -> None:
        """The server answered again: live rows, no banner, the failure count reset."""
        self._open_failures = 0
        if self._reopen_timer is not None:
            self._reopen_timer.stop()
            self._reopen_timer = None
        if self.stale_reason is None:
            self.refresh_status()
            return
        self.stale_reason = None
        self._retry_at = None
        self._connection_ok()
        self.message_list.remove_class("-stale")
        self._update_title()
        self.refresh_status()
        self.say("Connected again; the folder was read afresh.", timeout=3)

    def schedule_reopen(self, folder: str, reason: str) -> None:
        """A folder failed to open: try again by itself, a little later each time."""
        delay = RETRY_DELAYS[min(self._open_failures, len(RETRY_DELAYS) - 1)]
        self._open_failures += 1
        if self._reopen_timer is not None:
            self._reopen_timer.stop()
        self._reopen_timer = self.set_timer(delay, lambda: self._reopen(folder))
        self.mark_stale(reason, delay, "trying again")

    def _reopen(self, folder: str) -> None:
        self._reopen_timer = None
        if self.folder == folder and self.search is None:
            self.reload_in_place()

    # -- the banner -----------------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Redraw the connection banner; keep a one-second tick while it counts down."""
        words = self._status_words()
        banner = self.query_one("#status-banner", Static)
        if words is None:
            banner.remove_class("-shown")
            if self._status_timer is not None:
                self._status_timer.stop()
                self._status_timer = None
            return
        banner.update(literal_line(words))
        banner.add_class("-shown")
        if self._status_timer is None:
            self._status_timer = self.set_interval(1.0, self.refresh_status)

    def _status_words(self) -> str | None:
        parts: list[str] = []
        snapshot = self.client.get_metrics()
        if snapshot.circuit_state == "open":
            wait = math.ceil(snapshot.circuit_retry_in or 0)
            parts.append(f"The server keeps failing, so requests are paused (circuit open); "
                         f"next try in {wait} s. Actions fail at once until then and nothing "
                         "is lost.")
        if self.stale_reason is not None:
            parts.append(self.stale_reason)
            if self._retry_at is not None:
                wait = max(0, math.ceil(self._retry_at - time.monotonic()))
                parts.append(f"{self._retry_what} in {wait} s" if wait else
                             f"{self._retry_what}…")
            else:
                parts.append("ctrl+r tries again")
            parts.append("the list shows what was last known")
        return "  ·  ".join(parts) if parts else None
