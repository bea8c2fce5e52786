"""``sage-tui doctor`` from inside the app ("doctor: Check the connection" in the palette).

The same checks as the command (DNS, TCP, TLS and the certificate, greeting, capabilities, login,
folders, latency) run on a connection of their own in a thread worker, so the pool the screens
use is not disturbed; the report is the command's text, shown literally (it quotes the server).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from sage_tui.doctor.checks import run_doctor
from sage_tui.doctor.render import render_text
from sage_tui.imap.config import ConnectionConfig
from sage_tui.text import literal


class DoctorScreen(Screen[None]):
    """The doctor's report for the open account; ``r`` runs it again, escape closes."""

    BINDING_GROUP_TITLE = "Doctor"
    BINDINGS = [
        Binding("escape", "close", "Close", id="doctor.close"),
        Binding("r", "run", "Run again", id="doctor.run"),
    ]

    DEFAULT_CSS = """
    DoctorScreen #doctor-title { height: 1; background: $primary 30%; padding: 0 1; }
    DoctorScreen #doctor-report { padding: 1 2; }
    """

    class Reported(Message):
        """The checks finished; ``text`` is the command's report."""

        def __init__(self, text: str, healthy: bool) -> None:
            super().__init__()
            self.text = text
            self.healthy = healthy

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__()
        self.config = config
        self.healthy: bool | None = None

    def compose(self) -> ComposeResult:
        yield Static("Connection check (sage-tui doctor)", id="doctor-title")
        with VerticalScroll():
            yield Static("Checking…", id="doctor-report")
        yield Footer()

    def on_mount(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        self.healthy = None
        self.query_one("#doctor-report", Static).update("Checking…")
        self._check()

    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def _check(self) -> None:
        try:
            report = run_doctor(self.config)
        except Exception as error:  # the report is the product: never a traceback instead
            self.post_message(self.Reported(
                f"The check could not run: {type(error).__name__}.", False))
            return
        self.post_message(self.Reported(render_text(report), report.healthy))

    def on_doctor_screen_reported(self, event: DoctorScreen.Reported) -> None:
        self.healthy = event.healthy
        self.query_one("#doctor-report", Static).update(literal(event.text))

    def action_close(self) -> None:
        self.dismiss()
