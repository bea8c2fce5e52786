"""First-run setup (and "add an account"): address, server, security, login, then save and open.

The address pre-fills the server of well-known providers (``sage_tui.providers``), the login
name and the account's short name, until the user types into those fields. "Test connection"
runs ``sage-tui doctor``'s checks in a thread worker and lists each result in words; nothing is
saved by a test.
Save writes the account to ``config.toml`` (never the password) and the password to the system
keyring; where there is no keyring, or the config file has a mistake that the user must fix
first, the screen says so and the account still opens for this session.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static

from sage_tui.doctor.checks import run_doctor
from sage_tui.doctor.model import Status
from sage_tui.imap.config import ConnectionConfig
from sage_tui.logs import register_secret
from sage_tui.passwords import KeyringUnavailable, PasswordError, store_password
from sage_tui.providers import account_name_for, provider_for
from sage_tui.settings import DEFAULT_PORTS, AccountSettings, ConfigError, Startup, add_account
from sage_tui.text import literal, literal_line, one_line

TEST_TIMEOUT = 15.0
"""Seconds per step of "Test connection": a form should not wait the app's full 30 s."""
DETAIL_CHARS = 110
PLAIN_WARNING = ("⚠ Plain text: the password and every message cross the network unencrypted. "
                 "Choose it only for a server on this machine or a local bridge.")
TLS_BUTTONS = {"tls-implicit": "implicit", "tls-starttls": "starttls", "tls-none": "none"}


@dataclass(frozen=True)
class Check:
    """One result of "Test connection", in words: ``status`` is ok, failed or skipped."""

    status: str
    text: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class SetupResult:
    """What Save hands the app: the account to open, its password, and what to tell the user."""

    account: AccountSettings
    password: str = field(repr=False)
    notes: tuple[str, ...] = ()


def connection_checks(config: ConnectionConfig) -> list[Check]:
    """``sage-tui doctor``'s checks (DNS, TCP, TLS and certificate, greeting, login, folders,
    round trip), one line each; nothing is kept open and nothing is saved.

    A step skipped because an earlier one failed is left out (the failure says it all); a step
    that does not apply (TLS on a plain-text account) is shown, since it says why.
    """
    report = run_doctor(replace(config, timeout=min(config.timeout, TEST_TIMEOUT)))
    checks = []
    for check in report.checks:
        if check.status is Status.SKIPPED and check.detail.startswith("not checked:"):
            continue
        detail = one_line(check.detail)
        if len(detail) > DETAIL_CHARS and check.status is not Status.FAILED:
            detail = detail[: DETAIL_CHARS - 1] + "…"
        checks.append(Check(check.status.value, f"{check.title}: {detail}"))
    return checks


class SetupScreen(Screen[SetupResult | None]):
    """The account form. Dismisses with a ``SetupResult`` (saved) or None (cancelled)."""

    BINDINGS = [
        Binding("ctrl+t", "test", "Test connection", id="setup.test"),
        Binding("ctrl+s", "save", "Save and open", id="setup.save"),
        Binding("escape", "cancel", "Cancel", id="setup.cancel"),
    ]

    DEFAULT_CSS = """
    SetupScreen > VerticalScroll { padding: 0 2; }
    SetupScreen #setup-title { text-style: bold; color: $primary; padding: 1 0 0 0; }
    SetupScreen #setup-problem { color: $error; padding: 1 0 0 0; }
    SetupScreen .row { height: auto; margin: 1 0 0 0; }
    SetupScreen .row > Label { width: 16; padding: 0 1 0 0; text-align: right; }
    SetupScreen .row > Input { width: 1fr; max-width: 60; }
    SetupScreen RadioSet { width: 1fr; max-width: 60; }
    SetupScreen .note { color: $text-muted; padding: 0 0 0 16; height: auto; }
    SetupScreen #plain-warning { color: $error; text-style: bold; display: none; }
    SetupScreen #plain-warning.-shown { display: block; }
    SetupScreen #form-error { color: $error; padding: 0 0 0 16; height: auto; }
    SetupScreen #buttons { height: auto; padding: 0 0 0 16; margin: 1 0 0 0; }
    SetupScreen #buttons > Button { margin: 0 2 0 0; }
    SetupScreen #results { padding: 1 0 0 16; height: auto; }
    """

    class ChecksDone(Message):
        """The connection test finished (posted from its thread)."""

        def __init__(self, checks: list[Check]) -> None:
            super().__init__()
            self.checks = checks

    class Saved(Message):
        """Saving finished (file and keyring written from a thread)."""

        def __init__(self, result: SetupResult | None, problem: str = "") -> None:
            super().__init__()
            self.result = result
            self.problem = problem

    def __init__(self, startup: Startup, *, first_run: bool = True,
                 taken_names: Collection[str] = ()) -> None:
        super().__init__()
        self.startup = startup
        self.first_run = first_run
        self.taken_names = frozenset(taken_names)
        self._auto: dict[str, str] = {}
        """The value each pre-filled field was last given; a different value is the user's."""
        self._tls = "implicit"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Set up your mail account" if self.first_run else "Add an account",
                         id="setup-title")
            if self.startup.problem:
                yield Static(literal(f"{self.startup.problem}\nThe file is left as it is: "
                                     f"fix it ({self.startup.path}) and start again, or set "
                                     "up an account here for this session."),
                             id="setup-problem")
            yield from self._row("Address", Input(placeholder="you@example.com", id="address"))
            yield Static(id="provider-note", classes="note")
            yield from self._row("Server", Input(placeholder="imap.example.com", id="host"))
            yield from self._row("Port", Input("993", type="integer", id="port"))
            with Horizontal(classes="row"):
                yield Label("Security")
                with RadioSet(id="tls", compact=True):
                    yield RadioButton("Implicit TLS (usually port 993)", True, id="tls-implicit")
                    yield RadioButton("STARTTLS (usually port 143)", id="tls-starttls")
                    yield RadioButton("Plain text: NOT encrypted", id="tls-none")
            yield Static(PLAIN_WARNING, id="plain-warning", classes="note")
            yield from self._row("Username", Input(id="username"))
            yield from self._row("Password", Input(password=True, id="password"))
            yield from self._row("Account name", Input(placeholder="work", id="name"))
            yield Static(id="form-error")
            with Horizontal(id="buttons"):
                yield Button("Test connection", id="test", compact=True)
                yield Button("Save and open", variant="primary", id="save", compact=True)
                yield Button("Quit" if self.first_run else "Cancel", id="cancel", compact=True)
            yield Static(id="results")
        yield Footer()

    def _row(self, label: str, widget: Input) -> ComposeResult:
        widget.cursor_blink = False
        widget.compact = True
        with Horizontal(classes="row"):
            yield Label(label)
            yield widget

    def on_mount(self) -> None:
        self.query_one("#provider-note").display = False
        self.query_one("#address", Input).focus()

    def input_named(self, name: str) -> Input:
        return self.query_one(f"#{name}", Input)

    # -- pre-filling ----------------------------------------------------------------------------

    def _prefill(self, name: str, value: str) -> None:
        """Set ``name`` unless the user has typed their own value into it."""
        widget = self.input_named(name)
        if widget.value and widget.value != self._auto.get(name, ""):
            return
        self._auto[name] = value
        widget.value = value

    @on(Input.Changed, "#address")
    def _address_changed(self, event: Input.Changed) -> None:
        address = event.value.strip()
        provider = provider_for(address)
        note = self.query_one("#provider-note", Static)
        if provider is not None:
            self._prefill("host", provider.host)
            self._select_tls(provider.tls)
            self._prefill("port", str(provider.port))
            note.update(literal_line(f"{provider.name}: {provider.host}, port {provider.port}"
                                     + (f". {provider.note}" if provider.note else "")))
        else:
            self._prefill("host", "")
            note.update("")
        note.display = provider is not None
        self._prefill("username", address)
        self._prefill("name", self._free_name(account_name_for(address)) if address else "")

    def _free_name(self, name: str) -> str:
        candidate, number = name, 2
        while candidate in self.taken_names:
            candidate, number = f"{name}{number}", number + 1
        return candidate

    def _select_tls(self, mode: str) -> None:
        button = self.query_one(f"#tls-{mode}", RadioButton)
        if not button.value:
            button.value = True  # RadioSet.Changed follows and updates the port
        self._set_tls(mode)

    @on(RadioSet.Changed, "#tls")
    def _tls_changed(self, event: RadioSet.Changed) -> None:
        self._set_tls(TLS_BUTTONS.get(event.pressed.id or "", "implicit"))

    def _set_tls(self, mode: str) -> None:
        previous, self._tls = self._tls, mode
        port = self.input_named("port")
        if port.value in ("", str(DEFAULT_PORTS[previous])):
            self._auto["port"] = str(DEFAULT_PORTS[mode])
            port.value = str(DEFAULT_PORTS[mode])
        self.query_one("#plain-warning").set_class(mode == "none", "-shown")

    # -- reading the form -----------------------------------------------------------------------

    def collect(self) -> tuple[AccountSettings, str] | str:
        """The account and password from the form, or a sentence saying what to fix."""
        address = self.input_named("address").value.strip()
        host = self.input_named("host").value.strip()
        username = self.input_named("username").value.strip()
        password = self.input_named("password").value
        name = self.input_named("name").value.strip()
        port_text = self.input_named("port").value.strip()
        if not host:
            return "Enter the server's name (for example imap.example.com)."
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            return "The port must be a number from 1 to 65535."
        if not username:
            return "Enter the login name (often the whole address)."
        if not password:
            return "Enter the password (it goes to the system keyring, not to a file)."
        if not name or any(not c.isprintable() for c in name):
            return "Give the account a short name (it is how you switch to it)."
        if name in self.taken_names:
            return f"There is already an account named {name!r}: choose another name."
        try:
            connection = ConnectionConfig(host=host, username=username, port=int(port_text),
                                          use_ssl=self._tls == "implicit",
                                          starttls=self._tls == "starttls")
        except ValueError as error:
            return str(error).removeprefix("ConnectionConfig.")
        register_secret(password)  # before a test or save could log anything about it
        return AccountSettings(name, connection, address=address), password

    def _show_error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(literal(text))

    # -- actions --------------------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        collected = self.collect()
        if isinstance(collected, str):
            self._show_error(collected)
            return
        self._show_error("")
        account, password = collected
        self.query_one("#results", Static).update(
            literal(f"Testing {account.connection.host}:{account.connection.port}…"))
        self._run_checks(account.account(password).config)

    @work(thread=True, exclusive=True, group="setup-test", exit_on_error=False)
    def _run_checks(self, config: ConnectionConfig) -> None:
        try:
            checks = connection_checks(config)
        except Exception as error:  # a bug must still end in words, not a spinner forever
            checks = [Check("failed", f"The test could not run ({type(error).__name__}).")]
        self.post_message(self.ChecksDone(checks))

    def on_setup_screen_checks_done(self, message: SetupScreen.ChecksDone) -> None:
        lines = Text()
        marks = {"ok": ("✓ ", "bold green"), "failed": ("✗ ", "bold red"), "skipped": ("– ", "")}
        for check in message.checks:
            lines.append(*marks.get(check.status, marks["failed"]))
            lines.append_text(literal(check.text))
            lines.append("\n")
        if message.checks and all(check.ok for check in message.checks):
            lines.append("The connection works: Save to keep it.", style="bold")
        results = self.query_one("#results", Static)
        results.update(lines)
        self.call_after_refresh(results.scroll_visible)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        collected = self.collect()
        if isinstance(collected, str):
            self._show_error(collected)
            return
        self._show_error("")
        self._save(*collected)

    @work(thread=True, exclusive=True, group="setup-save", exit_on_error=False)
    def _save(self, account: AccountSettings, password: str) -> None:
        """Write the config and the keyring entry (both may block: a keyring can prompt)."""
        notes: list[str] = []
        if not self.startup.writable:
            notes.append(f"{self.startup.path.name} has a mistake, so the account was not "
                         "saved to it; it is open for this session only.")
        else:
            try:
                add_account(self.startup.path, account,
                            make_default=self.startup.settings is None
                            or not self.startup.settings.accounts)
            except ConfigError as error:
                self.post_message(self.Saved(None, str(error)))
                return
            except OSError as error:
                self.post_message(self.Saved(None, f"{self.startup.path} could not be written "
                                                   f"({error.strerror or error})."))
                return
        try:
            store_password(account.name, password)
        except KeyringUnavailable as error:
            notes.append(f"The password was not stored. {error}")
        except PasswordError as error:
            notes.append(str(error))
        self.post_message(self.Saved(SetupResult(account, password, tuple(notes))))

    def on_setup_screen_saved(self, message: SetupScreen.Saved) -> None:
        if message.result is None:
            self._show_error(message.problem)
            return
        self.dismiss(message.result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.first_run:
            self.app.exit()
        else:
            self.dismiss(None)

