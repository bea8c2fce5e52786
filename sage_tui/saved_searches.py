"""Saved searches: a name, a query in the text language, and where to search.

Stored as JSON in the config directory (one file per account, mode 0600), written atomically
(a temporary file renamed over the old one) so that a crash never leaves half a file. A file
that cannot be read is reported, set aside as ``searches.json.bad``, and not overwritten
silently.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .locations import config_dir

if TYPE_CHECKING:
    from .imap.search import IMAPSearchCriteria

FILE_NAME = "searches.json"
SCOPES = ("folder", "all")


@dataclass(frozen=True)
class SavedSearch:
    """``scope`` "folder" searches ``folder``; "all" searches every folder of the account."""

    name: str
    query: str
    scope: str = "folder"
    folder: str = "INBOX"

    @property
    def criteria(self) -> IMAPSearchCriteria:
        from .imap.search import IMAPSearchCriteria

        return IMAPSearchCriteria.parse(self.query)

    def validate(self) -> SavedSearch:
        if not self.name.strip():
            raise ValueError("a saved search needs a name")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {self.scope!r}")
        self.criteria  # noqa: B018 - raises ValueError with the column of a bad query
        return self


class SearchStore:
    """Load, add, replace and delete saved searches in one file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME
        self.problem: str | None = None
        """Why the file could not be read, for one clear notice (then it is set aside)."""

    @classmethod
    def for_account(cls, label: str) -> SearchStore:
        """One file per account (``searches/<label>.json``): searches name its folders."""
        safe = re.sub(r"[^A-Za-z0-9@._-]+", "_", label).strip("._") or "account"
        return cls(config_dir() / "searches" / f"{safe}.json")

    def load(self) -> list[SavedSearch]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [SavedSearch(**item).validate() for item in data["searches"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as error:
            self.problem = f"{self.path} could not be read ({error}); it was set aside"
            self._set_aside()
            return []

    def save(self, searches: list[SavedSearch]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"searches": [asdict(s) for s in searches]}, indent=2,
                          ensure_ascii=False)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".searches-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def put(self, search: SavedSearch, *, replacing: str | None = None) -> list[SavedSearch]:
        """Add ``search``, replacing one with the same name (or the one named ``replacing``,
        when an edit renamed it, in its place); returns the new list."""
        search.validate()
        searches = self.load()
        old = {search.name, replacing or search.name}
        places = [i for i, s in enumerate(searches) if s.name in old]
        kept = [s for s in searches if s.name not in old]
        at = places[0] if places else len(kept)
        kept.insert(min(at, len(kept)), search)
        self.save(kept)
        return kept

    def delete(self, name: str) -> list[SavedSearch]:
        searches = [s for s in self.load() if s.name != name]
        self.save(searches)
        return searches

    def _set_aside(self) -> None:
        with contextlib.suppress(OSError):
            os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
