"""``sage-tui doctor``: its flags (the connection flags of ``sage-tui`` plus ``--json``,
``--timeout`` and ``--demo``; or ``--config``/``--account`` for an account of the config file,
the default when no ``--host`` is given) and its exit code.

The connection flags and the password come from the same helpers as the main command's
(``cli.add_connection_arguments``, ``cli.config_from_args``), so the doctor checks exactly the
connection ``sage-tui`` with the same flags would make.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..cli import (
    PASSWORD_VARIABLE,
    CommandError,
    account_password,
    add_connection_arguments,
    config_from_args,
    config_path,
)
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
    parser.add_argument("--config", metavar="PATH",
                        help="read the account from this config file (default: the one "
                             "sage-tui uses); used when --host and --user are not given")
    parser.add_argument("--account", metavar="NAME",
                        help="account of the config file to check (default: default_account, "
                             "else the first)")
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
    from_file = bool(args.config or args.account)
    if args.demo and (args.host or args.user or from_file):
        parser.error("--demo checks the built-in server; it does not go with --host, --user, "
                     "--config or --account")
    if from_file and (args.host or args.user):
        parser.error("--config and --account pick an account of the config file; they do not "
                     "go with --host or --user")
    if (args.host or args.user) and not (args.host and args.user):
        parser.error("give --host and --user of the account to check (or --demo, or an "
                     "account of the config file)")
    setup_logging()
    try:
        if args.demo:
            return check_demo(args.json, args.timeout)
        try:
            if args.host:
                config = config_from_args(args, timeout=args.timeout)
            else:
                config = config_from_file(config_path(args.config), args.account, args.timeout)
        except CommandError as error:
            return error.report()
        return check(config, args.json)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def config_from_file(path: Path, name: str | None, timeout: float) -> ConnectionConfig:
    """The config file's account (``name``, else its default), with its password, exactly as
    ``sage-tui --account NAME`` would connect, with the doctor's timeout per step."""
    from ..settings import ConfigError, load_settings

    try:
        settings = load_settings(path)
        if settings is None:
            raise CommandError(f"there is no config file at {path}: give --host and --user, or "
                               "run sage-tui once to set up an account")
        account = settings.account(name)
    except ConfigError as error:
        raise CommandError(str(error)) from None
    return replace(account.account(account_password(account)).config, timeout=timeout)


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
