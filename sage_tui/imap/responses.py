"""Read a command's whole answer in large blocks, filing it exactly as imaplib would.

imaplib reads an answer one line at a time: a ``readline`` and up to four regular expressions
per line, and, because imapclient turns imaplib's debug output on (``debug = 5`` with a logger
as ``_mesg``), a ``repr`` of every line and of every literal, formatted even when that logger
is off. For a 100,000-message FETCH that bookkeeping costs more than reading the bytes.

``complete`` replaces ``IMAP4._command_complete`` for one command: it reads blocks of up to
256 KiB, cuts them into responses (lines and ``{n}`` literals), and stores each response where
``_get_response`` would have stored it (``untagged_responses``, ``tagged_commands``,
``continuation_response``), with the same values, so everything after it (``_untagged_response``,
response codes, ``_check_bye``) works unchanged. The limits of ``transport`` hold here too: a
literal above ``MAX_LITERAL`` and a line above imaplib's ``_MAXLINE`` are refused, and the end of
the stream inside a response is an abort, as with imaplib.
"""

from __future__ import annotations

import imaplib
from typing import Any, NoReturn

from .transport import MAX_LITERAL, READ_STEP, ResponseRejected

READ_SIZE = 256 * 1024
"""Bytes asked of the socket per read (one ``recv``: it returns what has arrived)."""

_MAXLINE = imaplib._MAXLINE  # type: ignore[attr-defined]
_UNTAGGED_RESPONSE = imaplib.Untagged_response
_CONTINUATION = imaplib.Continuation
_RESPONSE_CODE = imaplib.Response_code


class _Incomplete(Exception):
    """The buffer ends inside a response.

    Attributes:
        need: How many unparsed bytes the response takes at least (the buffer holds fewer).
        literal: ``(size, bytes of it buffered)`` when it ends inside a literal.
    """

    def __init__(self, need: int, literal: tuple[int, int] | None = None) -> None:
        self.need = need
        self.literal = literal


class _Reader:
    """Responses cut from a buffer that is refilled in large reads."""

    def __init__(self, imap: Any) -> None:
        self.imap = imap
        self.file = imap.file
        self.buf = b""
        self.pos = 0

    def fill(self, incomplete: _Incomplete) -> None:
        """Read until the unparsed part of the buffer holds ``incomplete.need`` bytes.

        The pieces are joined once, so a large literal costs linear time, not quadratic.
        """
        parts = [self.buf[self.pos:]] if self.pos < len(self.buf) else []
        have = len(parts[0]) if parts else 0
        target = max(incomplete.need, have + 1)
        while have < target:
            # read1 allocates what it is asked for: never more than READ_STEP at a time.
            chunk = self.file.read1(max(READ_SIZE, min(target - have, READ_STEP)))
            if not chunk:
                self._eof(b"".join(parts), incomplete, target - have)
            parts.append(chunk)
            have += len(chunk)
        self.buf = b"".join(parts)
        self.pos = 0

    @staticmethod
    def _eof(pending: bytes, incomplete: _Incomplete, missing: int) -> NoReturn:
        """The server closed the stream: the same words as imaplib and ``transport``."""
        if incomplete.literal is not None:
            size, _ = incomplete.literal
            raise ResponseRejected(
                f"the server closed the connection {size - missing:,} bytes into a "
                f"{size:,}-byte response"
            )
        if not pending:
            raise imaplib.IMAP4.abort("socket error: EOF")
        raise imaplib.IMAP4.abort(f"socket error: unterminated line: {pending[:200]!r}")

    def line(self, pos: int) -> tuple[bytes, int]:
        """The line starting at ``pos`` without its CRLF, and where the next one starts."""
        buf = self.buf
        end = buf.find(b"\n", pos)
        if end < 0:
            if len(buf) - pos > _MAXLINE:
                raise ResponseRejected(
                    f"the server sent an over-long line (got more than {_MAXLINE} bytes)")
            raise _Incomplete(len(buf) - self.pos + 1)
        if end - pos > _MAXLINE:
            raise ResponseRejected(
                f"the server sent an over-long line (got more than {_MAXLINE} bytes)")
        if end == pos or buf[end - 1] != 13:
            raise imaplib.IMAP4.abort(
                f"socket error: unterminated line: {buf[pos:end + 1][:200]!r}")
        return buf[pos:end - 1], end + 1

    def literal(self, size: int, pos: int) -> tuple[bytes, int]:
        if size > MAX_LITERAL:
            raise ResponseRejected(
                f"the server announced a {size:,}-byte response, more than the "
                f"{MAX_LITERAL // (1024 * 1024)} MiB sage-tui accepts"
            )
        end = pos + size
        if end > len(self.buf):
            raise _Incomplete(end - self.pos, (size, len(self.buf) - pos))
        return self.buf[pos:end], end

    def response(self) -> tuple[str, object] | None:
        """File the next whole response; None when the buffer holds no whole response yet."""
        imap = self.imap
        try:
            line, pos = self.line(self.pos)
            tagged = imap.tagre.match(line)
            if tagged is not None:
                tag = tagged.group("tag")
                if tag not in imap.tagged_commands:
                    raise imaplib.IMAP4.abort(f"unexpected tagged response: {line!r}")
                typ = str(tagged.group("type"), imap._encoding)
                dat = tagged.group("data")
                self.pos = pos
                imap.tagged_commands[tag] = (typ, [dat])
                self._response_code(typ, dat)
                return ("tagged", tag)
            dat2 = None
            match = _UNTAGGED_RESPONSE.match(line)
            if match is None:
                match = imap.Untagged_status.match(line)
                if match is not None:
                    dat2 = match.group("data2")
            if match is None:
                cont = _CONTINUATION.match(line)
                if cont is None:
                    raise imaplib.IMAP4.abort(f"unexpected response: {line!r}")
                self.pos = pos
                imap.continuation_response = cont.group("data")
                return ("continuation", None)
            typ = str(match.group("type"), imap._encoding)
            dat = match.group("data") or b""
            if dat2:
                dat = dat + b" " + dat2
            items: list[object] = []
            size = _literal_size(dat)
            while size is not None:
                data, pos = self.literal(size, pos)
                items.append((dat, data))
                dat, pos = self.line(pos)
                size = _literal_size(dat)
            items.append(dat)
        except _Incomplete as incomplete:
            self.fill(incomplete)
            return None
        self.pos = pos
        store = imap.untagged_responses
        if typ in store:
            store[typ].extend(items)
        else:
            store[typ] = items
        self._response_code(typ, dat)
        return ("untagged", typ)

    def _response_code(self, typ: str, dat: bytes) -> None:
        if typ in ("OK", "NO", "BAD"):
            code = _RESPONSE_CODE.match(dat)
            if code is not None:
                name = str(code.group("type"), self.imap._encoding)
                self.imap._append_untagged(name, code.group("data"))


def _literal_size(dat: bytes) -> int | None:
    """imaplib's ``Literal`` (``.*{(?P<size>\\d+)}$``) without a regular expression."""
    if not dat.endswith(b"}"):
        return None
    start = dat.rfind(b"{")
    digits = dat[start + 1:-1]
    if start < 0 or not digits.isdigit() or not digits.isascii():
        return None
    return int(digits)


def read_until_tagged(imap: Any, tag: bytes) -> None:
    """Read and file responses until the one tagged ``tag`` (then also whatever was read with
    it, so that no byte of the stream is lost)."""
    reader = _Reader(imap)
    while True:
        filed = reader.response()
        if filed is None:
            continue
        if filed == ("untagged", "BYE"):
            imap._check_bye()  # as imaplib: a BYE ends the wait at once, in the server's words
        if filed == ("tagged", tag):
            break
    while reader.pos < len(reader.buf):  # unsolicited data that came in the same read
        reader.response()


def complete(imap: Any, name: str, tag: bytes) -> tuple[str, list[Any]]:
    """``imap._command_complete(name, tag)``, reading the answer in blocks."""
    imap._check_bye()
    try:
        read_until_tagged(imap, tag)
    except imaplib.IMAP4.abort as exc:
        raise imaplib.IMAP4.abort(f"command: {name} => {exc}") from exc
    except imaplib.IMAP4.error as exc:
        raise imaplib.IMAP4.error(f"command: {name} => {exc}") from exc
    return imap._command_complete(name, tag)  # type: ignore[no-any-return]
