"""The few IMAP commands that imapclient's public API cannot send correctly for us.

- ``IMAPClient.fetch`` filters its result through ``int()`` of each requested id, so a compressed
  UID set (``1:500,502``) raises ``ValueError``; listing UIDs one by one instead makes Dovecot
  answer ``BAD Too long argument`` on big folders. ``uid_fetch`` sends the compressed set.
- ``IMAPClient.search`` loses the charset inside nested criteria and quotes values only when they
  contain a space, quote or backslash (a value with a parenthesis or brace breaks the command).
  ``search`` sends the argument list that ``IMAPSearchCriteria.to_wire()`` built.
- Response codes (COPYUID, APPENDUID) are kept by imaplib in ``untagged_responses``.
- ``IMAPClient.idle_check`` aborts when a line arrives split across TCP segments; ``idle_wait``
  reads whole lines.

These use imaplib/imapclient internals (``_imap``, ``_raw_command_untagged``) in this one module,
so an imapclient upgrade that changes them breaks here, where the engine tests against Dovecot
will show it.
"""

from __future__ import annotations

import select
from collections.abc import Sequence

import imapclient

from . import responses
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


def search(raw: imapclient.IMAPClient, args: list[bytes]) -> list[int]:
    """``UID SEARCH <args>`` with the argument list exactly as given; ascending UIDs."""
    data = raw._raw_command_untagged(b"SEARCH", args)
    uids: list[int] = []
    for line in data:
        if line:
            uids.extend(int(token) for token in line.split() if token.isdigit())
    return sorted(set(uids))


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
