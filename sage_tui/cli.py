"""The ``sage-tui`` command line: an account from ``config.toml``, the demo, or one by flags.

Without flags the config file's default account opens (``--account NAME`` picks another,
``--config PATH`` reads another file); with no config file at all, the first-run setup screen.
A config file with a mistake still starts the app, into setup, with the line and the mistake
shown, and the file is not touched.

Nothing here prints a traceback: bad flags, a missing password or a failed demo start end with a
sentence and a non-zero exit code. The password never comes from a flag (it would sit in the
shell history and in ``ps``): the keyring, ``password_command``, ``SAGE_TUI_PASSWORD`` or a
prompt.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, overload

from . import __version__

if TYPE_CHECKING:
    from .account import Account
    from .imap.config import ConnectionConfig
    from .settings import AccountSettings, Startup

PASSWORD_VARIABLE = "SAGE_TUI_PASSWORD"
DEFAULT_PORTS = {"implicit": 993, "starttls": 143, "none": 143}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sage-tui",
        description="Terminal mail triage on a resilient IMAP engine.",
        epilog=f"The password comes from ${PASSWORD_VARIABLE} or a prompt, never from a flag. "
               "Check a connection step by step: sage-tui doctor --help.",
    )
    parser.add_argument("--version", action="version", version=f"sage-tui {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="run against a built-in demo mailbox (no account needed)")
    add_connection_arguments(parser)
    parser.add_argument("--folder", help="folder to open first (default INBOX)")
    parser.add_argument("--config", metavar="PATH",
                        help="config file to use (default: config.toml in the user config "
                             "directory, e.g. ~/.config/sage-tui/)")
    parser.add_argument("--account", metavar="NAME",
                        help="account of the config file to open (default: default_account, "
                             "else the first)")
    parser.add_argument("--no-cache", action="store_true",
                        help="list folders from the server without the header cache (the "
                             "cache file is left as it is)")
    return parser


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that describe one account, shared by ``sage-tui`` and ``sage-tui doctor``."""
    parser.add_argument("--host", help="IMAP server name")
    parser.add_argument("--port", type=int, help="port (default 993 for implicit TLS, else 143)")
    parser.add_argument("--user", help="login name")
    parser.add_argument("--tls", choices=("implicit", "starttls", "none"), default="implicit",
                        help="implicit TLS (default), STARTTLS, or none: plain text, explicit")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the server's certificate (shown as a warning)")


class CommandError(Exception):
    """Ends a command with a sentence on stderr and an exit code, never a traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def report(self) -> int:
        print(f"sage-tui: {self.message}" if self.message else "", file=sys.stderr)
        return self.code


def read_password(user: str, host: str) -> str:
    """``$SAGE_TUI_PASSWORD``, else a prompt on a terminal; ``CommandError`` otherwise."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise CommandError(f"no password: set {PASSWORD_VARIABLE} or run in a terminal")
    try:
        return getpass.getpass(f"Password for {user}@{host}: ")
    except (EOFError, KeyboardInterrupt):
        raise CommandError("", 130) from None


def config_from_args(args: argparse.Namespace, **fields: object) -> ConnectionConfig:
    """The account the connection flags describe, with its password (read here).

    ``fields`` are further ``ConnectionConfig`` settings (the doctor's timeout). The password
    is registered with the log redaction before anything can log it.
    """
    from .imap.config import ConnectionConfig
    from .logs import register_secret

    password = read_password(args.user, args.host)
    register_secret(password)
    try:
        return ConnectionConfig(
            host=args.host,
            port=args.port if args.port is not None else DEFAULT_PORTS[args.tls],
            username=args.user,
            password=password,
            use_ssl=args.tls == "implicit",
            starttls=args.tls == "starttls",
            ssl_verify=not args.insecure,
            **fields,  # type: ignore[arg-type]
        )
    except ValueError as error:
        raise CommandError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["doctor"]:
        from .doctor.command import main as doctor_main

        return doctor_main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.account and (args.demo or args.host or args.user):
        parser.error("--account picks an account of the config file; it does not go with "
                     "--demo, --host or --user")
    from .startup import load_startup

    # Read, not yet checked against the app: that imports Textual, and run_app does it once
    # the first page is on its way.
    startup = load_startup(config_path(args.config))
    if args.demo:
        return run_demo(args.folder or "INBOX", startup)
    if not args.host and not args.user:
        return run_configured(startup, args.account, args.folder, cache=not args.no_cache)
    if not args.host or not args.user:
        parser.error("--host and --user go together (or use --demo)")
    try:
        config = config_from_args(args)
    except CommandError as error:
        return error.report()
    from .account import Account

    account = Account(config, f"{args.user}@{args.host}", default_folder=args.folder or "INBOX")
    return run_app(account, startup=startup, cache=not args.no_cache)


def config_path(option: str | None) -> Path:
    from .settings import default_config_path

    return Path(option).expanduser() if option else default_config_path()


def run_configured(startup: Startup, name: str | None, folder: str | None, *,
                   cache: bool = True) -> int:
    """Open an account of the config file, or the setup screen when there is none to open."""
    from .settings import ConfigError

    settings = startup.settings
    if settings is None or not settings.accounts:
        if name and not startup.problem:
            print(f"sage-tui: {startup.path} has no account {name!r} (no accounts yet): run "
                  "sage-tui without --account to set one up", file=sys.stderr)
            return 2
        return run_app(None, startup=startup, cache=cache)
    try:
        chosen = settings.account(name)
    except ConfigError as error:
        print(f"sage-tui: {error}", file=sys.stderr)
        return 2
    try:
        password = account_password(chosen, prompt=False)
        if password is None:
            # Asked for on the terminal: the file is checked first, so that a mistake in it
            # is shown before anyone types a password that would not be used.
            from .startup import check_startup

            startup = check_startup(startup)
            if startup.problem:
                return run_app(None, startup=startup, cache=cache)
            password = account_password(chosen)
    except CommandError as error:
        return error.report()
    account = chosen.account(password)
    if folder:
        account = replace(account, default_folder=folder)
    return run_app(account, startup=replace(startup, account_name=chosen.name), cache=cache)


@overload
def account_password(account: AccountSettings) -> str: ...
@overload
def account_password(account: AccountSettings, *, prompt: bool) -> str | None: ...
def account_password(account: AccountSettings, *, prompt: bool = True) -> str | None:
    """The password of a config file's account: ``password_command``, the keyring or
    ``SAGE_TUI_PASSWORD``, else a prompt on a terminal; ``CommandError`` otherwise.
    ``prompt=False``: None instead of the prompt."""
    from .logs import register_secret
    from .passwords import PasswordError, resolve_password

    try:
        password = resolve_password(account).value
    except PasswordError as error:
        if not sys.stdin.isatty():
            raise CommandError(str(error)) from None
        if not prompt:
            return None
        print(f"sage-tui: {error}", file=sys.stderr)
        try:
            password = getpass.getpass(f"Password for {account.name} ({account.label}): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("", 130) from None
    register_secret(password)
    return password


@contextmanager
def collector_paused_while_starting() -> Iterator[None]:
    """No garbage collection while the app is imported and built; afterwards, what was built
    is frozen (``gc.freeze``) and collection is on again.

    Start-up makes a few hundred thousand objects that live as long as the process (modules,
    classes, the stylesheet) and almost no garbage. Collecting while they are made finds
    nothing, and once they exist a full collection walks them all: about 50 ms, measured just
    before the first frame. Frozen, they are never walked again.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def run_app(account: Account | None, *, startup: Startup | None = None,
            **options: object) -> int:
    """Run the app on ``account`` (None: setup first). ``startup``: the config file as
    ``load_startup`` read it; it is checked here, after the first page's thread started.

    An account of the config file (``startup.account_name``) is not opened when the check
    finds a mistake: setup opens with it, as for a file that does not load at all.
    """
    from .logs import register_secret, setup_logging
    from .startup import check_startup

    with collector_paused_while_starting():
        setup_logging()
        first_page = None
        if account is not None:
            register_secret(account.config.password)
            from .first_page import FirstPage

            # The server opens the folder while Python imports the interface (first_page.py).
            first_page = FirstPage.start(account.config, account.default_folder)
        if startup is not None:
            from_file = startup.account_name is not None
            startup = check_startup(startup)
            if startup.problem and from_file and first_page is not None:
                first_page.client.close(0, abort_busy=True)
                account = first_page = None
        from .app import SageApp

        app = SageApp(account, startup=startup, first_page=first_page,
                      **options)  # type: ignore[arg-type]
    app.run()
    return app.return_code or 0


def run_demo(folder: str, startup: Startup | None = None) -> int:
    """Start the embedded demo server, run the app on it, and stop the server on the way out."""
    from .account import Account
    from .demo.process import DemoProcess
    from .imap.config import ConnectionConfig

    try:
        server = DemoProcess().start()
    except (OSError, RuntimeError) as error:
        print(f"sage-tui: the demo server could not start: {error}", file=sys.stderr)
        return 1
    try:
        config = ConnectionConfig(host=server.host, port=server.port, username=server.username,
                                  password=server.password, use_ssl=False, starttls=False,
                                  max_retries=1, retry_delay=0.2)
        # No header cache: the demo mailbox is made afresh (same UIDs, new mail) on every run.
        return run_app(Account(config, "demo mailbox", default_folder=folder), startup=startup,
                       cache=False)
    finally:
        server.stop()
