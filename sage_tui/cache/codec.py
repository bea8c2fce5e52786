"""``MessageSummary`` <-> compact cache row, built for reading 100,000 rows in a blink.

A row is four values: the flags, the people (From, To, Cc), and everything else, each a
``marshal`` blob (core types only: strings, ints, tuples; loading one never runs code), plus the
UID as its own column. Flags and people repeat across a folder (the same few senders, "\\Seen"),
so decoding keeps one object per distinct blob and hands it to every row that has it.

Reading builds each summary with ``object.__new__`` and its ``__dict__`` in one step, skipping
the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field), with the cyclic
garbage collector paused: together about three times faster than the constructor. The field list
is checked against ``MessageSummary`` at import; if the model grows a field, ``CODEC`` changes
(so old caches are rebuilt, never misread) and ``FAST_BUILD`` falls back to the constructor until
this module learns the field.

``\\Recent`` is never stored: it belongs to one server session, so a cached row keeps the flags
that mean the same thing in the next one.
"""

from __future__ import annotations

import dataclasses
import gc
import marshal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sage_tui.imap.models import Address, MessageSummary

SESSION_FLAGS = frozenset({"\\Recent"})
"""Flags that describe a server session rather than the message: left out of the cache."""

FIELDS = (
    "uid", "subject", "from_", "to", "cc", "date", "internaldate", "flags", "size",
    "has_attachments", "message_id", "in_reply_to", "references", "raw",
)
"""The ``MessageSummary`` fields this codec knows, in declaration order."""

_MODEL_FIELDS = tuple(field.name for field in dataclasses.fields(MessageSummary))
FAST_BUILD = _MODEL_FIELDS == FIELDS and not hasattr(MessageSummary, "__slots__")
"""Whether summaries can be built straight from a ``__dict__`` (the model is as expected)."""

CODEC = f"marshal{marshal.version}:{','.join(_MODEL_FIELDS)}"
"""Identifies the row encoding; a cache written with another one is rebuilt."""

EncodedRow = tuple[int, bytes, bytes, bytes]
"""(uid, flags, people, rest) as stored."""

_EMPTY_PEOPLE = marshal.dumps(((), (), ()))


def stored_flags(flags: Iterable[str]) -> frozenset[str]:
    """The flags as the cache keeps them: without the session-only ones."""
    flags = frozenset(flags)
    return flags - SESSION_FLAGS if flags & SESSION_FLAGS else flags


def encode_flags(flags: Iterable[str]) -> bytes:
    flags = frozenset(flags)
    found = _flag_blobs.get(flags)
    if found is None:
        found = marshal.dumps(tuple(sorted(stored_flags(flags))))
        if len(_flag_blobs) < _MEMO_LIMIT:
            _flag_blobs[flags] = found
    return found


def _people_blob(row: MessageSummary) -> bytes:
    key = (row.from_, row.to, row.cc)
    found = _people_blobs.get(key)
    if found is None:
        found = marshal.dumps(tuple(
            tuple((a.name, a.email) for a in addresses) for addresses in key
        ))
        if len(_people_blobs) < _MEMO_LIMIT:
            _people_blobs[key] = found
    return found


_MEMO_LIMIT = 4096
"""Distinct flag sets and address lists remembered while encoding (most repeat)."""
_flag_blobs: dict[frozenset[str], bytes] = {}
_people_blobs: dict[tuple[tuple[Address, ...], ...], bytes] = {}


def encode(row: MessageSummary) -> EncodedRow:
    """One summary as a cache row (``raw``, the whole message, is never cached)."""
    rest = (
        row.subject,
        _encode_date(row.date),
        _encode_date(row.internaldate),
        row.size,
        row.has_attachments,
        row.message_id,
        row.in_reply_to,
        tuple(row.references),
    )
    return (row.uid, encode_flags(row.flags), _people_blob(row), marshal.dumps(rest))


def _encode_date(value: datetime | None) -> str | None:
    # ISO 8601 keeps the offset (or its absence) exactly, and parses back in C.
    return value.isoformat() if value is not None else None


class Decoder:
    """Turns stored rows back into summaries, sharing equal flag sets and address lists.

    One decoder serves one read (its tables hold only what that read met).
    """

    def __init__(self) -> None:
        self._flags: dict[bytes, frozenset[str]] = {}
        self._people: dict[bytes, tuple[tuple[Address, ...], ...]] = {
            _EMPTY_PEOPLE: ((), (), ())
        }

    def flags(self, blob: bytes) -> frozenset[str]:
        found = self._flags.get(blob)
        if found is None:
            found = self._flags[blob] = frozenset(marshal.loads(blob))
        return found

    def people(self, blob: bytes) -> tuple[tuple[Address, ...], ...]:
        found = self._people.get(blob)
        if found is None:
            lists = marshal.loads(blob)
            found = self._people[blob] = tuple(
                tuple(Address(name, email) for name, email in addresses) for addresses in lists
            )
        return found

    def rows(self, stored: Iterable[EncodedRow]) -> list[MessageSummary]:
        """Decode many rows; raises ``ValueError`` (or ``TypeError``/``EOFError``) on a
        damaged blob, which the store treats as a corrupt cache."""
        with gc_paused():
            return list(self._build(stored))

    def _build(self, stored: Iterable[EncodedRow]) -> Iterator[MessageSummary]:
        loads, fromiso = marshal.loads, datetime.fromisoformat
        flags_of, people_of = self._flags, self._people
        new, set_dict = object.__new__, object.__setattr__
        summary = MessageSummary
        for uid, flags_blob, people_blob, rest in stored:
            subject, date, internaldate, size, attachments, message_id, reply_to, refs = loads(
                rest
            )
            flags = flags_of.get(flags_blob)
            if flags is None:  # (an empty frozenset is falsy: no ``or`` here)
                flags = self.flags(flags_blob)
            people = people_of.get(people_blob)
            if people is None:
                people = self.people(people_blob)
            from_, to, cc = people
            fields = {
                "uid": uid,
                "subject": subject,
                "from_": from_,
                "to": to,
                "cc": cc,
                "date": fromiso(date) if date is not None else None,
                "internaldate": fromiso(internaldate) if internaldate is not None else None,
                "flags": flags,
                "size": size,
                "has_attachments": attachments,
                "message_id": message_id,
                "in_reply_to": reply_to,
                "references": refs,
                "raw": None,
            }
            if FAST_BUILD:
                row = new(summary)
                set_dict(row, "__dict__", fields)
                yield row
            else:  # the model changed shape: slower, but never wrong
                known = {name: fields[name] for name in _MODEL_FIELDS if name in fields}
                yield summary(**known)


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are made.

    Building 100,000 summaries makes about a million objects, which would trigger a dozen
    collections that each walk everything made so far (and find nothing: these objects hold
    no cycles). Reference counting still frees memory meanwhile. Nested and concurrent pauses
    are counted, so the collector is switched back on by the last one out, and only if it was
    on before the first one.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()
