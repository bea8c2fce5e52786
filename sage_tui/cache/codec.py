"""``MessageSummary`` <-> compact cache records, built for reading 100,000 rows in a blink.

A record is a small dict of the summary's fields as ``marshal`` can store them (core types only:
strings, ints, tuples, dicts; loading never runs code): dates as ISO 8601 text, and flags and
people (From, To, Cc) as blobs of their own. Flags and people repeat across a folder (the same
few senders, "\\Seen"), so decoding keeps one object per distinct blob and gives it to every row
that has it. Records are stored a page at a time (``dump_page``): one ``marshal`` load makes
hundreds of them in C.

Reading turns each record into the summary's ``__dict__`` in place (the few fields that need
it: dates, flags, people) and makes the summary with ``object.__new__``, skipping the frozen
dataclass's ``__init__`` (one ``object.__setattr__`` per field), with the cyclic garbage
collector paused: about four times faster than the constructor. Fields at their default (no Cc,
no References) are left out of the dict, as the dataclass keeps defaults on the class. The
field list is checked against ``MessageSummary`` at import; if the model changes, ``CODEC``
changes (so old caches are rebuilt, never misread) and ``FAST_BUILD`` falls back to the
constructor until this module learns the new shape.

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

_OMITTED = {"to": (), "cc": (), "in_reply_to": None, "references": (), "raw": None}
"""Fields left out of a summary's ``__dict__`` at these values (read from the class)."""

_MODEL_FIELDS = tuple(field.name for field in dataclasses.fields(MessageSummary))
_MISSING = object()
FAST_BUILD = (
    _MODEL_FIELDS == FIELDS
    and not hasattr(MessageSummary, "__slots__")
    and all(MessageSummary.__dict__.get(name, _MISSING) == value
            for name, value in _OMITTED.items())
)
"""Whether summaries can be built straight from a ``__dict__`` (the model is as expected)."""

CODEC = f"pages1:marshal{marshal.version}:{','.join(_MODEL_FIELDS)}"
"""Identifies the record encoding; a cache written with another one is rebuilt."""

Record = dict[str, object]
"""One message as stored (see the module docstring)."""

_EMPTY_PEOPLE = marshal.dumps(((), (), ()))
_DECODE_ERRORS = (ValueError, TypeError, EOFError, KeyError, IndexError, AttributeError)
"""What damaged data raises while decoding (the store then treats the file as corrupt)."""


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


def encode(row: MessageSummary) -> Record:
    """One summary as a record (``raw``, the whole message, is never cached)."""
    record: Record = {
        "uid": row.uid,
        "subject": row.subject,
        "from_": _people_blob(row),
        "date": _encode_date(row.date),
        "internaldate": _encode_date(row.internaldate),
        "flags": encode_flags(row.flags),
        "size": row.size,
        "has_attachments": row.has_attachments,
        "message_id": row.message_id,
    }
    if row.in_reply_to is not None:
        record["in_reply_to"] = row.in_reply_to
    if row.references:
        record["references"] = tuple(row.references)
    return record


def _encode_date(value: datetime | None) -> str | None:
    # ISO 8601 keeps the offset (or its absence) exactly, and parses back in C.
    return value.isoformat() if value is not None else None


def dump_page(records: Iterable[Record]) -> bytes:
    """Records as one stored page, ascending by UID."""
    return marshal.dumps(sorted(records, key=_uid_of))


def load_page(blob: bytes) -> list[Record]:
    """A stored page's records, for changing them (``ValueError`` if it is damaged)."""
    try:
        records = marshal.loads(blob)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("not a list of records")
        for record in records:
            _uid_of(record)
    except _DECODE_ERRORS as exc:
        raise ValueError(f"a cached page does not decode: {exc}") from exc
    return records


def _uid_of(record: Record) -> int:
    uid = record["uid"]
    if not isinstance(uid, int):
        raise ValueError("a record without a UID")
    return uid


class Decoder:
    """Turns stored pages back into summaries, sharing equal flag sets and address lists.

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

    def pages(self, blobs: Iterable[bytes]) -> list[MessageSummary]:
        """Every summary of these pages, in page order; ``ValueError`` if one is damaged."""
        out: list[MessageSummary] = []
        try:
            with gc_paused():
                for blob in blobs:
                    self._build(marshal.loads(blob), out)
        except _DECODE_ERRORS as exc:
            raise ValueError(f"a cached page does not decode: {exc}") from exc
        return out

    def _build(self, records: list[Record], out: list[MessageSummary]) -> None:
        # The hot loop: one pass per row, locals only, each record becoming the summary's dict.
        if not FAST_BUILD:  # the model changed shape: slower, but never wrong
            out.extend(self._construct(records))
            return
        fromiso = datetime.fromisoformat
        flags_of, people_of = self._flags, self._people
        new, set_dict, add = object.__new__, object.__setattr__, out.append
        summary = MessageSummary
        for fields in records:
            blob = fields["flags"]
            flags = flags_of.get(blob)  # type: ignore[call-overload]
            if flags is None:  # (an empty frozenset is falsy: no ``or`` here)
                flags = self.flags(blob)  # type: ignore[arg-type]
            fields["flags"] = flags
            blob = fields["from_"]
            people = people_of.get(blob)  # type: ignore[call-overload]
            if people is None:
                people = self.people(blob)  # type: ignore[arg-type]
            fields["from_"] = people[0]
            if people[1]:
                fields["to"] = people[1]
            if people[2]:
                fields["cc"] = people[2]
            text = fields["date"]
            if text is not None:
                fields["date"] = fromiso(text)  # type: ignore[arg-type]
            text = fields["internaldate"]
            if text is not None:
                fields["internaldate"] = fromiso(text)  # type: ignore[arg-type]
            row = new(summary)
            set_dict(row, "__dict__", fields)
            add(row)


    def _construct(self, records: list[Record]) -> Iterator[MessageSummary]:
        for fields in records:
            people = self.people(fields.pop("from_"))  # type: ignore[arg-type]
            dates = {name: datetime.fromisoformat(fields[name])  # type: ignore[arg-type]
                     for name in ("date", "internaldate") if fields.get(name) is not None}
            known = {name: value for name, value in fields.items() if name in _MODEL_FIELDS}
            known.update(dates, flags=self.flags(fields["flags"]),  # type: ignore[arg-type]
                         from_=people[0], to=people[1], cc=people[2])
            yield MessageSummary(**known)  # type: ignore[arg-type]


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
