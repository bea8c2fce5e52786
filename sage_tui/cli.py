"""The ``sage-tui`` command line: the demo, or one account given by flags.

Nothing here prints a traceback: bad flags, a missing password or a failed demo start end with a
sentence and a non-zero exit code. The password never comes from a flag (it would sit in the
shell history and in ``ps``): ``SAGE_TUI_PASSWORD`` or a prompt.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from . import __version__

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo:
        return run_demo(args.folder or "INBOX")
    if not args.host and not args.user:
        parser.print_help()
        return 0
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
    return run_app(account)


def run_app(account: object, **options: object) -> int:
    from .app import SageApp

    app = SageApp(account, **options)  # type: ignore[arg-type]
    app.run()
    return app.return_code or 0


def run_demo(folder: str) -> int:
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
        return run_app(Account(config, "demo mailbox", default_folder=folder))
    finally:
        server.stop()
