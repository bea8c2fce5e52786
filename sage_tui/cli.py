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
import getpass
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .settings import Startup

PASSWORD_VARIABLE = "SAGE_TUI_PASSWORD"
DEFAULT_PORTS = {"implicit": 993, "starttls": 143, "none": 143}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sage-tui",
        description="Terminal mail triage on a resilient IMAP engine.",
        epilog=f"The password comes from ${PASSWORD_VARIABLE} or a prompt, never from a flag.",
    )
    parser.add_argument("--version", action="version", version=f"sage-tui {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="run against a built-in demo mailbox (no account needed)")
    parser.add_argument("--host", help="IMAP server name")
    parser.add_argument("--port", type=int, help="port (default 993 for implicit TLS, else 143)")
    parser.add_argument("--user", help="login name")
    parser.add_argument("--tls", choices=("implicit", "starttls", "none"), default="implicit",
                        help="implicit TLS (default), STARTTLS, or none: plain text, explicit")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the server's certificate (shown as a warning)")
    parser.add_argument("--folder", help="folder to open first (default INBOX)")
    parser.add_argument("--config", metavar="PATH",
                        help="config file to use (default: config.toml in the user config "
                             "directory, e.g. ~/.config/sage-tui/)")
    parser.add_argument("--account", metavar="NAME",
                        help="account of the config file to open (default: default_account, "
                             "else the first)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.account and (args.demo or args.host or args.user):
        parser.error("--account picks an account of the config file; it does not go with "
                     "--demo, --host or --user")
    from .startup import read_startup

    startup = read_startup(config_path(args.config))
    if args.demo:
        return run_demo(args.folder or "INBOX", startup)
    if not args.host and not args.user:
        return run_configured(startup, args.account, args.folder)
    if not args.host or not args.user:
        parser.error("--host and --user go together (or use --demo)")
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        if not sys.stdin.isatty():
            print(f"sage-tui: no password: set {PASSWORD_VARIABLE} or run in a terminal",
                  file=sys.stderr)
            return 2
        try:
            password = getpass.getpass(f"Password for {args.user}@{args.host}: ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 130
    from .imap.config import ConnectionConfig

    try:
        config = ConnectionConfig(
            host=args.host,
            port=args.port if args.port is not None else DEFAULT_PORTS[args.tls],
            username=args.user,
            password=password,
            use_ssl=args.tls == "implicit",
            starttls=args.tls == "starttls",
            ssl_verify=not args.insecure,
        )
    except ValueError as error:
        print(f"sage-tui: {error}", file=sys.stderr)
        return 2
    from .account import Account

    account = Account(config, f"{args.user}@{args.host}", default_folder=args.folder or "INBOX")
    return run_app(account, startup=startup)


def config_path(option: str | None) -> Path:
    from .settings import default_config_path

    return Path(option).expanduser() if option else default_config_path()


def run_configured(startup: Startup, name: str | None, folder: str | None) -> int:
    """Open an account of the config file, or the setup screen when there is none to open."""
    from .passwords import PasswordError, resolve_password
    from .settings import ConfigError

    settings = startup.settings
    if settings is None or not settings.accounts:
        if name and not startup.problem:
            print(f"sage-tui: {startup.path} has no account {name!r} (no accounts yet): run "
                  "sage-tui without --account to set one up", file=sys.stderr)
            return 2
        return run_app(None, startup=startup)
    try:
        chosen = settings.account(name)
    except ConfigError as error:
        print(f"sage-tui: {error}", file=sys.stderr)
        return 2
    try:
        password = resolve_password(chosen).value
    except PasswordError as error:
        print(f"sage-tui: {error}", file=sys.stderr)
        if not sys.stdin.isatty():
            return 2
        try:
            password = getpass.getpass(f"Password for {chosen.name} ({chosen.label}): ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 130
    account = chosen.account(password)
    if folder:
        account = replace(account, default_folder=folder)
    return run_app(account, startup=replace(startup, account_name=chosen.name))


def run_app(account: object, **options: object) -> int:
    from .app import SageApp

    app = SageApp(account, **options)  # type: ignore[arg-type]
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
        return run_app(Account(config, "demo mailbox", default_folder=folder), startup=startup)
    finally:
        server.stop()
