"""Where passwords come from: password_command, the keyring, SAGE_TUI_PASSWORD; and where they
never go (error messages, reprs)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from sage_tui.passwords import (
    PASSWORD_VARIABLE,
    SERVICE,
    KeyringUnavailable,
    PasswordError,
    keyring_status,
    resolve_password,
    run_password_command,
    store_password,
)
from sage_tui.settings import AccountSettings, parse_settings
from tests.support.memory_keyring import MemoryKeyring


def account(name: str = "work", command: str | None = None) -> AccountSettings:
    line = f"password_command = '{command}'\n" if command else ""  # a TOML literal string
    text = f'[accounts.{name}]\nhost = "imap.example.com"\nusername = "me"\n{line}'
    return parse_settings(text, Path("config.toml")).account()


def script(tmp_path: Path, body: str) -> str:
    """A real executable the password_command runs (no shell involved)."""
    path = tmp_path / "secret-tool.py"
    path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_store_then_resolve_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert keyring_status().usable
    store_password("work", "correct horse")
    assert memory_keyring.entries == {(SERVICE, "work"): "correct horse"}
    found = resolve_password(account("work"), environ={})
    assert (found.value, found.source) == ("correct horse", "keyring")
    assert "correct horse" not in repr(found)


def test_one_keyring_entry_per_account(memory_keyring: MemoryKeyring) -> None:
    store_password("work", "w-pass")
    store_password("home", "h-pass")
    assert resolve_password(account("home"), environ={}).value == "h-pass"
    assert resolve_password(account("work"), environ={}).value == "w-pass"


def test_the_environment_is_the_last_resort(memory_keyring: MemoryKeyring) -> None:
    found = resolve_password(account(), environ={PASSWORD_VARIABLE: "from-env"})
    assert (found.value, found.source) == ("from-env", PASSWORD_VARIABLE)
    store_password("work", "from-keyring")
    assert resolve_password(account(), environ={PASSWORD_VARIABLE: "x"}).source == "keyring"


def test_no_password_anywhere_says_where_to_put_one() -> None:
    with pytest.raises(PasswordError) as caught:
        resolve_password(account(), environ={})
    message = str(caught.value)
    assert "No password for account 'work'" in message
    assert "none is stored in the keyring" in message
    assert "password_command" in message and PASSWORD_VARIABLE in message


def test_password_command_output_trimmed_and_first(tmp_path, memory_keyring) -> None:
    store_password("work", "from-keyring")
    command = script(tmp_path, "print('  s3cret with spaces inside \\n')")
    found = resolve_password(account(command=f"{command} --account work"), environ={})
    assert (found.value, found.source) == ("s3cret with spaces inside", "password_command")


def test_password_command_gets_its_words_without_a_shell(tmp_path) -> None:
    command = script(tmp_path, "print('|'.join(sys.argv[1:]))")
    # Quotes group words; $HOME and ; are not interpreted (there is no shell).
    assert run_password_command(f"{command} 'mail/my work' $HOME ';' ls") == \
        "mail/my work|$HOME|;|ls"


def test_a_failing_command_never_echoes_its_output(tmp_path, memory_keyring) -> None:
    store_password("work", "from-keyring")  # no fall back: the user chose the command
    command = script(tmp_path, "print('hunter2'); sys.stderr.write('hunter2 is wrong'); "
                               "sys.exit(3)")
    with pytest.raises(PasswordError) as caught:
        resolve_password(account(command=command), environ={})
    message = str(caught.value)
    assert "exit status 3" in message and "hunter2" not in message
    assert "hunter2" not in repr(caught.value)


@pytest.mark.parametrize(("body", "words"), [
    ("pass", "printed nothing"),
    ("sys.stdout.buffer.write(b'\\xff\\xfe')", "not UTF-8"),
])
def test_a_command_with_nothing_usable_is_a_sentence(tmp_path, body: str, words: str) -> None:
    with pytest.raises(PasswordError, match=words):
        run_password_command(script(tmp_path, body))


def test_missing_or_stalled_commands_are_sentences(tmp_path) -> None:
    with pytest.raises(PasswordError, match="'no-such-password-tool' was not found"):
        run_password_command("no-such-password-tool show mail")
    with pytest.raises(PasswordError, match="cannot be split"):
        run_password_command("pass show 'unclosed")
    slow = script(tmp_path, "import time; time.sleep(30)")
    with pytest.raises(PasswordError, match=r"did not finish within 0\.5 seconds"):
        run_password_command(slow, timeout=0.5)


def test_a_headless_keyring_is_reported_with_the_alternatives() -> None:
    keyring.set_keyring(fail.Keyring())  # what a box without Secret Service or KWallet gets
    status = keyring_status()
    assert not status.usable and "no system keyring" in status.reason
    with pytest.raises(KeyringUnavailable) as caught:
        store_password("work", "s3cret")
    message = str(caught.value)
    assert message.startswith("The keyring cannot be used: no system keyring is available")
    assert "password_command" in message and PASSWORD_VARIABLE in message
    assert "s3cret" not in message
    # Reading still works through the other sources, and the error says why the keyring didn't.
    assert resolve_password(account(), environ={PASSWORD_VARIABLE: "e"}).value == "e"
    with pytest.raises(PasswordError, match="the keyring cannot be used"):
        resolve_password(account(), environ={})


def test_a_found_password_is_redacted_from_the_log(memory_keyring: MemoryKeyring) -> None:
    from sage_tui.logs import redact

    store_password("work", "Log-Me-Not-42")
    resolve_password(account(), environ={})
    assert redact("login failed for Log-Me-Not-42") == "login failed for ***"
