"""``--config PATH --account NAME`` on the command line: ``sage-tui doctor`` checks an account of
the config file with the password from the keyring or its ``password_command``; mistakes end in
one sentence and exit code 2, never a traceback and never the password."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from sage_tui.cli import main
from sage_tui.passwords import SERVICE


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
