"""The "Connection health" screen (``H``, or "view: Connection health" in the palette).

The docked panel's facts with room to breathe (a taller sparkline, errors wrapped instead of
cut) and the event log filling the rest of the terminal, scrollable. Like the panel it shows
only what the app's ``HealthFeed`` already holds: opening it asks the server nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from sage_tui.health_feed import HealthFeed
from sage_tui.text import one_line
from sage_tui.widgets.health_panel import HealthPanel


class HealthScreen(Screen[None]):
    """Full-screen connection health of one account; escape (or ``H`` again) closes it."""

    BINDING_GROUP_TITLE = "Connection health"
    BINDINGS = [
        Binding("escape,H", "close", "Close", id="health.close"),
    ]

    DEFAULT_CSS = """
    HealthScreen #health-title { height: 1; background: $primary 30%; padding: 0 1; }
    """

    def __init__(self, feed: HealthFeed, account_label: str) -> None:
        super().__init__()
        self.feed = feed
        self.account_label = account_label

    def compose(self) -> ComposeResult:
        title = Text("Connection health", style="bold")
        title.append("  ·  " + one_line(self.account_label))
        title.append("  ·  updated as the engine reports; nothing here asks the server",
                     style="dim")
        yield Static(title, id="health-title")
        yield HealthPanel(self.feed, full=True, id="health-full")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(HealthPanel).log_view.focus()  # arrows and page keys scroll the log

    def action_close(self) -> None:
        self.dismiss()
