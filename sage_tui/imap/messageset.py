"""``MessageSet``: a set of UIDs kept as sorted, merged ranges.

Big folders make UID sets big: listing 20,000 UIDs one by one makes Dovecot answer
``BAD Too long argument``. Held as ranges, a set renders in IMAP's compressed form
(``1:500,502,510:900``), splits into commands that fit, and ``1:4294967295`` costs two integers,
not four billion.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator

MAX_UID = 2**32 - 1
"""UIDs are unsigned 32-bit numbers greater than zero (RFC 3501, nz-number)."""

Range = tuple[int, int]

_NUMBER = r"[1-9][0-9]{0,9}"
_WELL_FORMED = re.compile(rf"{_NUMBER}(?::{_NUMBER})?(?:,{_NUMBER}(?::{_NUMBER})?)*")
"""Sequence-set text as servers send it (an ESEARCH answer holds thousands of these tokens):
read in one fast pass; anything else goes through the checks that name the bad token."""


def _check_uid(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a UID must be an int, not {type(value).__name__}: {value!r}")
    if not 1 <= value <= MAX_UID:
        raise ValueError(f"a UID must be between 1 and {MAX_UID}, not {value}")
    return value


def _merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sort and merge overlapping or adjacent ranges."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


class MessageSet:
    """An immutable set of UIDs.

    Args:
        uids: UIDs as ints, one int, another ``MessageSet``, or IMAP text (``"1:5,9"``).

    Raises:
        TypeError: for values that are not ints (bools included).
        ValueError: for UIDs outside 1..4294967295 or malformed text.
    """

    __slots__ = ("_len", "_ranges", "_starts")

    def __init__(self, uids: Iterable[int] | int | str | MessageSet = ()) -> None:
        if isinstance(uids, MessageSet):
            ranges: tuple[Range, ...] = uids._ranges
        elif isinstance(uids, str):
            ranges = MessageSet.parse(uids)._ranges
        elif isinstance(uids, int) and not isinstance(uids, bool):
            uid = _check_uid(uids)
            ranges = ((uid, uid),)
        elif isinstance(uids, bytes | bytearray):
            raise TypeError("MessageSet takes ints or text, not bytes")
        else:
            ranges = _merge((uid, uid) for uid in map(_check_uid, uids))
        self._set_ranges(ranges)

    def _set_ranges(self, ranges: tuple[Range, ...]) -> None:
        self._ranges = ranges
        self._starts = [start for start, _ in ranges]
        self._len = sum(end - start + 1 for start, end in ranges)

    @classmethod
    def from_ranges(cls, ranges: Iterable[Range]) -> MessageSet:
        """Build from inclusive ``(start, end)`` pairs (in any order; reversed pairs are fine)."""
        checked = []
        for start, end in ranges:
            _check_uid(start)
            _check_uid(end)
            checked.append((min(start, end), max(start, end)))
        out = cls.__new__(cls)
        out._set_ranges(_merge(checked))
        return out

    @classmethod
    def parse(cls, text: str) -> MessageSet:
        """Parse IMAP sequence-set text such as ``"1:500,502,510:900"``.

        Reversed ranges (``"9:3"``), overlaps and duplicates are accepted, as IMAP allows.
        ``*`` is refused: a concrete set cannot hold "the highest UID, whatever it is".
        Leading zeros are refused too: RFC 3501's nz-number has none, and a server may read
        them differently.

        Raises:
            ValueError: naming the bad token and its position (1-based character column).
        """
        if not isinstance(text, str):
            raise TypeError(f"MessageSet.parse takes text, not {type(text).__name__}")
        if text == "":
            return cls()
        if _WELL_FORMED.fullmatch(text):
            fast: list[Range] = []
            for token in text.split(","):
                low, colon, high = token.partition(":")
                start = int(low)
                end = int(high) if colon else start
                fast.append((start, end) if start <= end else (end, start))
            if max(end for _, end in fast) <= MAX_UID:
                out = cls.__new__(cls)
                out._set_ranges(_merge(fast))
                return out
        ranges: list[Range] = []
        column = 1
        for token in text.split(","):
            bounds = token.split(":")
            if len(bounds) > 2:
                raise ValueError(f"bad UID range {token!r} at column {column}: too many ':'")
            numbers = [_parse_number(bound, token, column) for bound in bounds]
            ranges.append((min(numbers), max(numbers)))
            column += len(token) + 1
        return cls.from_ranges(ranges)

    # -- reading ----------------------------------------------------------------------------

    @property
    def ranges(self) -> tuple[Range, ...]:
        """The merged, ascending, inclusive ranges."""
        return self._ranges

    @property
    def first(self) -> int:
        if not self._ranges:
            raise ValueError("an empty MessageSet has no first UID")
        return self._ranges[0][0]

    @property
    def last(self) -> int:
        if not self._ranges:
            raise ValueError("an empty MessageSet has no last UID")
        return self._ranges[-1][1]

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return bool(self._ranges)

    def __iter__(self) -> Iterator[int]:
        for start, end in self._ranges:
            yield from range(start, end + 1)

    def __contains__(self, uid: object) -> bool:
        if isinstance(uid, bool) or not isinstance(uid, int):
            return False
        index = bisect.bisect_right(self._starts, uid) - 1
        return index >= 0 and uid <= self._ranges[index][1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageSet):
            return NotImplemented
        return self._ranges == other._ranges

    def __hash__(self) -> int:
        return hash(self._ranges)

    def __str__(self) -> str:
        return ",".join(
            str(start) if start == end else f"{start}:{end}" for start, end in self._ranges
        )

    def __repr__(self) -> str:
        return f"MessageSet({str(self)!r})"

    # -- algebra (on ranges, never on materialised UIDs) -------------------------------------

    def __or__(self, other: MessageSet) -> MessageSet:
        if not isinstance(other, MessageSet):
            return NotImplemented
        if not other._ranges or not self._ranges:  # (common: a union built up from empty)
            return self if other._ranges == () else other
        out = MessageSet.__new__(MessageSet)
        out._set_ranges(_merge(self._ranges + other._ranges))  # both hold checked UIDs
        return out

    def __and__(self, other: MessageSet) -> MessageSet:
        if not isinstance(other, MessageSet):
            return NotImplemented
        out: list[Range] = []
        i = j = 0
        a, b = self._ranges, other._ranges
        while i < len(a) and j < len(b):
            start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if start <= end:
                out.append((start, end))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return MessageSet.from_ranges(out)

    def __sub__(self, other: MessageSet) -> MessageSet:
        if not isinstance(other, MessageSet):
            return NotImplemented
        out: list[Range] = []
        holes = other._ranges
        j = 0
        for start, end in self._ranges:
            current = start
            while j < len(holes) and holes[j][1] < current:
                j += 1
            k = j
            while k < len(holes) and holes[k][0] <= end:
                if holes[k][0] > current:
                    out.append((current, holes[k][0] - 1))
                current = max(current, holes[k][1] + 1)
                k += 1
            if current <= end:
                out.append((current, end))
        return MessageSet.from_ranges(out)

    # -- splitting ----------------------------------------------------------------------------

    def chunks(self, size: int) -> Iterator[MessageSet]:
        """Consecutive pieces of at most ``size`` UIDs, ascending (FETCH: bounded responses)."""
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        piece: list[Range] = []
        room = size
        for start, end in self._ranges:
            while start <= end:
                take = min(room, end - start + 1)
                piece.append((start, start + take - 1))
                start += take
                room -= take
                if room == 0:
                    yield MessageSet.from_ranges(piece)
                    piece, room = [], size
        if piece:
            yield MessageSet.from_ranges(piece)

    def chunks_by_length(self, max_chars: int = 8000) -> Iterator[MessageSet]:
        """Consecutive pieces whose text is at most ``max_chars`` long (STORE/MOVE/EXPUNGE).

        ``max_chars`` must be at least 21, the longest single token (``a:b`` of two ten-digit
        UIDs), so that every range fits somewhere.
        """
        if max_chars < 21:
            raise ValueError("max_chars must be at least 21 (one 'a:b' token of 10-digit UIDs)")
        piece: list[Range] = []
        length = 0
        for rng in self._ranges:
            token = len(str(rng[0])) if rng[0] == rng[1] else len(f"{rng[0]}:{rng[1]}")
            extra = token + (1 if piece else 0)
            if piece and length + extra > max_chars:
                yield MessageSet.from_ranges(piece)
                piece, length, extra = [], 0, token
            piece.append(rng)
            length += extra
        if piece:
            yield MessageSet.from_ranges(piece)


def _parse_number(bound: str, token: str, column: int) -> int:
    if bound == "*":
        raise ValueError(
            f"'*' in {token!r} at column {column}: a MessageSet holds concrete UIDs only"
        )
    if not bound or not bound.isascii() or not bound.isdigit():
        raise ValueError(f"bad UID {bound!r} in {token!r} at column {column}")
    if bound.startswith("0"):
        raise ValueError(f"bad UID {bound!r} in {token!r} at column {column}: "
                         "UIDs start at 1 and have no leading zeros")
    value = int(bound)
    if value > MAX_UID:
        raise ValueError(f"UID {value} in {token!r} at column {column} is above {MAX_UID}")
    return value
