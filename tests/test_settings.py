"""config.toml: parsing, strict validation with lines, round trips keeping comments, safe
writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sage_tui.keymap import resolve_keymap
from sage_tui.settings import (
    ACCOUNT_KEYS,
    AccountSettings,
    ConfigError,
    add_account,
    default_config_path,
    load_settings,
    parse_settings,
    save_theme,
)
from sage_tui.startup import read_startup

EXAMPLE = """\
# My mail.
theme = "sage-dark"   # chosen in the palette
default_account = "work"

[accounts.work]
host = "imap.example.com"
port = 993
username = "me@example.com"
tls = "implicit"            # implicit | starttls | none
ssl_verify = true
password_command = "pass show mail/work"
default_folder = "INBOX"
max_connections = 5

# The old one, kept for the archive.
[accounts."old mail"]
host = "mail.old.example"
username = "me"
tls = "starttls"
display_name = "Old"

[keys]
archive = "e"
"mail.delete" = "x,delete"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("config.toml"))
    return str(caught.value)


def test_the_default_path_is_the_config_dir_seam(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SAGE_TUI_CONFIG_DIR", str(tmp_path))
    assert default_config_path() == tmp_path / "config.toml"
    assert load_settings() is None  # no file: first run, not an error


def test_the_issue_example_loads_into_typed_settings(tmp_path) -> None:
    settings = load_settings(write(tmp_path, EXAMPLE))
    assert settings is not None
    assert settings.account_names == ("work", "old mail")
    assert settings.theme == "sage-dark" and settings.theme_line == 2
    work = settings.account()  # default_account
    assert work.name == "work" and work.tls == "implicit"
    assert work.connection.host == "imap.example.com" and work.connection.port == 993
    assert work.connection.use_ssl and not work.connection.starttls
    assert work.connection.password == "" and work.password_command == "pass show mail/work"
    assert work.label == "me@example.com@imap.example.com"  # no address or display_name
    old = settings.account("old mail")
    assert old.tls == "starttls" and old.connection.port == 143  # the default of its mode
    assert old.label == "Old"
    account = old.account("s3cret")
    assert account.config.password == "s3cret" and account.label == "Old"
    assert "s3cret" not in repr(account) and "s3cret" not in repr(old)
    assert resolve_keymap(settings) == {"mail.archive": "e", "mail.delete": "x,delete"}


def test_defaults_when_keys_are_left_out(tmp_path) -> None:
    settings = load_settings(write(tmp_path, '[accounts.a]\nhost = "h"\nusername = "u"\n'))
    assert settings is not None and settings.theme is None and settings.keys == ()
    account = settings.account()
    assert (account.tls, account.connection.port, account.default_folder) == ("implicit", 993,
                                                                             "INBOX")
    assert account.connection.ssl_verify and account.connection.max_connections == 5
    plain = parse_settings('[accounts.a]\nhost = "h"\nusername = "u"\ntls = "none"\n',
                           Path("c.toml")).account()
    assert plain.connection.port == 143 and not plain.connection.use_ssl


@pytest.mark.parametrize(("text", "expected"), [
    ('[accounts.work]\nhost = "h"\nusername = "u"\n\nport = 70000\n',
     "config.toml line 5: accounts.work.port must be between 1 and 65535"),
    ('theme = "x"\n[accounts.w]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n',
     "config.toml line 5: accounts.w.password is not allowed: a password never goes in the "
     "config file"),
    ('[accounts.w]\nhost = "h"\nusername = "u"\nhots = "x"\n',
     "config.toml line 4: accounts.w.hots is not a setting of sage-tui (did you mean host?)"),
    ('colour = "red"\n', "config.toml line 1: colour is not a setting of sage-tui"),
    ('[accounts.w]\nhost = "h"\n', 'config.toml line 1: accounts.w needs username = "..."'),
    ('[accounts.w]\nhost = "h"\nusername = "u"\ntls = "ssl"\n',
     "config.toml line 4: accounts.w.tls must be one of implicit, starttls, none"),
    ('[accounts.w]\nhost = "h"\nusername = "u"\nuse_ssl = true\n',
     'config.toml line 4: accounts.w.use_ssl is not a key here: use tls = "implicit"'),
    ('[accounts.w]\nhost = "h"\nusername = "u"\nssl_verify = "yes"\n',
     "config.toml line 4: accounts.w.ssl_verify must be true or false"),
    ('[accounts.w]\nhost = "h"\nusername = "u"\nport = "993"\n',
     "config.toml line 4: accounts.w.port must be a whole number"),
    ('[accounts."my work"]\nhost = "h"\nusername = "u"\n# wait\ntimeout = 0\n',
     'config.toml line 5: accounts."my work".timeout must be greater than 0'),
    ('[accounts.w]\nhost = ""\nusername = "u"\n',
     "config.toml line 2: accounts.w.host must be a non-empty string in quotes"),
    ('default_account = "nope"\n[accounts.w]\nhost = "h"\nusername = "u"\n',
     "config.toml line 1: default_account names no account (accounts: w)"),
    ('[keys]\narchive = "ctrl+"\n', "config.toml line 2: keys.archive: 'ctrl+' is not a key"),
    ('[keys]\narchive = "ctlr+e"\n', "config.toml line 2: keys.archive: 'ctlr+e' is not a key"),
    ('[keys]\narchive = "archive"\n',
     "config.toml line 2: keys.archive: 'archive' is not a key name"),
    ('[keys]\narchive = 5\n', "config.toml line 2: keys.archive must be a non-empty string"),
    ('accounts = 3\n', "config.toml line 1: accounts must be a table"),
    ('title = "a\nb"\n', "config.toml line 1, column"),
    ('x = [\n', "config.toml line 2: not valid TOML at the end of the file"),
])
def test_mistakes_name_the_line_and_what_is_wrong(text: str, expected: str) -> None:
    message = error_of(text)
    if expected.endswith("column"):
        assert message.startswith("config.toml line 1: column ") and "not valid TOML" in message
    else:
        assert message.startswith(expected), message
    assert "hunter2" not in message


def test_key_overrides_name_real_bindings_and_say_what_is_wrong(tmp_path) -> None:
    def problem(keys: str) -> str:
        with pytest.raises(ConfigError) as caught:
            resolve_keymap(parse_settings(f"# keys\n[keys]\n{keys}\n", Path("config.toml")))
        return str(caught.value)

    assert problem('archiv = "e"') == ("config.toml line 3: keys.archiv is not an action of "
                                       "sage-tui (did you mean archive?); the help screen (?) "
                                       "lists them")
    assert problem('down = "n"').startswith("config.toml line 3: keys.down is ambiguous: write "
                                            "one of folders.down, list.down, reader.down")
    clash = problem('archive = "d"')
    assert clash.startswith("config.toml line 3: keys: 'd' would be the key of both "
                            "mail.archive and mail.delete")
    # Both moved: no clash. Punctuation is written as Textual names it, or as the character.
    swapped = parse_settings('[keys]\narchive = "d"\ndelete = "x"\nhelp = "?,f1"\n',
                             Path("c.toml"))
    assert resolve_keymap(swapped) == {"mail.archive": "d", "mail.delete": "x",
                                       "app.help": "?,f1"}


def test_read_startup_keeps_the_problem_instead_of_raising(tmp_path) -> None:
    path = write(tmp_path, 'theme = "no-such-theme"\n')
    startup = read_startup(path)
    assert startup.settings is None and not startup.writable
    assert startup.problem.startswith("config.toml line 1: theme 'no-such-theme' is not a theme")
    good = read_startup(write(tmp_path, EXAMPLE))
    assert good.writable and good.keymap == {"mail.archive": "e", "mail.delete": "x,delete"}


def test_saving_the_theme_keeps_comments_order_and_other_values(tmp_path) -> None:
    path = write(tmp_path, EXAMPLE)
    save_theme(path, "sage-light")
    text = path.read_text(encoding="utf-8")
    assert text == EXAMPLE.replace('theme = "sage-dark"', 'theme = "sage-light"')
    save_theme(path, "nord")
    assert load_settings(path).theme == "nord"  # type: ignore[union-attr]


def test_a_new_file_is_created_private_with_the_theme(tmp_path) -> None:
    path = tmp_path / "new" / "config.toml"
    save_theme(path, "sage-dark")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# sage-tui settings") and text.endswith('\n\ntheme = "sage-dark"\n')
    assert "keyring" in text  # the header says where passwords are
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_adding_an_account_appends_a_table_and_round_trips(tmp_path) -> None:
    path = write(tmp_path, EXAMPLE)
    os.chmod(path, 0o644)
    base = parse_settings('[accounts.x]\nhost = "imap.fastmail.com"\nusername = "me@fm.example"'
                          '\n', path).account()
    new = AccountSettings("home", base.connection, address="me@fm.example")
    add_account(path, new)
    text = path.read_text(encoding="utf-8")
    # Everything the user wrote is still there, as written; the new table follows the last
    # account.
    added = ('[accounts.home]\naddress = "me@fm.example"\nhost = "imap.fastmail.com"\n'
             'port = 993\ntls = "implicit"\nusername = "me@fm.example"\n\n')
    assert text == EXAMPLE.replace("[keys]", added + "[keys]")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # rewritten private
    loaded = load_settings(path)
    assert loaded is not None and loaded.account_names == ("work", "old mail", "home")
    assert loaded.account("home") == new
    with pytest.raises(ConfigError, match="already has an account named 'home'"):
        add_account(path, new)


def test_non_default_engine_settings_are_written_and_read_back(tmp_path) -> None:
    path = tmp_path / "config.toml"
    text = ('[accounts.lab]\nhost = "h"\nusername = "u"\ntls = "none"\nport = 1143\n'
            'ssl_verify = false\ntimeout = 5\nmax_retries = 0\n'
            'password_command = "cat secret"\ndefault_folder = "Lab"\n')
    account = parse_settings(text, path).account()
    add_account(path, account, make_default=True)
    again = load_settings(path)
    assert again is not None and again.default_account == "lab"
    assert again.account() == account
    assert "password =" not in path.read_text(encoding="utf-8")


def test_a_malformed_file_is_never_overwritten(tmp_path) -> None:
    broken = EXAMPLE.replace("port = 993", "port = 99999")
    path = write(tmp_path, broken)
    with pytest.raises(ConfigError, match=r"line 7: accounts\.work\.port"):
        save_theme(path, "nord")
    with pytest.raises(ConfigError):
        add_account(path, parse_settings('[accounts.x]\nhost = "h"\nusername = "u"\n',
                                         path).account())
    assert path.read_text(encoding="utf-8") == broken
    not_toml = write(tmp_path, "theme = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        save_theme(not_toml, "nord")
    assert not_toml.read_text(encoding="utf-8") == "theme = \n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    # A full disk cannot be had on demand here: the fault is injected at fsync.
    path = write(tmp_path, EXAMPLE)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_theme(path, "nord")
    assert path.read_text(encoding="utf-8") == EXAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_a_symlinked_config_stays_a_link(tmp_path) -> None:
    real = write(tmp_path, EXAMPLE)
    link_dir = tmp_path / "dotfiles"
    link_dir.mkdir()
    link = link_dir / "config.toml"
    link.symlink_to(real)
    save_theme(link, "nord")
    assert link.is_symlink() and load_settings(real).theme == "nord"  # type: ignore[union-attr]


def test_unreadable_bytes_are_a_sentence(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "\xff"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: is not UTF-8 text"):
        load_settings(path)


def test_every_account_key_is_documented_and_accepted() -> None:
    lines = ['[accounts.all]', 'host = "h"', 'username = "u"']
    samples = {"str": '"x"', "int": "2", "number": "2.5", "bool": "false", "tls": '"starttls"'}
    for key, setting in ACCOUNT_KEYS.items():
        assert setting.help
        if key not in ("host", "username"):
            lines.append(f"{key} = {samples[setting.kind]}")
    account = parse_settings("\n".join(lines) + "\n", Path("c.toml")).account()
    assert account.connection.max_connections == 2 and account.connection.timeout == 2.5
    assert account.tls == "starttls" and account.display_name == "x"


def test_reading_the_config_does_not_load_textual() -> None:
    """The doctor and scripts read config.toml and passwords without the UI toolkit."""
    code = ("import sys, sage_tui.settings, sage_tui.passwords, sage_tui.providers\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
