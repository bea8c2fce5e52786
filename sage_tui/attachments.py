"""Saving attachments: a file name the sender cannot turn into a weapon, and no overwrites.

The name in a message is the sender's choice: ``../../.bashrc``, ``/etc/passwd``,
``C:\\Windows\\evil.exe``, ``CON``, an ANSI escape, or ``invoice\u202efdp.exe`` (which a bidi
override shows as "invoiceexe.pdf"). ``safe_filename`` reduces any of those to one plain name
with no directory part, and ``save_bytes`` writes it inside the chosen directory only, creating
the file exclusively: an existing file is never replaced; ``name (1).ext`` is used instead.

No Textual here: the UI calls this from a thread worker.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 200
"""Below every common file system's 255-byte limit, with room for " (999)"."""
FALLBACK_NAME = "attachment"

_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{n}" for n in "123456789¹²³"}
    | {f"LPT{n}" for n in "123456789¹²³"}
)
_RESERVED = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_LINE_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def safe_filename(name: str, *, fallback: str = FALLBACK_NAME) -> str:
    """A file name safe to create in any directory on Linux, macOS and Windows.

    Only the last path component is kept (``/`` and ``\\`` both count), control and format
    characters (C0, C1, DEL, bidi overrides, zero-width) are dropped, characters Windows
    refuses become ``_``, leading dots (hidden files, ``..``) and trailing dots and spaces are
    removed, a Windows device name (``CON``, ``nul.txt``, ``COM1``) gets a ``_`` in front, and
    the name is cut to ``MAX_NAME_BYTES`` of UTF-8 keeping its extension. What is left of an
    empty or hopeless name is ``fallback``.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.translate(_LINE_SPACES)
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf"))
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip()
    name = name.lstrip(".").rstrip(". ")
    if not name:
        return fallback
    stem = name.split(".", 1)[0].strip().upper()
    if stem in _WINDOWS_DEVICES:
        name = "_" + name
    return _shorten(name)


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode("utf-8")) > 20:
        stem, extension = name, ""
    room = MAX_NAME_BYTES - len(extension.encode("utf-8")) - (1 if extension else 0)
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return f"{cut}.{extension}" if extension else cut


def numbered(name: str, number: int) -> str:
    """``report.pdf`` -> ``report (1).pdf``; ``archive.tar.gz`` -> ``archive (1).tar.gz``."""
    stem, dot, extension = name.partition(".") if not name.startswith(".") else (name, "", "")
    return f"{stem} ({number}){dot}{extension}"


def default_directory() -> Path:
    """``~/Downloads`` where it exists, else the directory sage-tui was started in."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()


def save_bytes(directory: Path, name: str, data: bytes, *, max_tries: int = 1000) -> Path:
    """Write ``data`` to a new file named after ``name`` inside ``directory``.

    Returns:
        The path written: ``directory / safe_filename(name)``, or the first free
        ``name (n).ext`` when that exists (a file, a directory or a symlink alike).

    Raises:
        NotADirectoryError: ``directory`` is missing or not a directory.
        OSError: the file could not be written (permissions, disk full); nothing half-written
            is left behind.
    """
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    safe = safe_filename(name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(
        os, "O_BINARY", 0)
    for number in range(max_tries):
        candidate = directory / (safe if number == 0 else numbered(safe, number))
        try:
            descriptor = os.open(candidate, flags, 0o666)  # the umask decides, as for any file
        except FileExistsError:
            continue
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        except BaseException:
            candidate.unlink(missing_ok=True)
            raise
        return candidate
    raise FileExistsError(f"{max_tries} files named like {safe} already exist in {directory}")
