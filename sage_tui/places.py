"""Where the rows of a view live: one folder, or several (a search across folders).

The message list, its selection and its cursor are keyed by one integer per row. In a folder
view that is the message's UID. A search across folders lists messages of many folders at once,
whose UIDs collide (UID 7 exists in INBOX and in Archive), so each row gets a *view key* that
encodes the folder and the UID together; every action first turns view keys back into
``(folder, UIDs)`` groups and talks to each folder on its own, under the UIDVALIDITY its rows
were listed with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .imap.models import MessageSummary, SelectInfo

UID_BITS = 32
"""UIDs are 32-bit (RFC 9051), so the folder's index fits above them without overlap."""
_UID_MASK = (1 << UID_BITS) - 1


@dataclass(frozen=True)
class Group:
    """The rows of one folder that an action touches."""

    info: SelectInfo
    keys: tuple[int, ...]
    """View keys, as the list knows the rows."""
    uids: tuple[int, ...]
    """The same messages' UIDs in ``info.name``, as the server knows them."""

    @property
    def folder(self) -> str:
        return self.info.name


@dataclass
class Places:
    """The folders a cross-folder view lists, and the SELECT result each was searched under."""

    folders: list[str] = field(default_factory=list)
    infos: dict[int, SelectInfo] = field(default_factory=dict)

    def add_folder(self, info: SelectInfo) -> int:
        """Register a searched folder; returns its index for ``key``."""
        self.folders.append(info.name)
        index = len(self.folders) - 1
        self.infos[index] = info
        return index

    @staticmethod
    def key(index: int, uid: int) -> int:
        return (index + 1) << UID_BITS | uid

    @staticmethod
    def split(key: int) -> tuple[int, int]:
        """``(folder index, UID)`` of a view key."""
        return (key >> UID_BITS) - 1, key & _UID_MASK

    def folder_of(self, key: int) -> str:
        index, _ = self.split(key)
        return self.folders[index] if 0 <= index < len(self.folders) else ""

    def info_of(self, key: int) -> SelectInfo | None:
        return self.infos.get(self.split(key)[0])

    def groups(self, keys: Sequence[int]) -> list[Group]:
        """View keys grouped by folder, in the order the folders were searched."""
        by_index: dict[int, list[int]] = {}
        for key in keys:
            by_index.setdefault(self.split(key)[0], []).append(key)
        return [
            Group(self.infos[index], tuple(members), tuple(self.split(k)[1] for k in members))
            for index, members in sorted(by_index.items()) if index in self.infos
        ]


def rekey(index: int, rows: Iterable[MessageSummary]) -> list[MessageSummary]:
    """Rows fetched from the view's folder number ``index``, keyed for the view.

    A plain function of its arguments, so that a worker thread can key rows without touching
    the view's ``Places`` (which the UI thread owns).
    """
    return [replace(row, uid=Places.key(index, row.uid)) for row in rows]


def single_folder_groups(info: SelectInfo, uids: Sequence[int]) -> list[Group]:
    """A folder view: view keys are UIDs, and there is one group."""
    return [Group(info, tuple(uids), tuple(uids))] if uids else []
