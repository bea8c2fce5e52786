"""The Textual application: one account, one shared engine client, the triage screen.

The app owns the engine client (so the pool outlives screens) and shuts everything down on the
way out: the folder watcher stops, and every pooled connection is logged out.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from sage_tui.account import Account
from sage_tui.commands import MailCommands
from sage_tui.health_feed import HealthFeed
from sage_tui.imap.client import IMAPClient
from sage_tui.imap.metrics import EngineEvent, EventKind, MetricsSnapshot
from sage_tui.messages import ConnectionStateChanged, EngineReported
from sage_tui.screens.health import HealthScreen
from sage_tui.screens.help import HelpScreen
from sage_tui.screens.main import MainScreen
from sage_tui.themes import THEMES_DIR
from sage_tui.widgets.account_bar import AccountBar
from sage_tui.widgets.folder_tree import FolderTree
from sage_tui.widgets.message_list import MessageList
from sage_tui.widgets.reader import Reader


class SageApp(App[None]):
    """sage-tui: triage one IMAP account from the keyboard."""

    TITLE = "sage-tui"
    CSS_PATH = [Path(THEMES_DIR) / "sage.tcss"]
    BINDING_GROUP_TITLE = "App"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]
    COMMANDS = App.COMMANDS | {MailCommands}

    def __init__(self, account: Account, *, watch: bool = True, poll_interval: float = 30.0
                 ) -> None:
        super().__init__()
        self.account = account
        self.client = IMAPClient(account.config)
        self.watch_folders = watch
        self.poll_interval = poll_interval
        # Pinned, not read from TEXTUAL_THEME: screenshots and snapshots must not depend on it.
        self.theme = "textual-dark"
        self._unsubscribe = self.client.subscribe(self._engine_event)
        self._engine_closed = False
        self.main_screen: MainScreen | None = None
        self.health_feed = HealthFeed(self, self._read_metrics)
        """Recent engine events and metrics for the health panel and screen."""

    def on_mount(self) -> None:
        screen = MainScreen(self.account, self.client, watch=self.watch_folders,
                            poll_interval=self.poll_interval, health_feed=self.health_feed)
        self.main_screen = screen
        self.install_screen(screen, "main")
        self.push_screen("main")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen([
            ("Triage", list(MainScreen.BINDINGS)),
            ("Message list", list(MessageList.BINDINGS)),
            ("Folders", [*FolderTree.BINDINGS, Binding("enter", "", "Open folder")]),
            ("Reader", list(Reader.BINDINGS)),
            ("App", [*self.BINDINGS, Binding("ctrl+p", "", "Command palette")]),
        ]))

    # -- engine events (called on worker threads: only post_message here) -------------------

    def _engine_event(self, event: EngineEvent) -> None:
        self.post_message(EngineReported(event))
        state = {
            EventKind.CONNECT: "connected",
            EventKind.CONNECT_FAILED: "offline",
            EventKind.RETRY: "retrying",
            EventKind.FAILURE: None,
            EventKind.DISCARDED: None,
        }.get(event.kind)
        if event.kind == EventKind.STATE_CHANGE:
            new = str(event.data.get("new", ""))
            state = "circuit open" if new == "open" else "connected" if new == "closed" else None
        if state is not None:
            self.post_message(ConnectionStateChanged(state, event.message if state != "connected"
                                                     else ""))

    def on_connection_state_changed(self, event: ConnectionStateChanged) -> None:
        if self.main_screen is not None:
            bar = self.main_screen.query_one(AccountBar)
            bar.state, bar.detail = event.state, event.detail

    def on_engine_reported(self, message: EngineReported) -> None:
        self.health_feed.add(message.event)  # kept, and shown with the next throttled update

    def _read_metrics(self) -> MetricsSnapshot | None:
        """The pool's local snapshot (no server traffic); None once the engine is shut."""
        if self._engine_closed or self.client is None:
            return None
        return self.client.get_metrics()

    def action_connection_health(self) -> None:
        """The full "Connection health" screen."""
        if self.account is not None and not isinstance(self.screen, HealthScreen):
            self.push_screen(HealthScreen(self.health_feed, self.account.label))

    async def action_quit(self) -> None:
        self.shutdown_engine()
        self.exit()

    def shutdown_engine(self) -> None:
        """Stop the watcher and log out every pooled connection (idempotent)."""
        if self._engine_closed:
            return
        self._engine_closed = True
        self.health_feed.stop()
        if self.main_screen is not None:
            self.main_screen.stop_background()
        self._unsubscribe()
        pool = self.client.pool
        self.client.disconnect()
        pool.close()  # LOGOUT every pooled connection of the account

    def on_unmount(self) -> None:
        self.shutdown_engine()
