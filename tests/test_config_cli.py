"""``--config PATH --account NAME`` on the command line: ``sage-tui doctor`` checks an account of
the config file with the password from the keyring or its ``password_command``; mistakes end in
one sentence and exit code 2, never a traceback and never the password."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from sage_tui.cli import main
from sage_tui.passwords import SERVICE
from tests.support.seed import make_message, seed_folder
from tests.support.terminal import read_until, run_in_pty


def config_file(tmp_path: Path, dovecot, user, *, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '# two accounts\ndefault_account = "home"\n\n'
        f'[accounts.home]\nhost = "{dovecot.host}"\nport = {dovecot.port}\ntls = "none"\n'
        'username = "nobody-here"\n\n'
        f'[accounts.work]\nhost = "{dovecot.host}"\nport = {dovecot.port}\ntls = "none"\n'
        f'username = "{user.name}"\n{extra}', encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch):
    """No prompt: a missing password must end in a sentence, as under cron or CI."""
    monkeypatch.delenv("SAGE_TUI_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)


def test_doctor_checks_the_named_account_with_the_keyring_password(dovecot, imap_user, capsys,
                                                                   tmp_path) -> None:
    path = config_file(tmp_path, dovecot, imap_user)
    keyring.set_password(SERVICE, "work", imap_user.password)
    code, out, err = run(capsys, "doctor", "--config", str(path), "--account", "work", "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["healthy"] is True and report["folders"]["inbox"] is True
    assert imap_user.password not in out + err


def test_doctor_uses_the_password_command(dovecot, imap_user, capsys, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(imap_user.password + "\n", encoding="utf-8")
    path = config_file(tmp_path, dovecot, imap_user,
                       extra=f"password_command = 'cat {secret}'\n")
    code, out, err = run(capsys, "doctor", "--config", str(path), "--account", "work")
    assert code == 0 and "Healthy: every check passed." in out
    assert imap_user.password not in out + err


def test_doctor_without_flags_reads_the_default_config(dovecot, imap_user, capsys,
                                                      monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SAGE_TUI_CONFIG_DIR", str(tmp_path))
    config_file(tmp_path, dovecot, imap_user)
    keyring.set_password(SERVICE, "home", "whatever")
    code, out, _ = run(capsys, "doctor")  # default_account = "home": a user Dovecot refuses
    assert code == 9 and "refused the login for nobody-here" in " ".join(out.split())


@pytest.mark.parametrize(("argv", "words"), [
    (["--account", "nope"], "config.toml: has no account named 'nope' (accounts: home, work)"),
    (["--account", "work"], "No password for account 'work': none is stored in the keyring"),
])
def test_mistakes_are_one_sentence(dovecot, imap_user, capsys, tmp_path, argv, words) -> None:
    path = config_file(tmp_path, dovecot, imap_user)
    for command in (["doctor"], []):  # sage-tui doctor and sage-tui itself
        code, _, err = run(capsys, *command, "--config", str(path), *argv)
        assert code == 2 and words in err, (command, err)


def test_a_config_file_mistake_stops_the_doctor_with_its_line(capsys, tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[accounts.work]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n',
                    encoding="utf-8")
    code, _, err = run(capsys, "doctor", "--config", str(path))
    assert code == 2 and "config.toml line 4: accounts.work.password is not allowed" in err
    assert "hunter2" not in err
    code, _, err = run(capsys, "doctor", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "there is no config file at" in err


@pytest.mark.parametrize(("argv", "words"), [
    (["--demo", "--account", "work"], "--account picks an account of the config file"),
    (["--host", "h", "--user", "u", "--account", "w"], "it does not go with --demo, --host"),
    (["doctor", "--host", "h", "--user", "u", "--config", "c.toml"],
     "--config and --account pick an account of the config file"),
    (["doctor", "--demo", "--account", "work"], "it does not go with --host, --user, --config"),
])
def test_flag_combinations_that_make_no_sense_are_usage_errors(capsys, argv, words) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert words in capsys.readouterr().err


def test_the_console_script_names_the_missing_account(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[accounts.work]\nhost = "h"\nusername = "u"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sage_tui", "--config", str(path), "--account",
                             "home"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "has no account named 'home' (accounts: work)" in result.stderr


def start_from_config(tmp_path: Path, dovecot, user, *, top: str = "") -> tuple[int, int]:
    """``sage-tui --config PATH`` in a terminal, on one account whose password comes from its
    ``password_command``; ``top``: settings above the account (a theme, keys)."""
    secret = tmp_path / "secret"
    secret.write_text(user.password + "\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        f'{top}\n[accounts.work]\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
        f'tls = "none"\nusername = "{user.name}"\npassword_command = "cat {secret}"\n',
        encoding="utf-8")
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40",
           "SAGE_TUI_CACHE_DIR": str(tmp_path / "cache"),
           "SAGE_TUI_LOG_DIR": str(tmp_path / "logs")}
    env.pop("SAGE_TUI_PASSWORD", None)
    return run_in_pty(["sage-tui", "--config", str(path)], env)


def stop(pid: int, fd: int) -> None:
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def test_an_account_of_the_config_file_opens_on_its_newest_message(dovecot, imap_user,
                                                                   tmp_path) -> None:
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"config message {i}") for i in range(1, 4)])
    pid, fd = start_from_config(tmp_path, dovecot, imap_user, top='theme = "sage-light"')
    try:
        seen = read_until(fd, b"config message 3", 30)
    finally:
        stop(pid, fd)
    assert b"config message 3" in seen and b"Traceback" not in seen


def test_a_mistake_found_once_the_page_is_on_its_way_opens_setup_not_the_account(
        dovecot, imap_user, tmp_path) -> None:
    """The theme is checked against the app after the first page's thread has started: a
    mistake there still opens setup with the line, as a file that does not load at all."""
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(1, subject="config message 1")])
    pid, fd = start_from_config(tmp_path, dovecot, imap_user, top='theme = "no-such-theme"')
    try:
        seen = read_until(fd, b"The file is left as it is", 30)
        seen += read_until(fd, b"config message 1", 1)
    finally:
        stop(pid, fd)
    assert b"The file is left as it is" in seen
    assert b"no-such-theme" in seen
    assert b"config message 1" not in seen and b"Traceback" not in seen
