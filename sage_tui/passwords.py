"""Where an account's password comes from: ``password_command``, the keyring, or the environment.

The order is the user's intent, most specific first: a configured ``password_command`` (``pass
show mail/work``) wins; else the system keyring (service ``sage-tui``, one entry per account
name); else ``SAGE_TUI_PASSWORD``. The password is held only in memory and never appears in an
error: a failing command's output is not echoed (it may be the secret itself, or part of it).

A headless box often has ``keyring`` installed with no backend that works; that is detected up
front (``keyring_status``) and said in words with the alternatives, instead of a traceback.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

from .logs import register_secret
from .settings import AccountSettings

SERVICE = "sage-tui"
"""The keyring service name; the account's name is the keyring user name."""
PASSWORD_VARIABLE = "SAGE_TUI_PASSWORD"
COMMAND_TIMEOUT = 30.0
"""Seconds a ``password_command`` may take (long enough for a GPG pinentry)."""
ALTERNATIVES = (f'set password_command = "..." for the account in config.toml (for example '
                f'"pass show mail/work"), or set {PASSWORD_VARIABLE} in the environment')


class PasswordError(Exception):
    """No password could be found or stored; the message says why and what to do."""


class KeyringUnavailable(PasswordError):
    """No keyring backend works here (typically a headless machine)."""


@dataclass(frozen=True)
class Password:
    """A password and where it came from (``source`` is shown; ``value`` never is)."""

    value: str = field(repr=False)
    source: str


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str
    """The backend's class name, e.g. ``SecretService Keyring`` or ``fail Keyring``."""
    reason: str = ""


def keyring_status() -> KeyringStatus:
    """Whether the keyring has a backend that can store secrets here, and which one."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency; a broken install
        return KeyringStatus(False, "none", "the keyring package is not installed")
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__.rsplit('.', 1)[-1]} {type(backend).__name__}"
    if isinstance(backend, fail.Keyring | null.Keyring):
        return KeyringStatus(False, name, "no system keyring is available here (no Secret "
                                          "Service, KWallet or macOS Keychain found)")
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return KeyringStatus(False, name, "no system keyring is available here")
    return KeyringStatus(True, name)


def unavailable_message(status: KeyringStatus) -> str:
    return f"The keyring cannot be used: {status.reason}. Instead, {ALTERNATIVES}."


def store_password(account_name: str, password: str) -> None:
    """Store the password in the keyring under ``sage-tui`` / ``account_name``.

    Raises:
        KeyringUnavailable: no working backend, or the backend refused; the message offers
            ``password_command`` and ``SAGE_TUI_PASSWORD`` instead.
    """
    status = keyring_status()
    if not status.usable:
        raise KeyringUnavailable(unavailable_message(status))
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, account_name, password)
    except (KeyringError, OSError) as error:
        raise KeyringUnavailable(
            f"The keyring ({status.backend}) refused to store the password "
            f"({type(error).__name__}). Instead, {ALTERNATIVES}.") from None


def keyring_password(account_name: str) -> str | None:
    """The stored password, or None when there is none or no keyring works."""
    if not keyring_status().usable:
        return None
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, account_name)
    except (KeyringError, OSError):
        return None


def run_password_command(command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run ``command`` without a shell; its standard output, trimmed, is the password.

    Raises:
        PasswordError: the command is missing, fails, times out or prints nothing. The message
            never contains what the command printed.
    """
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise PasswordError(f"password_command cannot be split into words ({error})") from None
    if not argv:
        raise PasswordError("password_command is empty")
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise PasswordError(f"password_command: {argv[0]!r} was not found") from None
    except PermissionError:
        raise PasswordError(f"password_command: {argv[0]!r} cannot be run (permission "
                            "denied)") from None
    except subprocess.TimeoutExpired:
        raise PasswordError(f"password_command did not finish within {timeout:g} seconds"
                            ) from None
    except OSError as error:
        raise PasswordError(f"password_command could not start ({error.strerror})") from None
    if result.returncode != 0:
        raise PasswordError(f"password_command failed (exit status {result.returncode}); its "
                            "output is not shown because it may contain the password")
    try:
        password = result.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PasswordError("password_command printed something that is not UTF-8") from None
    if not password:
        raise PasswordError("password_command printed nothing")
    return password


def resolve_password(account: AccountSettings, environ: Mapping[str, str] | None = None
                     ) -> Password:
    """The account's password from the first source that has one.

    Raises:
        PasswordError: the configured command failed (no fall back: the user chose it), or no
            source has a password; the message lists where to put one.
    """
    found = _find_password(account, os.environ if environ is None else environ)
    if found is not None:
        register_secret(found.value)  # the log file shows *** wherever it would appear
        return found
    status = keyring_status()
    keyring_words = (f"none is stored in the keyring for {account.name!r}" if status.usable
                     else f"the keyring cannot be used ({status.reason})")
    raise PasswordError(f"No password for account {account.name!r}: {keyring_words}. Run the "
                        f"setup again to store one, or {ALTERNATIVES}.")


def _find_password(account: AccountSettings, environ: Mapping[str, str]) -> Password | None:
    if account.password_command:
        return Password(run_password_command(account.password_command), "password_command")
    stored = keyring_password(account.name)
    if stored:
        return Password(stored, "keyring")
    value = environ.get(PASSWORD_VARIABLE)
    return Password(value, PASSWORD_VARIABLE) if value else None
