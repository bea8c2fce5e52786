"""The installed console script."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys

import pytest

from sage_tui import __version__
from sage_tui.cli import collector_paused_while_starting


def test_version_from_the_console_script() -> None:
    exe = shutil.which("sage-tui")
    command = [exe] if exe else [sys.executable, "-m", "sage_tui"]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"sage-tui {__version__}"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "SAGE_TUI_PASSWORD"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "sage_tui", *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env=environment, timeout=60)


def test_host_without_user_is_a_clear_usage_error() -> None:
    result = run_cli("--host", "imap.example.com")
    assert result.returncode == 2
    assert "--host and --user go together" in result.stderr and "Traceback" not in result.stderr


def test_no_password_and_no_terminal_says_where_the_password_comes_from() -> None:
    result = run_cli("--host", "imap.example.com", "--user", "me")
    assert result.returncode == 2
    assert "SAGE_TUI_PASSWORD" in result.stderr and "Traceback" not in result.stderr


def test_bad_port_names_the_field_without_a_traceback() -> None:
    result = run_cli("--host", "imap.example.com", "--user", "me", "--port", "0",
                     env={"SAGE_TUI_PASSWORD": "s3cret-pw"})
    assert result.returncode == 2 and "port" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret-pw" not in result.stderr


def test_tls_choices_are_checked() -> None:
    result = run_cli("--host", "h", "--user", "u", "--tls", "sometimes")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_the_header_says_how_the_connection_is_protected() -> None:
    from sage_tui.account import Account
    from sage_tui.imap.config import ConnectionConfig

    def account(**fields: object) -> Account:
        return Account(ConnectionConfig(host=str(fields.pop("host", "imap.example.com")),
                                        username="me", password="pw", **fields), "me")

    assert (account().security, account().insecure) == ("TLS", False)
    insecure = account(ssl_verify=False)
    assert insecure.insecure and "NOT verified" in insecure.security
    starttls = account(use_ssl=False, starttls=True, port=143)
    assert starttls.security == "STARTTLS" and not starttls.insecure
    plain = account(use_ssl=False, port=143)
    assert plain.insecure and plain.security == "unencrypted"
    local = account(host="127.0.0.1", use_ssl=False, port=143)
    assert not local.insecure and "local" in local.security


def test_start_up_pauses_the_collector_and_leaves_it_on_with_start_up_frozen() -> None:
    assert gc.isenabled()
    try:
        with collector_paused_while_starting():
            assert not gc.isenabled(), "no collection while the app is imported and built"
            built = ["made while starting"]
        assert gc.isenabled(), "collection is on again for the app's run"
        assert not any(item is built for item in gc.get_objects()), "frozen: never walked"
        later = ["made while running"]
        assert any(item is later for item in gc.get_objects()), "collected as usual"
    finally:
        gc.unfreeze()  # the test process keeps collecting everything


def test_a_failed_start_up_still_turns_the_collector_back_on() -> None:
    try:
        with pytest.raises(RuntimeError), collector_paused_while_starting():
            raise RuntimeError("the app could not be built")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
