"""The few IMAP commands that imapclient's public API cannot send correctly for us.

- ``IMAPClient.fetch`` filters its result through ``int()`` of each requested id, so a compressed
  UID set (``1:500,502``) raises ``ValueError``; listing UIDs one by one instead makes Dovecot
  answer ``BAD Too long argument`` on big folders. ``uid_fetch`` sends the compressed set.
- ``IMAPClient.search`` loses the charset inside nested criteria and quotes values only when they
  contain a space, quote or backslash (a value with a parenthesis or brace breaks the command).
  ``search`` sends the argument list that ``IMAPSearchCriteria.to_wire()`` built, and keeps each
  answer (one line) well below imaplib's line limit on folders of any size (see ``search``).
- Response codes (COPYUID, APPENDUID) are kept by imaplib in ``untagged_responses``.
- ``IMAPClient.idle_check`` aborts when a line arrives split across TCP segments; ``idle_wait``
  reads whole lines.

These use imaplib/imapclient internals (``_imap``, ``_raw_command_untagged``) in this one module,
so an imapclient upgrade that changes them breaks here, where the engine tests against Dovecot
will show it.
"""

from __future__ import annotations

import imaplib
import re
import select
from collections.abc import Sequence

import imapclient
from imapclient.exceptions import ProtocolError

from . import responses
from .messageset import MAX_UID, MessageSet
from .salvage import parse_fetch

FetchData = dict[int, dict[bytes, object]]


RawFetch = list[bytes | tuple[bytes, bytes]]
"""FETCH responses as imaplib reads them: lines, and (line, literal) pairs."""


def fetch_raw(
    raw: imapclient.IMAPClient,
    message_set: str,
    items: Sequence[str],
    *,
    uid: bool = True,
    modifiers: Sequence[str] = (),
) -> RawFetch:
    """``[UID] FETCH <set> (<items>)``, unparsed: the caller chooses the parser."""
    if not message_set:
        return []
    args = ["FETCH", message_set, "(" + " ".join(items) + ")"]
    if modifiers:
        args.append("(" + " ".join(modifiers) + ")")
    if uid:
        args.insert(0, "UID")
    imap = raw._imap
    tag = imap._command(*args)
    typ, data = responses.complete(imap, "FETCH", tag)
    raw._checkok("fetch", typ, data)
    # imaplib's _untagged_response, without its debug log: imapclient sets debug = 5, which
    # formats the repr of the whole answer even when nobody logs it.
    data = imap.untagged_responses.pop("FETCH", [])
    return [item for item in data if item is not None]


def fetch(
    raw: imapclient.IMAPClient,
    message_set: str,
    items: Sequence[str],
    *,
    uid: bool = True,
    modifiers: Sequence[str] = (),
) -> FetchData:
    """``[UID] FETCH <set> (<items>)`` parsed by imapclient, keyed by UID (or sequence number)."""
    data = fetch_raw(raw, message_set, items, uid=uid, modifiers=modifiers)
    if not data:
        return {}
    parsed = parse_fetch(data)  # one malformed message does not hide the others
    if not uid:
        return dict(parsed)
    # Keyed by UID; an unsolicited FETCH (another client's flag change) carries no UID: drop it.
    return {item[b"UID"]: item for item in parsed.values() if b"UID" in item}  # type: ignore[misc]


def search(
    raw: imapclient.IMAPClient, args: list[bytes], *, esearch: bool = False, lowest: int = 1
) -> list[int]:
    """``UID SEARCH <args>`` on a folder of any size; ascending, de-duplicated UIDs >= ``lowest``.

    The answer to a search is one line, and imaplib refuses a line over ``imaplib._MAXLINE``
    (1,000,000 bytes): a plain ``UID SEARCH ALL`` breaks at about 140,000 messages. ESEARCH's
    compact set (``1:5000,5002:99999``) is short for runs, but as long as a plain list when
    matches alternate (every other message unread). So the UIDs are searched in ranges that
    cannot hold more UIDs than fit in half the limit however the matches fall (``_span``), each
    ANDed with the criteria; a folder that fits in one range costs one search, as before.

    The ranges end at the highest UID of this connection's view of the folder (``_highest``),
    not at a count the engine remembers: that count misses EXISTS and EXPUNGE announced during
    other commands. So mail announced during the search (an archive imported meanwhile) cannot
    swell an answer; when the server announced mail during a round, another round covers the
    UIDs above it. After ``_MAX_ROUNDS`` the rest is newer than the search, left to the next.

    Args:
        raw: A connection with the folder selected.
        args: Search keys as ``IMAPSearchCriteria.to_wire()`` builds them.
        esearch: The server offers ESEARCH (RFC 4731): ask for ``RETURN (ALL)`` answers.
        lowest: Only UIDs from here up are wanted (new mail); the ranges start here, so a search
            for new mail in a huge folder costs one or two commands, not one per range.
    """
    untagged = raw._imap.untagged_responses
    found: list[int] = []
    start = lowest
    announced: bytes | None = None
    for _ in range(_MAX_ROUNDS):
        untagged.pop("EXISTS", None)  # mail announced before now is in the view already
        try:
            last = _highest(raw)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:  # '*' refused: one search, as before ranges existed
            return _merge(found, search_once(raw, _within(args, start, MAX_UID), esearch=esearch))
        if last is not None and last >= start:
            span = _span(last, esearch)
            first = start if last - start < span else _lowest(raw, start, last)
            for low, high in _ranges(start, first, last, span):
                found = _merge(found, search_once(raw, _within(args, low, high), esearch=esearch))
            start = last + 1
        news = untagged.pop("EXISTS", None)
        if not news or news[-1] == announced or start > MAX_UID:
            break  # the view did not grow during this round (or only repeated its count)
        announced = news[-1]
    return found


def search_once(
    raw: imapclient.IMAPClient, args: list[bytes], *, esearch: bool = False
) -> list[int]:
    """One ``UID SEARCH [RETURN (ALL)] <args>`` exactly as given; ascending UIDs.

    Its answer is one line as long as the result: only for answers known to be small (``search``
    cuts big ones into ranges). Answers left over from earlier commands are dropped first, so
    what is read belongs to this command.
    """
    untagged = raw._imap.untagged_responses
    untagged.pop("SEARCH", None)
    untagged.pop("ESEARCH", None)
    if esearch:
        data = raw._raw_command_untagged(
            b"SEARCH", [b"RETURN", b"(ALL)", *args], response_name="ESEARCH"
        )
        if data != [None]:
            return list(parse_esearch(data))
        data = untagged.pop("SEARCH", [None])  # a server that answered in the old form
    else:
        data = raw._raw_command_untagged(b"SEARCH", args)
    uids: list[int] = []
    for line in data:
        if line:
            uids.extend(int(token) for token in line.split() if token.isdigit())
    return sorted(set(uids))


_CORRELATOR = re.compile(rb'\s*\(TAG\s+"(?:[^"\\]|\\.)*"\)', re.IGNORECASE)


def parse_esearch(lines: Sequence[bytes | None]) -> MessageSet:
    """The UIDs of ``* ESEARCH (TAG "A1") UID ALL 1:5000,5002:99999`` answers (RFC 4731).

    ``ALL`` is absent when nothing matched; other return items (MIN, MAX, COUNT) are skipped.

    Raises:
        ProtocolError: an answer that cannot be read (the connection is then discarded).
    """
    found = MessageSet()
    for line in lines:
        if not line:
            continue
        if not isinstance(line, bytes):  # a literal: no ESEARCH answer has one
            raise ProtocolError(f"unreadable ESEARCH answer: {str(line)[:80]}")
        tokens = _CORRELATOR.sub(b"", line, count=1).split()
        if tokens[:1] and tokens[0].upper() == b"UID":
            tokens = tokens[1:]
        if len(tokens) % 2:
            raise ProtocolError(f"unreadable ESEARCH answer: {line[:80]!r}")
        for name, value in zip(tokens[::2], tokens[1::2], strict=True):
            if name.upper() != b"ALL":
                continue
            try:
                found = found | MessageSet.parse(value.decode("ascii"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ProtocolError(f"unreadable ESEARCH answer: {line[:80]!r}") from exc
    return found


def _highest(raw: imapclient.IMAPClient) -> int | None:
    """The highest UID in this connection's view of the folder; None when the view is empty.

    ``UID SEARCH *``: one UID, and an empty answer in an empty folder (``FETCH * (UID)`` is
    refused with BAD there). Not ``UID SEARCH 1,*`` for the lowest too: pymap reads a sequence
    set in SEARCH as UIDs, and only ``*`` comes out the same either way.
    """
    found = search_once(raw, [b"*"])
    return found[-1] if found else None


def _lowest(raw: imapclient.IMAPClient, start: int, last: int) -> int:
    """Where the ranges of ``start:last`` may begin counting: the view's lowest UID, if higher.

    ``FETCH 1 (UID)``, asked only when more than one range is needed: in a folder whose old mail
    was deleted, UIDs start far above 1, and ranges counted from 1 would be mostly empty. When
    the answer is refused or missing (the folder was emptied meanwhile), counting from ``start``
    costs commands, not correctness.
    """
    try:
        data = fetch(raw, "1", ("UID",), uid=False)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        return start
    uids = [item[b"UID"] for item in data.values() if isinstance(item.get(b"UID"), int)]
    return min(max(min(uids), start), last) if uids else start


def _merge(found: list[int], part: list[int]) -> list[int]:
    """Append the ascending answer of the next range (sorted again only if a server answered
    outside the range it was asked about)."""
    if found and part and part[0] <= found[-1]:
        return sorted(set(found).union(part))
    found.extend(part)
    return found


_LINE_SHARE = 2
"""An answer may fill at most 1/2 of imaplib's line limit: the rest is margin (the ``* ESEARCH
(TAG ...) UID ALL`` prefix, a server's odd spacing)."""
_MAX_ROUNDS = 4
"""Rounds of ``search`` while mail keeps arriving: one, plus one per announcement during it."""


def _span(highest: int, esearch: bool) -> int:
    """UIDs per range, so that an answer fits in its share of the line limit in the worst case.

    A plain answer costs up to d+1 bytes per UID (d digits and a space). An ESEARCH set is
    longest when matches come in pairs: ``a:b,`` costs 2d+2 bytes for 3 UIDs of the range (two
    matches and a gap), more per UID than single matches (``a,``: d+1 bytes for 2 UIDs).
    The limit is read when searching, so the ranges follow the limit imaplib enforces.
    """
    digits = len(str(highest))
    per_uid = -(-(2 * digits + 2) // 3) if esearch else digits + 1
    budget = imaplib._MAXLINE // _LINE_SHARE  # type: ignore[attr-defined]
    return max(1, budget // per_uid)


def _ranges(start: int, first: int, last: int, span: int) -> list[tuple[int, int]]:
    """``start:last`` cut into ranges of ``span`` UIDs counted from ``first``.

    No UID of the view lies between ``start`` and ``first`` (the lowest one at or above
    ``start``), so the first range may begin at ``start`` and still hold ``span`` UIDs at most.
    """
    cuts = list(range(first + span, last + 1, span))
    return list(zip([start, *cuts], [cut - 1 for cut in cuts] + [last], strict=True))


def _within(args: list[bytes], start: int, end: int) -> list[bytes]:
    """``args`` restricted to UIDs ``start:end``.

    No parentheses are needed: a SEARCH is the AND of its top-level keys, and OR and NOT are
    prefix operators that take exactly their operands, so ``UID 1:9 OR FLAGGED NOT SEEN`` means
    ``UID 1:9 AND (FLAGGED OR NOT SEEN)``; ``to_wire()`` closes every group it opens. The key
    goes after ``CHARSET x``, which must come first.
    """
    key = [b"UID", f"{start}:{end}".encode("ascii")]
    if args[:1] and args[0].upper() == b"CHARSET":
        return [*args[:2], *key, *args[2:]]
    return [*key, *args]


def take_response_code(raw: imapclient.IMAPClient, code: str) -> list[bytes]:
    """Pop what the last commands reported under a response code such as ``COPYUID``."""
    values = raw._imap.untagged_responses.pop(code, [])
    return [v if isinstance(v, bytes) else str(v).encode() for v in values if v is not None]


def clear_response_code(raw: imapclient.IMAPClient, code: str) -> None:
    """Forget stale codes before a command, so what is read afterwards belongs to it."""
    raw._imap.untagged_responses.pop(code, None)


def parse_uid_set(text: str) -> list[int]:
    """Expand a server-sent UID set (``"3:5,9"``) in the server's order (COPYUID pairs by order)."""
    out: list[int] = []
    for token in text.split(","):
        if ":" in token:
            start, end = (int(part) for part in token.split(":", 1))
            step = 1 if end >= start else -1
            out.extend(range(start, end + step, step))
        elif token:
            out.append(int(token))
    return out


def parse_copyuid(values: list[bytes]) -> tuple[int | None, dict[int, int]]:
    """Merge ``COPYUID <uidvalidity> <source-set> <dest-set>`` codes into one old->new map."""
    mapping: dict[int, int] = {}
    uidvalidity: int | None = None
    for value in values:
        parts = value.decode("ascii", "replace").split()
        if len(parts) != 3:
            continue
        try:
            uidvalidity = int(parts[0])
            mapping.update(zip(parse_uid_set(parts[1]), parse_uid_set(parts[2]), strict=False))
        except ValueError:
            continue
    return uidvalidity, mapping


IDLE_CHANGE_WORDS = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT"})


def idle_wait(raw: imapclient.IMAPClient, timeout: float, read_timeout: float) -> list[bytes]:
    """Wait up to ``timeout`` for an untagged line during IDLE; return the lines read.

    Replaces ``IMAPClient.idle_check``, which puts the socket in non-blocking mode and aborts
    with "unterminated line" when a response line arrives in two TCP segments (seen with pymap;
    any server or network may split a line). Here the wait is a ``select`` and the line is then
    read in blocking mode with ``read_timeout``, so a split line is simply waited for.
    """
    sock = raw.socket()
    pending = getattr(sock, "pending", None)  # TLS: decrypted bytes select cannot see
    if not (callable(pending) and pending()):
        readable, _, _ = select.select([sock], [], [], timeout)
        if not readable:
            return []
    sock.settimeout(read_timeout)
    return [raw._imap._get_line()]


def is_change(line: bytes) -> bool:
    """``* 6 EXISTS``, ``* 3 FETCH (FLAGS ...)``, ``* VANISHED ...``: the folder changed."""
    words = line.split(None, 3)
    return len(words) >= 2 and words[0] == b"*" and any(
        word.upper() in IDLE_CHANGE_WORDS for word in words[1:3]
    )
