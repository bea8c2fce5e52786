"""The Textual application: one account, one shared engine client, the triage screen.

The app owns the engine client (so the pool outlives screens) and shuts everything down on the
way out: the folder watcher stops, and every pooled connection is logged out. Screens other than
the main one are imported when first opened, so that the first page shows sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

from sage_tui.account import Account
from sage_tui.commands import MailCommands
from sage_tui.first_page import FirstPage
from sage_tui.folder_loading import CacheOwner
from sage_tui.health_feed import HealthFeed
from sage_tui.imap.client import IMAPClient
from sage_tui.imap.metrics import EngineEvent, EventKind, MetricsSnapshot
from sage_tui.messages import ConnectionStateChanged, EngineReported
from sage_tui.screens.main import MainScreen
from sage_tui.settings import AccountSettings, ConfigError, Startup, load_settings, save_theme
from sage_tui.themes import THEMES, THEMES_DIR

if TYPE_CHECKING:
    from sage_tui.screens.setup import SetupResult, SetupScreen

SHUTDOWN_SECONDS = 0.6
"""How long quitting waits for the server to answer LOGOUT (the brief allows 2 s in all)."""


class SageApp(CacheOwner, App[None]):
    """sage-tui: triage one IMAP account from the keyboard."""

    TITLE = "sage-tui"
    CSS_PATH = [Path(THEMES_DIR) / "sage.tcss"]
    BINDING_GROUP_TITLE = "App"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]
    COMMANDS = App.COMMANDS | {MailCommands}

    def __init__(self, account: Account | None, *, watch: bool = True,
                 poll_interval: float = 30.0, startup: Startup | None = None,
                 cache: bool = True, first_page: FirstPage | None = None) -> None:
        """``account`` None opens the setup screen first; ``startup`` (the config file's
        settings) brings the theme, key overrides and accounts, and lets the app remember the
        theme; without it nothing is written. ``cache=False`` (``--no-cache``) lists every
        folder from the server without the header cache. ``first_page``: the account's first
        folder page, fetched while the app was loading (``sage_tui.first_page``)."""
        super().__init__()
        self._first_page = first_page
        self.startup = startup if startup is not None or account is not None else Startup()
        self.account: Account | None = None
        self.client: IMAPClient | None = None
        self.watch_folders = watch
        self.poll_interval = poll_interval
        self.open_header_cache(cache)
        for theme in THEMES:
            self.register_theme(theme)
        settings = self.startup.settings if self.startup is not None else None
        # Pinned, not read from TEXTUAL_THEME: screenshots and snapshots must not depend on it.
        self.theme = settings.theme if settings is not None and settings.theme else "textual-dark"
        self._saved_theme = self.theme
        if self.startup is not None and self.startup.keymap:
            self.set_keymap(dict(self.startup.keymap))
        self._unsubscribe: Callable[[], None] = lambda: None
        self._engine_closed = True  # until an account is attached
        self.main_screen: MainScreen | None = None
        self.health_feed = HealthFeed(self, self._read_metrics)
        """Recent engine events and metrics for the health panel and screen."""
        if account is not None:
            self._attach(account)

    def _attach(self, account: Account) -> None:
        """Make ``account`` the app's: a client on its pool, its events, a fresh health feed."""
        self.account = account
        first = self._first_page
        if first is not None and first.config == account.config:
            # Its client becomes the app's, and its buffer the account's subscription: it
            # replays what the early thread saw (the first connect) once the app runs.
            self.client = first.client
            self._unsubscribe = first.unsubscribe
        else:
            self._first_page = None
            self.client = IMAPClient(account.config)
            self._unsubscribe = self.client.subscribe(self._engine_event)
        self._engine_closed = False
        self.health_feed.stop()  # the previous account's timers
        self.health_feed = HealthFeed(self, self._read_metrics)

    def on_mount(self) -> None:
        if not self.is_headless:
            self._handle_signals()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self._first_page is not None:
            self._first_page.events.deliver_to(self._engine_event)
        if self.startup is not None and self.startup.problem and self.account is not None:
            self.notify(f"{self.startup.problem} (the file's settings are not used)",
                        title="Config file", severity="warning", timeout=20, markup=False)
        if self.account is None:
            self.push_screen(self._setup_screen(first_run=True), self._setup_done)
            return
        # Pushed once the app has started: Textual draws nothing until its start-up is over,
        # and a screen pushed here would be laid out and rendered once for nothing (about a
        # sixth of the time to the first page) before the frame that is shown.
        self.call_later(self._show_main)

    def _show_main(self) -> None:
        self.push_screen(self._install_main())

    def _install_main(self) -> MainScreen:
        assert self.account is not None and self.client is not None
        screen = MainScreen(self.account, self.client, watch=self.watch_folders,
                            poll_interval=self.poll_interval, health_feed=self.health_feed,
                            first_page=self._first_page)
        self._first_page = None  # the next account's screens start without it
        self.main_screen = screen
        self.install_screen(screen, "main")
        return screen

    def action_help(self) -> None:
        from sage_tui.keymap import effective
        from sage_tui.screens.help import HelpScreen
        from sage_tui.widgets.folder_tree import FolderTree
        from sage_tui.widgets.message_list import MessageList
        from sage_tui.widgets.reader import Reader

        if isinstance(self.screen, HelpScreen):
            return
        keymap = self.startup.keymap if self.startup is not None else {}
        self.push_screen(HelpScreen([(title, effective(bindings, keymap)) for title, bindings in [
            ("Triage", list(MainScreen.BINDINGS)),
            ("Message list", list(MessageList.BINDINGS)),
            ("Folders", [*FolderTree.BINDINGS, Binding("enter", "", "Open folder")]),
            ("Reader", list(Reader.BINDINGS)),
            ("App", [*self.BINDINGS, Binding("ctrl+p", "", "Command palette")]),
        ]]))

    # -- accounts, setup, theme ---------------------------------------------------------------

    async def open_account(self, account: Account, name: str | None = None) -> None:
        """Show ``account`` on a new main screen; the account open before is shut down first
        (its watcher stopped, its connections logged out), so two never run side by side."""
        old = self.main_screen
        self.shutdown_engine()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        if old is not None:
            self.uninstall_screen(old)
            await old.remove()
            self.main_screen = None
        if self.startup is not None:
            self.startup = replace(self.startup, account_name=name)
        self._attach(account)
        await self.push_screen(self._install_main())

    def switch_account(self, name: str) -> None:
        """Open the config file's account ``name`` (the palette's "account: Open ...")."""
        settings = self.startup.settings if self.startup is not None else None
        if settings is None or name not in settings.account_names:
            return
        self._open_configured(settings.account(name))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def _open_configured(self, settings: AccountSettings) -> None:
        """Find the password off the UI thread (a password_command may take a while)."""
        from sage_tui.passwords import PasswordError, resolve_password

        try:
            password = resolve_password(settings)
        except PasswordError as error:
            self.call_from_thread(self.notify, str(error), title="Cannot open the account",
                                  severity="error", timeout=20, markup=False)
            return
        self.call_from_thread(self.open_account, settings.account(password.value), settings.name)

    def action_add_account(self) -> None:
        """The setup form over the running app; Save opens the new account."""
        from sage_tui.screens.setup import SetupScreen

        if not isinstance(self.screen, SetupScreen):
            self.push_screen(self._setup_screen(first_run=False), self._setup_done)

    def _setup_screen(self, *, first_run: bool) -> SetupScreen:
        from sage_tui.screens.setup import SetupScreen

        startup = self.startup or Startup()
        names = startup.settings.account_names if startup.settings is not None else ()
        return SetupScreen(startup, first_run=first_run, taken_names=names)

    def _setup_done(self, result: SetupResult | None) -> None:
        if result is None:
            return
        if self.startup is not None and self.startup.writable:
            # On failure the switcher keeps the accounts it knew; the new one opens anyway.
            with contextlib.suppress(ConfigError, OSError):
                self.startup = replace(self.startup, settings=load_settings(self.startup.path))
        for note in result.notes:
            self.notify(note, title="Note", severity="warning", timeout=20, markup=False)
        self.call_later(self.open_account, result.account.account(result.password),
                        result.account.name)

    def _remember_theme(self, theme: Theme) -> None:
        """Keep the theme chosen in the palette in config.toml for the next start."""
        startup = self.startup
        if startup is None or not startup.writable or theme.name == self._saved_theme:
            return
        try:
            save_theme(startup.path, theme.name)
        except (ConfigError, OSError) as error:
            self.notify(f"The theme could not be remembered: {error}", severity="warning",
                        markup=False)
            return
        self._saved_theme = theme.name

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
            self.main_screen.show_link_state(event.state, event.detail)

    def on_engine_reported(self, message: EngineReported) -> None:
        self.health_feed.add(message.event)  # kept, and shown with the next throttled update

    def _read_metrics(self) -> MetricsSnapshot | None:
        """The pool's local snapshot (no server traffic); None once the engine is shut."""
        if self._engine_closed or self.client is None:
            return None
        return self.client.get_metrics()

    def action_doctor(self) -> None:
        """``sage-tui doctor``'s checks for the open account, on a screen of their own."""
        from sage_tui.screens.doctor import DoctorScreen

        if self.account is not None and not isinstance(self.screen, DoctorScreen):
            self.push_screen(DoctorScreen(self.account.config))

    def action_connection_health(self) -> None:
        """The full "Connection health" screen."""
        from sage_tui.screens.health import HealthScreen

        if self.account is not None and not isinstance(self.screen, HealthScreen):
            self.push_screen(HealthScreen(self.health_feed, self.account.label))

    async def action_quit(self) -> None:
        self.shutdown_engine()
        self.exit()

    def _handle_signals(self) -> None:
        """SIGTERM, SIGHUP and SIGINT quit like ``q`` does: the terminal is restored and every
        connection logged out, instead of the process dying mid-frame."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, self._signalled)

    def _signalled(self) -> None:
        self.call_later(self.action_quit)

    def shutdown_engine(self) -> None:
        """Stop the watcher and log out every pooled connection (idempotent).

        Bounded: the LOGOUTs run side by side for at most ``SHUTDOWN_SECONDS``, so a dead or
        stalled server cannot keep the app from exiting. Operations still running in worker
        threads get the same time to finish, then their sockets are shut (the threads would
        otherwise hold up the exit): every server command is atomic, so each message is left in
        exactly one place.
        """
        if self._engine_closed:
            return
        self._engine_closed = True
        self.health_feed.stop()
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        if self.main_screen is not None:
            self.main_screen.stop_background()
        self._unsubscribe()
        # LOGOUT every pooled connection of the account; stop what is still running (and what
        # is still connecting); later operations of this client fail at once.
        self.client.close(timeout=SHUTDOWN_SECONDS, abort_busy=True)
        if self.main_screen is not None:
            self.main_screen.interrupt_background(deadline)

    def on_unmount(self) -> None:
        self.shutdown_engine()
