"""Structured log lines in a rotating file: what the engine did, how long it took, how it ended.

One record is one line of ``key=value`` pairs (the "logfmt" style), always in this order::

    time=2025-05-01T10:22:33.123Z level=INFO logger=sage_tui.imap.runner msg="listing folders \
(alice@imap.example.com)" op=list_folders duration_ms=3.1 outcome=ok attempts=1

``time`` is UTC with milliseconds, ``msg`` is the sentence, then come the record's own fields
(for engine operations ``op``, ``folder``, ``duration_ms``, ``outcome`` = ``ok`` or the error
class, ``attempts``, ``error``; for engine events ``event`` = retry, connect, state-change...), and
``exc`` last when an exception was logged. A value with a space, a quote, ``=``, a backslash or
any control character is double-quoted with backslash escapes (``\\" \\\\ \\n \\t \\xNN``), so a
record is always exactly one line: a folder name holding a newline or an ANSI escape can neither
forge a line nor colour the terminal of whoever reads the file. Grep it, or split it with any
logfmt reader.

Passwords and message bodies are never logged: the engine logs operations, folder names and error
sentences (already scrubbed by ``imap.errors``), never data. As belt and braces every secret
registered with ``register_secret`` (the account's password) is replaced by ``***`` in every
record that reaches the file, and the file and its directory are private to the user.

The file lives in ``platformdirs.user_log_path("sage-tui")`` (``~/.local/state/sage-tui/log`` on
Linux), or in ``$SAGE_TUI_LOG_DIR``. Nothing happens at import time: ``setup_logging()`` is called
by the command line, so tests and scripts that import the engine write nothing. A directory that
cannot be written costs one warning on stderr, never the app.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from platformdirs import user_log_path

APP_NAME = "sage-tui"
LOG_DIR_VARIABLE = "SAGE_TUI_LOG_DIR"
LOG_FILE_NAME = "sage-tui.log"
MAX_BYTES = 1_000_000
"""Size at which the file is rotated."""
BACKUP_COUNT = 3
"""Rotated files kept (``sage-tui.log.1`` .. ``.3``): at most about 4 MB of logs in all."""

_STANDARD_FIELDS = frozenset(
    [*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime", "taskName"]
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_installed: logging.Handler | None = None


def log_dir() -> Path:
    """Where the log file goes: ``$SAGE_TUI_LOG_DIR`` or the platform's user log directory."""
    override = os.environ.get(LOG_DIR_VARIABLE)
    return Path(override) if override else user_log_path(APP_NAME, appauthor=False)


def register_secret(secret: str) -> None:
    """Never let ``secret`` reach the log file: it is replaced by ``***`` in every record."""
    if secret:
        with _secrets_lock:
            _secrets.add(secret)


def forget_secrets() -> None:
    """Drop every registered secret (a test, or an account removed)."""
    with _secrets_lock:
        _secrets.clear()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest secrets first)."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def quote(value: str) -> str:
    """A logfmt value: bare when safe, else double-quoted with every special character escaped."""
    if value and all(ch.isprintable() and ch not in ' "=\\' for ch in value):
        return value
    return '"' + "".join(_escape(ch) for ch in value) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _field(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return quote(str(value))


class KeyValueFormatter(logging.Formatter):
    """Formats a record as one logfmt line (see the module docstring for the order of keys)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        parts = [
            f"time={stamp.strftime('%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z",
            f"level={record.levelname}",
            f"logger={quote(record.name)}",
            f"msg={quote(record.getMessage())}",
        ]
        for key, value in record.__dict__.items():
            if key not in _STANDARD_FIELDS and not key.startswith("_") and value is not None:
                parts.append(f"{key}={_field(value)}")
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"exc={quote(record.exc_text)}")
        return redact(" ".join(parts))


class RedactSecrets(logging.Filter):
    """Replaces registered secrets in the message, the fields and the traceback of a record.

    It changes the record itself (the message is rendered first), so every handler after this
    one sees the redacted text too. The formatter redacts its finished line once more: a secret
    is caught before quoting (here) and after it (there).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        with _secrets_lock:
            if not _secrets:
                return True
        try:
            record.msg = redact(record.getMessage())
            record.args = None
        except Exception:  # a bad format string: keep the raw text, redacted
            record.msg, record.args = redact(str(record.msg)), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_FIELDS and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file readable by its owner only, which never disturbs the app it logs for.

    Folder names and error sentences are nobody else's business, so every file (the first and
    each one a rotation starts) is created with mode 0600. A failed write (disk full, file
    removed) is dropped silently: the default ``handleError`` prints a traceback on stderr,
    which is the terminal the TUI draws on.
    """

    def _open(self) -> IO[str]:
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """Lose the record rather than print a traceback over the app."""


def setup_logging(level: int = logging.INFO, *, stderr: IO[str] | None = None) -> Path | None:
    """Send sage-tui's log records to the rotating file; returns its path (None: no file).

    The handler goes on the root logger, so warnings from libraries are kept too; ``sage_tui``
    loggers log from ``level`` up. Calling it again replaces the handler installed before (a
    test pointing ``SAGE_TUI_LOG_DIR`` elsewhere). When the directory cannot be created or the
    file cannot be opened, one sentence goes to ``stderr`` and records are discarded: without
    any handler Python would print warnings on the terminal the TUI draws on.
    """
    global _installed
    shutdown_logging()
    directory = log_dir()
    path: Path | None = directory / LOG_FILE_NAME
    handler: logging.Handler
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8",
            errors="backslashreplace",
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"sage-tui: not writing a log file: {directory} cannot be written ({reason})",
              file=stderr or sys.stderr)
        handler, path = logging.NullHandler(), None
    handler.setLevel(level)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(KeyValueFormatter())
    logging.getLogger().addHandler(handler)
    logging.getLogger("sage_tui").setLevel(level)
    _installed = handler
    return path


def shutdown_logging() -> None:
    """Remove and close the handler ``setup_logging`` installed, if any."""
    global _installed
    handler, _installed = _installed, None
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    logging.getLogger("sage_tui").setLevel(logging.NOTSET)
    handler.close()
