"""The configuration file (``config.toml``): accounts, theme, key overrides. No Textual here.

Read with ``tomllib`` and validated strictly into frozen dataclasses: an unknown key, a wrong
type or a bad value is an error that names the file, the line and what is wrong
(``config.toml line 7: accounts.work.port must be between 1 and 65535``), because a typo that is
silently ignored costs the user an afternoon. tomllib reports no lines for values, so the lines
come from a small scan of the text (``_key_lines``).

Written with ``tomlkit`` so that the user's comments and order survive when the app saves the
theme or adds an account; every write is atomic (a temporary file renamed over the old one),
mode 0600, and a file that does not load is never overwritten. A password is never a key of
this file: it lives in the keyring, or comes from ``password_command`` or ``SAGE_TUI_PASSWORD``.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .account import Account
from .imap.config import ConnectionConfig
from .locations import config_dir

FILE_NAME = "config.toml"
TLS_MODES = ("implicit", "starttls", "none")
DEFAULT_PORTS = {"implicit": 993, "starttls": 143, "none": 143}


def default_config_path() -> Path:
    """``<platformdirs user config dir>/sage-tui/config.toml`` (``SAGE_TUI_CONFIG_DIR`` wins)."""
    return config_dir() / FILE_NAME


class ConfigError(ValueError):
    """A sentence for the user: which file, which line, what is wrong (never a traceback)."""

    def __init__(self, problem: str, path: Path, line: int | None = None) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        where = f"{path.name} line {line}" if line else path.name
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Setting:
    """One key of an ``[accounts.NAME]`` table: its type, default, and a line of help."""

    kind: str
    """``str``, ``int``, ``number``, ``bool`` or ``tls``."""
    default: object
    help: str


ACCOUNT_KEYS: dict[str, Setting] = {
    "host": Setting("str", None, "IMAP server name (required)"),
    "username": Setting("str", None, "login name (required)"),
    "port": Setting("int", None, "993 for implicit TLS, else 143"),
    "tls": Setting("tls", "implicit", "implicit | starttls | none (plain text, with a warning)"),
    "ssl_verify": Setting("bool", True, "verify the server certificate and host name"),
    "ca_file": Setting("str", None, "extra CA bundle (PEM) for a server with a private CA"),
    "address": Setting("str", None, "your e-mail address"),
    "display_name": Setting("str", None, "what the header calls the account (default: the "
                                         "address, else username@host)"),
    "default_folder": Setting("str", "INBOX", "folder opened first"),
    "password_command": Setting("str", None, "command whose output is the password "
                                             "(run without a shell)"),
    "timeout": Setting("number", 30.0, "seconds for connect and for every read"),
    "max_connections": Setting("int", 5, "connections the account may open at once"),
    "keepalive_interval": Setting("number", 300.0, "idle seconds before a connection is "
                                                   "checked with NOOP"),
    "max_retries": Setting("int", 3, "retries of an operation that failed transiently"),
    "retry_delay": Setting("number", 1.0, "first wait between retries, in seconds"),
    "retry_exponential_backoff": Setting("bool", True, "double the wait after each retry"),
    "max_retry_delay": Setting("number", 30.0, "longest wait between retries"),
    "enable_monitoring": Setting("bool", True, "keep the counters the health screen shows"),
    "circuit_failure_threshold": Setting("int", 5, "failures in a row that pause the account"),
    "circuit_recovery_timeout": Setting("number", 60.0, "seconds before one try after a pause"),
}
"""Every key an account accepts, in the order the README documents them."""

TOP_KEYS = ("default_account", "theme", "accounts", "keys")
_REFUSED = {
    "password": "is not allowed: a password never goes in the config file. Store it in the "
                "system keyring (the setup screen does that), or set password_command, or "
                "SAGE_TUI_PASSWORD",
    "use_ssl": 'is not a key here: use tls = "implicit", "starttls" or "none"',
    "starttls": 'is not a key here: use tls = "implicit", "starttls" or "none"',
}


@dataclass(frozen=True)
class AccountSettings:
    """One ``[accounts.NAME]`` table, validated.

    ``connection`` carries every ``ConnectionConfig`` field with an empty password: the password
    is looked up when the account is opened (``sage_tui.passwords``) and lives only in memory.
    """

    name: str
    connection: ConnectionConfig
    address: str = ""
    display_name: str = ""
    default_folder: str = "INBOX"
    password_command: str | None = None

    @property
    def tls(self) -> str:
        return self.connection.tls_mode

    @property
    def label(self) -> str:
        """The header's name for the account; also keys its saved searches."""
        return self.display_name or self.address or self.connection.display_name

    def account(self, password: str) -> Account:
        """The UI's account, with the password put into the engine's config."""
        return Account(replace(self.connection, password=password), self.label,
                       default_folder=self.default_folder)


@dataclass(frozen=True)
class KeyOverride:
    """``[keys] archive = "e"``: the name as written, the keys, and the line."""

    name: str
    keys: str
    line: int | None = None


@dataclass(frozen=True)
class AppSettings:
    """The whole file, validated. ``accounts`` keeps the file's order."""

    path: Path
    accounts: tuple[AccountSettings, ...] = ()
    default_account: str | None = None
    theme: str | None = None
    keys: tuple[KeyOverride, ...] = ()
    theme_line: int | None = None

    @property
    def account_names(self) -> tuple[str, ...]:
        return tuple(account.name for account in self.accounts)

    def account(self, name: str | None = None) -> AccountSettings:
        """The named account, else ``default_account``, else the first in the file.

        Raises:
            ConfigError: no such account, or no account at all.
        """
        wanted = name or self.default_account
        if wanted is None:
            if not self.accounts:
                raise ConfigError("has no accounts yet", self.path)
            return self.accounts[0]
        for account in self.accounts:
            if account.name == wanted:
                return account
        known = ", ".join(self.account_names) or "none"
        raise ConfigError(f"has no account named {wanted!r} (accounts: {known})", self.path)

    def keymap(self, binding_ids: Collection[str]) -> dict[str, str]:
        """``{binding id: keys}`` for ``App.set_keymap``; a name may be ``mail.archive`` or,
        where only one binding ends so, ``archive``.

        Raises:
            ConfigError: a name that matches no binding, or several.
        """
        keymap: dict[str, str] = {}
        for override in self.keys:
            binding_id = _binding_id(override, binding_ids, self.path)
            keymap[binding_id] = override.keys
        return keymap

    def require_theme(self, names: Collection[str]) -> None:
        """Raises ``ConfigError`` when ``theme`` names no registered theme."""
        if self.theme is not None and self.theme not in names:
            raise ConfigError(f"theme {self.theme!r} is not a theme of sage-tui (themes: "
                              f"{', '.join(sorted(names))})", self.path, self.theme_line)


@dataclass(frozen=True)
class Startup:
    """What the command line learnt from the config file, handed to the app.

    Attributes:
        path: The config file (it may not exist yet: setup creates it).
        settings: The file's settings; None when it is absent or did not load.
        keymap: ``[keys]`` resolved to binding ids, ready for ``App.set_keymap``.
        problem: Why the file did not load; the app then opens setup with this message and
            never writes the file.
        account_name: The config account the app opens with, if any.
    """

    path: Path = field(default_factory=default_config_path)
    settings: AppSettings | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""
    account_name: str | None = None

    @property
    def writable(self) -> bool:
        """Only a file that loaded (or none at all) may be written."""
        return not self.problem


def _binding_id(override: KeyOverride, binding_ids: Collection[str], path: Path) -> str:
    if override.name in binding_ids:
        return override.name
    matches = sorted(i for i in binding_ids if i.rsplit(".", 1)[-1] == override.name)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"keys.{override.name} is ambiguous: write one of "
                          f"{', '.join(matches)}", path, override.line)
    close = difflib.get_close_matches(override.name, [*binding_ids, *(
        i.rsplit(".", 1)[-1] for i in binding_ids)], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ConfigError(f"keys.{override.name} is not an action of sage-tui{hint}; the help "
                      "screen (?) lists them", path, override.line)


# -- reading --------------------------------------------------------------------------------


def load_settings(path: Path | None = None) -> AppSettings | None:
    """The settings in ``path`` (default: ``default_config_path()``), or None if it is absent.

    Raises:
        ConfigError: the file cannot be read, is not TOML, or does not validate.
    """
    path = path or default_config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"cannot be read ({error.strerror or error})", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path) from None
    return parse_settings(text, path)


def parse_settings(text: str, path: Path) -> AppSettings:
    """Validate the text of a config file (``path`` is only named in errors)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
        if " (at end of document)" in message:
            what = message.replace(" (at end of document)", "")
            raise ConfigError(f"not valid TOML at the end of the file ({what})", path,
                              text.count("\n") + 1) from None
        if found:
            what = message[: found.start()] or "invalid TOML"
            raise ConfigError(f"column {found.group(2)}: not valid TOML ({what})", path,
                              int(found.group(1))) from None
        raise ConfigError(f"not valid TOML ({message})", path) from None
    return _Validator(raw, path, _key_lines(text)).settings()


class _Validator:
    def __init__(self, raw: dict[str, Any], path: Path, lines: dict[tuple[str, ...], int]):
        self.raw = raw
        self.path = path
        self.lines = lines

    def fail(self, keys: tuple[str, ...], problem: str) -> ConfigError:
        return ConfigError(f"{_dotted(keys)} {problem}", self.path, self.line(keys))

    def line(self, keys: tuple[str, ...]) -> int | None:
        for end in range(len(keys), 0, -1):
            if keys[:end] in self.lines:
                return self.lines[keys[:end]]
        return None

    def unknown(self, keys: tuple[str, ...], known: Collection[str]) -> ConfigError:
        close = difflib.get_close_matches(keys[-1], list(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"
        return self.fail(keys, f"is not a setting of sage-tui{hint}")

    def settings(self) -> AppSettings:
        for key in self.raw:
            if key not in TOP_KEYS:
                raise self.unknown((key,), TOP_KEYS)
        accounts = self.table(("accounts",))
        parsed = tuple(self.account(name, self.table(("accounts", name)))
                       for name in accounts)
        default = self.raw.get("default_account")
        if default is not None:
            self.string(("default_account",), default)
            if default not in accounts:
                known = ", ".join(accounts) or "none yet"
                raise self.fail(("default_account",), f"names no account (accounts: {known})")
        theme = self.raw.get("theme")
        if theme is not None:
            self.string(("theme",), theme)
        overrides = []
        for name, value in self.table(("keys",)).items():
            keys = ("keys", name)
            self.string(keys, value)
            problem = keys_problem(value)
            if problem:
                raise ConfigError(f"keys.{name}: {problem}", self.path, self.line(keys))
            overrides.append(KeyOverride(name, _normal_keys(value), self.line(keys)))
        return AppSettings(self.path, parsed, default, theme, tuple(overrides),
                           self.line(("theme",)))

    def table(self, keys: tuple[str, ...]) -> dict[str, Any]:
        value: Any = self.raw
        for key in keys:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        if not isinstance(value, dict):
            raise self.fail(keys, "must be a table ([" + _dotted(keys) + "])")
        return value

    def string(self, keys: tuple[str, ...], value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(keys, "must be a non-empty string in quotes")
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise self.fail(keys, "must not contain control characters")
        return value

    def account(self, name: str, table: dict[str, Any]) -> AccountSettings:
        where = ("accounts", name)
        if not name.strip() or any(unicodedata.category(c) == "Cc" for c in name):
            raise self.fail(where, "needs a name of visible characters")
        for key in table:
            if key in _REFUSED:
                raise self.fail((*where, key), _REFUSED[key])
            if key not in ACCOUNT_KEYS:
                raise self.unknown((*where, key), ACCOUNT_KEYS)
        for key in ("host", "username"):
            if key not in table:
                raise self.fail(where, f"needs {key} = \"...\"")
        values = {key: self.value((*where, key), ACCOUNT_KEYS[key], value)
                  for key, value in table.items()}
        tls = values.pop("tls", "implicit")
        values.setdefault("port", DEFAULT_PORTS[tls])
        extra = {key: values.pop(key) for key in
                 ("address", "display_name", "default_folder", "password_command")
                 if key in values}
        if "ca_file" in values:
            values["ca_file"] = str(Path(values["ca_file"]).expanduser())
        try:
            connection = ConnectionConfig(use_ssl=tls == "implicit", starttls=tls == "starttls",
                                          **values)
        except ValueError as error:
            field, _, problem = str(error).removeprefix("ConnectionConfig.").partition(" ")
            raise self.fail((*where, field), problem) from None
        return AccountSettings(name, connection, **extra)

    def value(self, keys: tuple[str, ...], setting: Setting, value: object) -> object:
        kind = setting.kind
        if kind in ("str", "tls"):
            text = self.string(keys, value)
            if kind == "tls" and text not in TLS_MODES:
                raise self.fail(keys, f"must be one of {', '.join(TLS_MODES)}")
            return text
        if kind == "bool" and not isinstance(value, bool):
            raise self.fail(keys, "must be true or false")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(keys, "must be a whole number")
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(keys, "must be a number")
            return float(value)
        return value


# -- key names (Textual-free: Textual's names, checked before the app starts) ---------------

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
NAMED_KEYS = frozenset({
    "escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end",
    "pageup", "pagedown", "up", "down", "left", "right", *(f"f{n}" for n in range(1, 25)),
})
_SHORT_NAMES = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
                "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}
"""Textual's short names for some characters (``textual.keys``)."""


def normal_key(key: str) -> str:
    """The name Textual gives a key: ``"?"`` -> ``"question_mark"``, ``"/"`` -> ``"slash"``."""
    *modifiers, base = key.split("+") if key != "+" else ["+"]
    if len(base) == 1 and not base.isalnum():
        with contextlib.suppress(ValueError):
            name = unicodedata.name(base).lower().replace("-", "_").replace(" ", "_")
            base = _SHORT_NAMES.get(name, name)
    return "+".join([*modifiers, base])


def keys_problem(value: str) -> str | None:
    """Why ``value`` ("e", "ctrl+e,f5", "question_mark") is not a list of key names, or None."""
    for key in _split_keys(value):
        *modifiers, base = key.split("+") if key != "+" else ["+"]
        if not base or any(m not in MODIFIERS for m in modifiers) or len(set(modifiers)) < len(
                modifiers):
            return f"{key!r} is not a key (write e.g. \"e\", \"ctrl+e\", \"f5\" or \"e,f5\")"
        if not _is_key_name(base):
            return (f"{key!r} is not a key name (names: a letter or other character, "
                    "question_mark, slash, enter, escape, tab, space, up, down, pageup, f1..f24)")
    return None


def _split_keys(value: str) -> list[str]:
    return [part.strip() for part in value.split(",")] if value.strip() != "," else [","]


def _normal_keys(value: str) -> str:
    return ",".join(_split_keys(value))


def _is_key_name(name: str) -> bool:
    if len(name) == 1:
        return name.isprintable() and not name.isspace()
    if name in NAMED_KEYS or name in _SHORT_NAMES.values():
        return True
    try:
        character = unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return False
    return character.isprintable() and not character.isspace()


# -- where keys are (tomllib has no positions) ---------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
                  r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=(?P<rest>.*)$""")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'""")


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """``{("accounts", "work", "port"): 7, ...}``: the first line of each table and key.

    A scan, not a parser (tomllib already accepted the text): table headers and ``key =``
    lines, skipping the insides of multi-line strings. Keys inside inline tables take the line
    of their table (``_Validator.line`` walks up).
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    open_quote: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if open_quote is not None:
            if line.count(open_quote) % 2 == 1:
                open_quote = None
            continue
        header = _HEADER.match(line)
        if header:
            table = _parts(header.group("name"))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_parts(key.group("key"))), number)
            for quote in ('"""', "'''"):
                if key.group("rest").count(quote) % 2 == 1:
                    open_quote = quote
    return lines


def _parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for token in _PART.findall(dotted):
        if token[0] in "\"'":
            with contextlib.suppress(tomllib.TOMLDecodeError):
                token = tomllib.loads(f"k = {token}")["k"]
        parts.append(token)
    return tuple(parts)


def _dotted(keys: tuple[str, ...]) -> str:
    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"' for k in keys)


# -- writing (tomlkit keeps comments and order) ---------------------------------------------


def save_theme(path: Path, theme: str) -> None:
    """Remember the theme (``theme = "..."``), keeping everything else as the user wrote it."""

    def change(document: Any) -> None:
        document["theme"] = theme

    edit(path, change)


def add_account(path: Path, account: AccountSettings, *, make_default: bool = False) -> None:
    """Append ``[accounts.NAME]`` (only keys that differ from their default, plus the basics).

    Raises:
        ConfigError: the file does not load (it is left alone), or the name is taken.
    """
    import tomlkit

    def change(document: Any) -> None:
        accounts = document.get("accounts")
        if accounts is None:
            accounts = tomlkit.table(is_super_table=True)
            document["accounts"] = accounts
        if account.name in accounts:
            raise ConfigError(f"already has an account named {account.name!r}", path)
        table = tomlkit.table()
        for key, value in account_values(account).items():
            table[key] = value
        table.add(tomlkit.nl())  # a blank line before whatever table follows
        accounts[account.name] = table
        if make_default:
            document["default_account"] = account.name

    edit(path, change)


def account_values(account: AccountSettings) -> dict[str, object]:
    """The keys written for an account: the basics always, the rest where not the default."""
    connection = account.connection
    values: dict[str, object] = {}
    if account.address:
        values["address"] = account.address
    values.update(host=connection.host, port=connection.port, tls=account.tls,
                  username=connection.username)
    for key in ("display_name", "password_command"):
        if getattr(account, key):
            values[key] = getattr(account, key)
    if account.default_folder != "INBOX":
        values["default_folder"] = account.default_folder
    engine_fields = set(ConnectionConfig.field_names()) - {"host", "username", "port"}
    for key, setting in ACCOUNT_KEYS.items():
        if key in values or key not in engine_fields:
            continue
        value = getattr(connection, key)
        if value != setting.default and value is not None:
            values[key] = value
    return values


NEW_FILE_HEADER = (
    "sage-tui settings: the README's \"Configuration\" section lists every key.",
    "Passwords are never kept here: they live in the system keyring, or come from",
    "password_command or SAGE_TUI_PASSWORD.",
)


def edit(path: Path, change: Callable[[Any], None]) -> None:
    """Load ``path`` with tomlkit, apply ``change``, check the result loads, write atomically.

    A file that does not load as it is now is never touched: the error says where it is wrong.
    """
    import tomlkit

    text = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        parse_settings(text, path)
    document = tomlkit.parse(text)
    if not text.strip():
        for line in NEW_FILE_HEADER:
            document.add(tomlkit.comment(line))
        document.add(tomlkit.nl())
    change(document)
    new_text = tomlkit.dumps(document)
    parse_settings(new_text, path)  # what we write must load: never leave a broken file behind
    write_private(path, new_text)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 (a symlinked config stays linked)."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

