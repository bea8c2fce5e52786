"""A text query language for searches, parsed into (and rendered from) ``IMAPSearchCriteria``.

    from:ana subject:"weekly digest" since:2024-01-01 unseen -flagged larger:1MB (from:a OR from:b)

- ``key:value`` terms; a bare word searches the whole message (TEXT); flag words such as
  ``unseen`` or ``flagged`` stand alone. Terms side by side must all match (AND).
- ``a OR b`` (upper case) needs either; ``-term`` or ``NOT term`` negates; parentheses group.
- Values with spaces, quotes, parentheses or a leading ``-`` are written in double quotes, with
  ``\\"`` and ``\\\\`` inside.
- Dates are ``YYYY-MM-DD`` (or IMAP's ``01-Jan-2024``); ``since`` includes the day, ``before``
  excludes it, as in IMAP. Sizes take ``B``, ``KB``/``K``, ``MB``/``M``, ``GB``/``G`` (1 KB =
  1024 bytes). ``header:List-Id=rust`` searches one header; ``uid:1:100,205`` a UID set.

Every mistake raises ``ValueError`` that starts with ``column N:`` (1-based), so the UI can point
at it. ``render`` writes any criteria back in this language, and parsing that text gives the same
criteria again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .messageset import MessageSet
from .search import (
    DATE_KEYS,
    FLAG_KEYS,
    KEYWORD_KEYS,
    SIZE_KEYS,
    TEXT_KEYS,
    AndGroup,
    IMAPSearchCriteria,
    Node,
    NotGroup,
    OrGroup,
    SearchKey,
)

_DATE_KEY_WORDS = {
    "before": "before", "on": "on", "since": "since",
    "sentbefore": "sent_before", "sent-before": "sent_before",
    "senton": "sent_on", "sent-on": "sent_on",
    "sentsince": "sent_since", "sent-since": "sent_since",
}
_TEXT_KEY_WORDS = {
    "from": "from_address", "to": "to_address", "cc": "cc", "bcc": "bcc",
    "subject": "subject", "body": "body", "text": "text",
}
_OTHER_KEYS = ("header", "keyword", "unkeyword", "larger", "smaller", "uid")
KEYS = (*_TEXT_KEY_WORDS, *_DATE_KEY_WORDS, *_OTHER_KEYS)
"""Every ``key:`` the language knows."""
FLAG_WORDS = tuple(name.lower() for name in FLAG_KEYS)
OPERATORS = ("OR", "AND", "NOT")

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
          "g": 1024**3, "gb": 1024**3}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_KEY_PREFIX = re.compile(r"([A-Za-z][A-Za-z-]*):")


# -- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(" ")" "-" "OR" "AND" "NOT" "term"
    column: int
    key: str | None = None
    value: str = ""
    quoted: bool = False
    value_column: int = 0
    """Where the value starts, so that an error in it points there rather than at the key."""


def _error(column: int, message: str) -> ValueError:
    return ValueError(f"column {column}: {message}")


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The string starting at the quote ``text[start]``; returns (value, index after it)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                break
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise _error(start + 1, "this quote is never closed")


def _read_bare(text: str, start: int) -> tuple[str, int]:
    i = start
    while i < len(text) and not text[i].isspace() and text[i] not in '()"':
        i += 1
    return text[start:i], i


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i = 0
    while i < len(text):
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Tok(char, column))
            i += 1
        elif char == "-" and i + 1 < len(text) and not text[i + 1].isspace():
            tokens.append(_Tok("-", column))
            i += 1
        elif char == '"':
            value, i = _read_quoted(text, i)
            tokens.append(_Tok("term", column, None, value, quoted=True))
        else:
            match = _KEY_PREFIX.match(text, i)
            if match and match.group(1).lower() in KEYS:
                key = match.group(1).lower()
                i = match.end()
                value_column = i + 1
                if i < len(text) and text[i] == '"':
                    value, i = _read_quoted(text, i)
                    tokens.append(_Tok("term", column, key, value, True, value_column))
                    continue
                value, i = _read_bare(text, i)
                if not value:
                    raise _error(i + 1, f"{key}: needs a value (quote it if it has spaces)")
                tokens.append(_Tok("term", column, key, value, False, value_column))
                continue
            word, i = _read_bare(text, i)
            if word in OPERATORS:
                tokens.append(_Tok(word, column))
            elif not word:  # a stray quote or parenthesis is handled above; this is a "-"
                raise _error(column, f"unexpected {text[i]!r}")
            else:
                tokens.append(_Tok("term", column, None, word))
    return tokens


# -- parsing -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> IMAPSearchCriteria:
        if not self.tokens:
            return IMAPSearchCriteria()
        result = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise _error(extra.column, f"unexpected {extra.kind!r} (a ')' without its '('?)")
        return result

    def or_expr(self) -> IMAPSearchCriteria:
        operands = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):  # type: ignore[union-attr]
                raise _error(token.column, "OR needs something on both sides")
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else IMAPSearchCriteria.or_(*operands)

    def and_expr(self) -> IMAPSearchCriteria:
        operands: list[IMAPSearchCriteria] = []
        while (token := self.peek()) is not None and token.kind not in (")", "OR"):
            if token.kind == "AND":
                self.take()
                if not operands or self.peek() is None:
                    raise _error(token.column, "AND needs something on both sides")
                continue
            operands.append(self.unary())
        if not operands:
            token = self.peek()
            column = token.column if token else len(self.text) + 1
            raise _error(column, "expected a search term here")
        return operands[0] if len(operands) == 1 else IMAPSearchCriteria.and_(*operands)

    def unary(self) -> IMAPSearchCriteria:
        token = self.take()
        if token.kind in ("-", "NOT"):
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):  # type: ignore[union-attr]
                raise _error(token.column, f"{token.kind} needs a term after it")
            return IMAPSearchCriteria.not_(self.unary())
        if token.kind == "(":
            if self.peek() is not None and self.peek().kind == ")":  # type: ignore[union-attr]
                raise _error(token.column, "empty parentheses")
            inner = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise _error(token.column, "this '(' is never closed")
            self.take()
            return inner
        if token.kind == ")":
            raise _error(token.column, "')' without its '('")
        return _term(token)


def _term(token: _Tok) -> IMAPSearchCriteria:
    c = IMAPSearchCriteria()
    key, value = token.key, token.value
    column = token.value_column or token.column
    try:
        if key is None:
            if not token.quoted and value.lower() in FLAG_WORDS:
                return getattr(c, value.lower())()
            return c.text(value)
        if key in _TEXT_KEY_WORDS:
            return getattr(c, _TEXT_KEY_WORDS[key])(value)
        if key in _DATE_KEY_WORDS:
            return getattr(c, _DATE_KEY_WORDS[key])(parse_date(value))
        if key in ("larger", "smaller"):
            return getattr(c, key)(parse_size(value))
        if key in ("keyword", "unkeyword"):
            return getattr(c, key)(value)
        if key == "uid":
            return c.uid(MessageSet.parse(value))
        name, equals, header_value = value.partition("=")
        if not equals or not name:
            raise ValueError("header: is written header:Name=value, e.g. header:List-Id=rust")
        return c.header(name, header_value)
    except ValueError as error:
        raise _error(column, _plain(str(error), key)) from None


def _plain(message: str, key: str | None) -> str:
    """Builder messages name methods ("since() needs ..."); say it in the query's words."""
    return re.sub(r"^\w+\(\) ", f"{key}: " if key else "", message)


def parse_date(value: str) -> dt.date:
    """``2024-01-31`` or ``31-Jan-2024``; anything else is a ``ValueError`` saying so."""
    match = _ISO_DATE.fullmatch(value.strip())
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise ValueError(f"{value!r} is not a real day") from None
    try:
        return IMAPSearchCriteria().on(value).tree.value  # type: ignore[return-value, union-attr]
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def parse_size(value: str) -> int:
    """``1MB`` -> 1048576; ``500`` bytes; units B, KB/K, MB/M, GB/G (powers of 1024)."""
    match = _SIZE.fullmatch(value.strip())
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{value!r} is not a size; write e.g. 500, 20KB or 1.5MB")
    return int(float(match.group(1)) * _UNITS[unit])


def parse(text: str) -> IMAPSearchCriteria:
    """Criteria for a query in the language described in the module docstring."""
    return _Parser(text).parse()


# -- rendering -----------------------------------------------------------------------------

_KEY_WORD = {
    "FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc", "SUBJECT": "subject",
    "BODY": "body", "TEXT": "text", "BEFORE": "before", "ON": "on", "SINCE": "since",
    "SENTBEFORE": "sentbefore", "SENTON": "senton", "SENTSINCE": "sentsince",
    "LARGER": "larger", "SMALLER": "smaller", "KEYWORD": "keyword", "UNKEYWORD": "unkeyword",
    "UID": "uid", "HEADER": "header",
}


def _needs_quotes(value: str, *, bare: bool) -> bool:
    if not value or any(c.isspace() or c in '()"\\' for c in value) or value.startswith("-"):
        return True
    if bare:
        return (value in OPERATORS or value.lower() in FLAG_WORDS
                or bool(_KEY_PREFIX.match(value)))
    return False


def _value(value: str, *, bare: bool = False) -> str:
    if not _needs_quotes(value, bare=bare):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_text(key: SearchKey) -> str:
    name, value = key.name, key.value
    if value is None:
        return name.lower()
    word = _KEY_WORD[name]
    if name == "HEADER" and isinstance(value, tuple):
        header, header_value = value
        if "=" in header:
            raise ValueError(f"header name {header!r} has '=', which header:Name=value cannot "
                             "express")
        return f"header:{_value(f'{header}={header_value}')}"
    if name in DATE_KEYS and isinstance(value, dt.date):
        return f"{word}:{value.isoformat()}"
    if name in SIZE_KEYS and isinstance(value, int):
        return f"{word}:{_size_text(value)}"
    if name == "UID" or name in KEYWORD_KEYS:
        return f"{word}:{value}"
    assert name in TEXT_KEYS
    return f"{word}:{_value(str(value))}"


def _size_text(size: int) -> str:
    """Whole MB or KB where exact (``1MB``), else bytes: parsing it gives the same number."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def render(node: Node) -> str:
    """The query text for a criteria tree (the inverse of ``parse``)."""
    return _render(node, top=True)


def _render(node: Node, *, top: bool = False) -> str:
    if isinstance(node, SearchKey):
        return _key_text(node)
    if isinstance(node, AndGroup):
        if not node.children:
            return "all"
        inner = " ".join(_render(child) for child in node.children)
        return inner if top or len(node.children) == 1 else f"({inner})"
    if isinstance(node, OrGroup):
        inner = " OR ".join(_render(child) for child in node.children)
        return inner if top else f"({inner})"
    assert isinstance(node, NotGroup)
    return f"-{_render(node.child)}"
