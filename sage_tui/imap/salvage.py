"""Parse what imapclient's response parser chokes on, so that one odd item costs only itself.

FETCH: imapclient parses a whole FETCH response at once, and one message with an ENVELOPE it cannot
read (too few fields, an atom where a list belongs, an address with two parts) raises
``IndexError``, ``TypeError`` or ``ProtocolError`` for the whole chunk: two thousand good
messages would vanish from the list because of one bad one. Here the response is parsed whole
first (the common, fast case); if that fails, message by message; and a message that still
fails keeps what can be read of it with plain patterns (UID, FLAGS, INTERNALDATE, size and its
literals), so it is listed, with whatever its headers say, instead of silently dropped.

A message whose UID cannot be found at all cannot be acted on (every action is by UID); it is
left out and logged, which is the one loss a broken server can still cause.

LIST and STATUS: imapclient's lexer reads ``[`` as the start of a ``BODY[...]`` section, so one
folder named ``x[y`` (Dovecot sends it as a bare atom) made the whole folder list fail, and its
STATUS too. When imapclient cannot parse them, the lines are read here with plain patterns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import imapclient
from imapclient import exceptions as imapclient_errors
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.response_parser import parse_fetch_response

log = logging.getLogger(__name__)

RawFetch = Sequence[bytes | tuple[bytes, bytes]]
FetchData = dict[int, dict[bytes, object]]

_START = re.compile(rb"\s*(\d+) \(")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^()]*)\)")
_DATE = re.compile(rb'\bINTERNALDATE ("[^"\r\n]*")')
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_SECTION = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?) \{\d+\+?\}\s*$")


def parse_fetch(data: RawFetch) -> FetchData:
    """``parse_fetch_response(data, False, False)``, but never losing good messages to bad ones.

    Returns:
        ``{sequence number: {item name: value}}`` as imapclient gives it; a salvaged message
        also carries ``b"SALVAGED": True``.
    """
    try:
        return dict(parse_fetch_response(list(data), False, False))
    except Exception as exc:
        log.warning("a FETCH response did not parse whole (%s); parsing message by message",
                    type(exc).__name__)
    out: FetchData = {}
    for group in _messages(data):
        try:
            out.update(parse_fetch_response(group, False, False))
        except Exception:
            salvaged = _salvage(group)
            if salvaged is not None:
                out[salvaged[0]] = salvaged[1]
    return out


def _messages(data: RawFetch) -> list[list[bytes | tuple[bytes, bytes]]]:
    """Cut the response into one list of items per ``n (...)`` message."""
    groups: list[list[bytes | tuple[bytes, bytes]]] = []
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if not isinstance(head, bytes):
            continue
        if _START.match(head) or not groups:
            groups.append([item])
        else:
            groups[-1].append(item)
    return groups


def _salvage(group: list[bytes | tuple[bytes, bytes]]) -> tuple[int, dict[bytes, object]] | None:
    """What plain patterns can read of one message, re-parsed as a well-formed response."""
    text = b" ".join(item[0] if isinstance(item, tuple) else item for item in group)
    start = _START.match(text)
    uid = _UID.search(text)
    if start is None or uid is None:
        # Its length only: the response holds addresses and subjects, which logs never keep.
        log.warning("a FETCH response without a readable UID (%d bytes) was left out", len(text))
        return None
    sequence = int(start.group(1))
    items = [b"UID " + uid.group(1)]
    for pattern, name in ((_FLAGS, b"FLAGS"), (_DATE, b"INTERNALDATE"),
                          (_SIZE, b"RFC822.SIZE")):
        found = pattern.search(text)
        if found is not None:
            value = found.group(1)
            items.append(name + (b" (" + value + b")" if name == b"FLAGS" else b" " + value))
    rebuilt: list[bytes | tuple[bytes, bytes]] = []
    prefix = b"%d (" % sequence + b" ".join(items)
    for item in group:
        if isinstance(item, tuple):
            section = _SECTION.search(item[0])
            if section is not None:
                rebuilt.append((prefix + b" " + section.group(1) + b" {%d}" % len(item[1]),
                                item[1]))
                prefix = b""
    rebuilt.append(prefix + b")")
    try:
        parsed = parse_fetch_response(rebuilt, False, False)
        data = dict(parsed[sequence])
    except Exception:  # even the rebuilt items do not parse: keep the UID alone
        data = {b"SEQ": sequence, b"UID": int(uid.group(1))}
    data[b"SALVAGED"] = True
    log.warning("message with UID %s had an unreadable FETCH response; listed with what could "
                "be read", uid.group(1).decode())
    return sequence, data


# -- LIST and STATUS ------------------------------------------------------------------------

FolderEntry = tuple[tuple[bytes, ...], "bytes | None", str]

_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>NIL|"(?:[^"\\]|\\.)*") ?(?P<rest>.*)$',
                        re.DOTALL)
_UNESCAPE = re.compile(rb"\\(.)")
_STATUS_ITEMS = re.compile(rb"\(([^()]*)\)\s*$")
_PARSE_ERRORS = (imapclient_errors.ProtocolError, ValueError, IndexError, TypeError)


def list_folders(raw: imapclient.IMAPClient) -> list[FolderEntry]:
    """``raw.list_folders()``, or the same read leniently when imapclient cannot parse it."""
    try:
        return list(raw.list_folders())
    except _PARSE_ERRORS as exc:
        log.warning("the folder list did not parse (%s); reading it line by line", exc)
    typ, data = raw._imap.list('""', "*")
    raw._checkok("list", typ, data)
    out: list[FolderEntry] = []
    for item in data:
        prefix, literal = item if isinstance(item, tuple) else (item, None)
        if not isinstance(prefix, bytes):
            continue
        match = _LIST_LINE.match(prefix)
        if match is None:
            continue
        flags = tuple(match.group("flags").split())
        delim = match.group("delim")
        delimiter = None if delim == b"NIL" else _UNESCAPE.sub(rb"\1", delim[1:-1])
        rest = match.group("rest").strip()
        if literal is not None:
            name_bytes = literal
        elif rest.startswith(b'"') and rest.endswith(b'"') and len(rest) >= 2:
            name_bytes = _UNESCAPE.sub(rb"\1", rest[1:-1])
        else:
            name_bytes = rest
        if not name_bytes:
            continue
        name = decode_utf7(name_bytes) if raw.folder_encode else name_bytes.decode(
            "utf-8", "replace")
        out.append((flags, delimiter, name))
    return out


def folder_status(raw: imapclient.IMAPClient, folder: str, items: list[bytes]
                  ) -> dict[bytes, int]:
    """``raw.folder_status(folder, items)``, read leniently when imapclient cannot parse it."""
    try:
        return dict(raw.folder_status(folder, items))  # type: ignore[arg-type]
    except _PARSE_ERRORS as exc:
        log.warning("STATUS of a folder did not parse (%s); reading it with a pattern", exc)
    imap = raw._imap
    wanted = b"(" + b" ".join(items) + b")"
    typ, data = imap._simple_command("STATUS", raw._normalise_folder(folder), wanted)
    raw._checkok("status", typ, data)
    typ, data = imap._untagged_response(typ, data, "STATUS")
    counts: dict[bytes, int] = {}
    for line in data:
        text = b" ".join(line) if isinstance(line, tuple) else line
        found = _STATUS_ITEMS.search(text or b"")
        if found is None:
            continue
        tokens = found.group(1).split()
        for key, value in zip(tokens[::2], tokens[1::2], strict=False):
            if value.isdigit():
                counts[key.upper()] = int(value)
    return counts
