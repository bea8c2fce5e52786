"""Resync: what changed on the server since a folder was cached, asked as cheaply as it allows.

Four ways, the cheapest the server and the cache allow:

- ``unchanged``: HIGHESTMODSEQ is what the cache recorded. Every change to a folder (a flag, an
  expunge, new mail) raises it, so nothing else is asked: the SELECT was the whole resync.
- ``qresync``: ``UID FETCH 1:4294967295 (FLAGS) (CHANGEDSINCE m VANISHED)`` answers the flags of
  every message changed or added since ``m``, and the UIDs expunged since ``m``, in one command.
- ``condstore``: the same without VANISHED; expunges come from a ``UID SEARCH ALL`` difference.
- ``uids``: no CONDSTORE (or no mod-sequence recorded): ``UID SEARCH ALL`` gives new and expunged
  UIDs by difference, and the flags of every cached message are read again.

New messages (UIDs the cache does not hold) are then fetched whole. Applying the result to the
cached rows gives what a fresh full listing would give, ``\\Recent`` aside (it belongs to one
session; the cache never stores it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sage_tui.imap.mailbox import IMAPMailboxService
from sage_tui.imap.messageset import MessageSet
from sage_tui.imap.models import MessageSummary, SelectInfo

from .codec import stored_flags
from .store import CachedFolder, HeaderCache


@dataclass(frozen=True)
class FolderDelta:
    """How a cached folder differs from the server, as of ``info``.

    Attributes:
        info: The SELECT the resync started from; the cache records it as the new state.
        added: Summaries of messages the cache did not hold, ascending by UID.
        flags: Cached messages whose flags changed: UID -> flags now (without ``\\Recent``).
        removed: Cached UIDs that are gone from the server.
        method: "unchanged", "qresync", "condstore" or "uids" (see the module docstring).
    """

    info: SelectInfo
    added: list[MessageSummary]
    flags: dict[int, frozenset[str]]
    removed: frozenset[int]
    method: str

    @property
    def empty(self) -> bool:
        return not (self.added or self.flags or self.removed)


def resync(
    service: IMAPMailboxService,
    cached: CachedFolder,
    info: SelectInfo,
    *,
    condstore: bool = True,
    qresync: bool = True,
) -> FolderDelta:
    """Ask the server what changed in the folder since ``cached`` was stored.

    Args:
        service: A service whose current folder is the cached one, as selected for ``info``.
        cached: The cached folder; its UIDVALIDITY must equal ``info``'s (else the caller
            discards it and lists the folder afresh).
        info: The SELECT just done.
        condstore: Use CONDSTORE where the server and the cache allow (False forces ``uids``).
        qresync: Use QRESYNC's VANISHED where the server allows.

    Raises:
        ValueError: the UIDVALIDITY differs (the cached UIDs mean other messages).
        IMAPError: from the server, as the service raises it.
    """
    state = cached.state
    if info.uidvalidity != state.uidvalidity:
        raise ValueError(f"{cached.name}: UIDVALIDITY changed; the cache cannot be resynced")
    since = state.highestmodseq
    now = info.highestmodseq
    if condstore and since is not None and now is not None and now == since:
        return FolderDelta(info, [], {}, frozenset(), "unchanged")
    known = {row.uid: row.flags for row in cached.rows}
    if condstore and since is not None and now is not None and now > since:
        changes = service.changes_since(since, vanished=qresync)
        if changes.vanished is not None:
            removed = _cached_among(known, changes.vanished)
            method = "qresync"
        else:
            removed = frozenset(known.keys() - set(service.search(fresh=True)))
            method = "condstore"
        current = changes.flags
        new_uids = [uid for uid in current if uid not in known]
    else:
        present = service.search(fresh=True)
        removed = frozenset(known.keys() - set(present))
        new_uids = [uid for uid in present if uid not in known]
        still = [uid for uid in present if uid in known]
        current = {row.uid: row.flags for row in service.fetch(still, fields=["FLAGS"])
                   } if still else {}
        # Listed by SEARCH but gone by the time of the FETCH: expunged in between.
        removed = removed | frozenset(uid for uid in still if uid not in current)
        method = "uids"
    flags = {}
    for uid, now_flags in current.items():
        before = known.get(uid)
        if before is not None and uid not in removed:
            kept = stored_flags(now_flags)
            if kept != before:
                flags[uid] = kept
    added = service.fetch(sorted(new_uids)) if new_uids else []
    return FolderDelta(info, added, flags, removed, method)


def _cached_among(known: dict[int, frozenset[str]], vanished: MessageSet) -> frozenset[int]:
    """The cached UIDs in ``vanished``, whichever side is smaller to walk."""
    if len(vanished) <= len(known):
        return frozenset(uid for uid in vanished if uid in known)
    return frozenset(uid for uid in known if uid in vanished)


def apply_delta(rows: Iterable[MessageSummary], delta: FolderDelta) -> list[MessageSummary]:
    """The cached rows brought up to date: what the server holds now, ascending by UID."""
    out = {row.uid: row for row in rows if row.uid not in delta.removed}
    for uid, flags in delta.flags.items():
        row = out.get(uid)
        if row is not None:
            out[uid] = replace(row, flags=flags)
    for row in delta.added:
        out[row.uid] = row
    return [out[uid] for uid in sorted(out)]


def store_delta(cache: HeaderCache, account: str, cached: CachedFolder, delta: FolderDelta
                ) -> bool:
    """Record the resync in the cache (one transaction); False if the cache moved on meanwhile."""
    return cache.apply(account, cached.name, cached.state, delta.info, removed=delta.removed,
                       rows=delta.added, flags=delta.flags)
