"""``sage-tui doctor``: its flags (the connection flags of ``sage-tui`` plus ``--json``,
``--timeout`` and ``--demo``) and its exit code.

The connection flags and the password come from the same helpers as the main command's
(``cli.add_connection_arguments``, ``cli.config_from_args``), so the doctor checks exactly the
connection ``sage-tui`` with the same flags would make.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..cli import PASSWORD_VARIABLE, CommandError, add_connection_arguments, config_from_args
from ..imap.config import ConnectionConfig
from ..logs import register_secret, setup_logging
from .checks import run_doctor
from .model import Problem
from .render import render_json, render_text

DEFAULT_TIMEOUT = 10.0
"""Seconds per step: a health check should say "no answer" sooner than the app's 30 s."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sage-tui doctor",
        description="Check the connection to an IMAP account step by step: DNS, TCP, TLS and "
                    "certificate, capabilities, login, folders, round-trip latency.",
        epilog=f"The password comes from ${PASSWORD_VARIABLE} or a prompt. Exit codes: 0 healthy, "
               + ", ".join(f"{p.value} {p.label}" for p in Problem)
               + ", 2 usage error.",
    )
    parser.add_argument("--demo", action="store_true",
                        help="check the built-in demo server (starts it, checks it, stops it)")
    add_connection_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (stable keys) instead of text")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"give up on a step after this long (default {DEFAULT_TIMEOUT:g})")
    return parser


def main(argv: Sequence[str]) -> int:
    """``sage-tui doctor ...``; returns the exit code (0 healthy, else the ``Problem``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.timeout > 0:
        parser.error("--timeout must be a number of seconds above 0")
    if args.demo and (args.host or args.user):
        parser.error("--demo checks the built-in server; it does not go with --host or --user")
    if not args.demo and not (args.host and args.user):
        parser.error("give --host and --user of the account to check (or --demo)")
    setup_logging()
    try:
        if args.demo:
            return check_demo(args.json, args.timeout)
        try:
            config = config_from_args(args, timeout=args.timeout)
        except CommandError as error:
            return error.report()
        return check(config, args.json)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def check(config: ConnectionConfig, as_json: bool) -> int:
    """Run the checks, print the report, return its exit code."""
    register_secret(config.password)
    report = run_doctor(config)
    print(render_json(report) if as_json else render_text(report))
    return report.exit_code


def check_demo(as_json: bool, timeout: float) -> int:
    from ..demo.process import DemoProcess

    try:
        server = DemoProcess().start()
    except (OSError, RuntimeError) as error:
        print(f"sage-tui doctor: the demo server could not start: {error}", file=sys.stderr)
        return int(Problem.UNEXPECTED)
    try:
        config = ConnectionConfig(host=server.host, port=server.port, username=server.username,
                                  password=server.password, use_ssl=False, timeout=timeout)
        return check(config, as_json)
    finally:
        server.stop()
