"""``IMAPSearchCriteria``: an immutable, fluent builder for IMAP SEARCH (RFC 3501, 6.4.4).

The criteria are a small tree (``SearchKey``, ``AndGroup``, ``OrGroup``, ``NotGroup``) that the UI's
search builder and a text query language can read and build. Rendering to the wire is done here,
not by imapclient, because imapclient 4.1 loses the charset inside nested criteria and leaves
values with parentheses or braces unquoted. The rules of ``to_wire()``:

- Keys are atoms; every ASCII value is a quoted string, so ``(``, ``{``, ``%``, ``*`` inside a
  value cannot change the command.
- A non-ASCII value is UTF-8 and travels as a literal (imapclient sends any item with a byte over
  127 as ``{n+}``), and the command starts with ``CHARSET UTF-8``.
- A group in parentheses attaches ``(`` and ``)`` to its neighbouring ASCII items; when a group
  ends in a literal, an ``ALL)`` item closes it (ALL is neutral inside an AND), because the
  literal cannot carry the parenthesis.
- CR, LF and NUL are refused in values: they would end or corrupt the command line.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from .messageset import MessageSet

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMAP_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_ATOM_SPECIALS = set('(){ %*"\\]')

FLAG_KEYS = (
    "ALL", "SEEN", "UNSEEN", "ANSWERED", "UNANSWERED", "FLAGGED", "UNFLAGGED", "DELETED",
    "UNDELETED", "DRAFT", "UNDRAFT", "NEW", "OLD", "RECENT",
)
"""Keys that take no value."""
TEXT_KEYS = ("FROM", "TO", "CC", "BCC", "SUBJECT", "BODY", "TEXT")
DATE_KEYS = ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE")
SIZE_KEYS = ("LARGER", "SMALLER")
KEYWORD_KEYS = ("KEYWORD", "UNKEYWORD")


@dataclass(frozen=True)
class SearchKey:
    """One search key: ``SearchKey("FROM", "ana")``, ``SearchKey("SEEN")``,
    ``SearchKey("HEADER", ("List-Id", "rust"))``, ``SearchKey("UID", MessageSet(...))``."""

    name: str
    value: str | int | dt.date | MessageSet | tuple[str, str] | None = None


@dataclass(frozen=True)
class AndGroup:
    """All children match (an empty group matches every message)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class OrGroup:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class NotGroup:
    """The child does not match."""

    child: Node


Node: TypeAlias = SearchKey | AndGroup | OrGroup | NotGroup


class _Combinator:
    """A function usable as ``IMAPSearchCriteria.or_(a, b)`` and as ``a.or_(b)``.

    Both spellings read naturally in different places (building from a list of rows vs. chaining
    a query), so the instance, when there is one, becomes the first operand.
    """

    def __init__(self, func: Callable[..., IMAPSearchCriteria]) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __get__(self, obj: object, owner: type | None = None) -> Callable[..., Any]:
        if obj is None:
            return functools.partial(self.func, owner)
        return functools.partial(self.func, type(obj), obj)


class IMAPSearchCriteria:
    """Immutable SEARCH criteria; every method returns a new object, and chaining means AND.

    ``IMAPSearchCriteria().since("01-Jan-2024").from_address("ana@example.com").unseen()``
    renders as ``SINCE 01-Jan-2024 FROM "ana@example.com" UNSEEN``. An empty object means ALL.
    """

    __slots__ = ("_tree",)

    def __init__(self, tree: Node | None = None) -> None:
        self._tree: Node = _simplify(tree) if tree is not None else AndGroup(())

    @property
    def tree(self) -> Node:
        """The criteria as a tree (an empty ``AndGroup`` means ALL)."""
        return self._tree

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IMAPSearchCriteria) and self._tree == other._tree

    def __hash__(self) -> int:
        return hash(self._tree)

    def __bool__(self) -> bool:
        """False for the empty criteria (ALL)."""
        return self._tree != AndGroup(())

    def __str__(self) -> str:
        parts = [_display(token) for token in _tokens(self._tree, top=True)]
        glued: list[str] = []
        opening = ""
        for part in parts:
            if part == "(":
                opening += "("
            elif part == ")":
                glued[-1] += ")"
            else:
                glued.append(opening + part)
                opening = ""
        return " ".join(glued)

    def __repr__(self) -> str:
        return f"IMAPSearchCriteria({str(self)!r})"

    @property
    def needs_utf8(self) -> bool:
        """True when some value is non-ASCII, so SEARCH needs ``CHARSET UTF-8``."""
        return any(
            isinstance(token, _Value) and not token.text.isascii()
            for token in _tokens(self._tree, top=True)
        )

    def to_wire(self) -> list[bytes]:
        """The SEARCH arguments, as items for ``imapclient``'s raw command (see module doc)."""
        items: list[bytes] = []
        for token in _tokens(self._tree, top=True):
            if isinstance(token, _Value):
                encoded = token.text.encode("utf-8")
                if token.text.isascii():
                    items.append(_quote(encoded))
                else:
                    items.append(encoded)
            elif isinstance(token, _Open):
                items.append(b"(")
            elif isinstance(token, _Close):
                items.append(b")")
            else:
                items.append(token.encode("ascii"))
        items = _attach_parens(items)
        return [b"CHARSET", b"UTF-8", *items] if self.needs_utf8 else items

    # -- the text query language (sage_tui.imap.query) --------------------------------------

    @classmethod
    def parse(cls, text: str) -> IMAPSearchCriteria:
        """Criteria from a query such as ``from:ana since:2024-01-01 -flagged``.

        Raises:
            ValueError: starting with ``column N:`` where the query goes wrong.
        """
        from .query import parse

        return parse(text)

    def to_query(self) -> str:
        """These criteria in the query language; ``parse`` of it gives them back."""
        from .query import render

        return render(self._tree)

    # -- building ---------------------------------------------------------------------------

    def _and(self, node: Node) -> IMAPSearchCriteria:
        return IMAPSearchCriteria(AndGroup((self._tree, node)))

    def all(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("ALL"))

    def seen(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("SEEN"))

    def unseen(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNSEEN"))

    def answered(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("ANSWERED"))

    def unanswered(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNANSWERED"))

    def flagged(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("FLAGGED"))

    def unflagged(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNFLAGGED"))

    def deleted(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("DELETED"))

    def undeleted(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNDELETED"))

    def draft(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("DRAFT"))

    def undraft(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNDRAFT"))

    def new(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("NEW"))

    def old(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("OLD"))

    def recent(self) -> IMAPSearchCriteria:
        return self._and(SearchKey("RECENT"))

    def keyword(self, keyword: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("KEYWORD", _atom(keyword, "keyword")))

    def unkeyword(self, keyword: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("UNKEYWORD", _atom(keyword, "unkeyword")))

    def from_address(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("FROM", _text(text, "from_address")))

    def to_address(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("TO", _text(text, "to_address")))

    def cc(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("CC", _text(text, "cc")))

    def bcc(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("BCC", _text(text, "bcc")))

    def subject(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("SUBJECT", _text(text, "subject")))

    def body(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("BODY", _text(text, "body")))

    def text(self, text: str) -> IMAPSearchCriteria:
        return self._and(SearchKey("TEXT", _text(text, "text")))

    def header(self, name: str, value: str) -> IMAPSearchCriteria:
        """Messages whose header ``name`` contains ``value`` ("" matches any such header)."""
        return self._and(SearchKey("HEADER", (_header_name(name), _text(value, "header"))))

    def before(self, date: dt.date | str) -> IMAPSearchCriteria:
        """Received before the day (the day itself excluded)."""
        return self._and(SearchKey("BEFORE", _date(date, "before")))

    def on(self, date: dt.date | str) -> IMAPSearchCriteria:
        return self._and(SearchKey("ON", _date(date, "on")))

    def since(self, date: dt.date | str) -> IMAPSearchCriteria:
        """Received on or after the day (the day itself included)."""
        return self._and(SearchKey("SINCE", _date(date, "since")))

    def sent_before(self, date: dt.date | str) -> IMAPSearchCriteria:
        return self._and(SearchKey("SENTBEFORE", _date(date, "sent_before")))

    def sent_on(self, date: dt.date | str) -> IMAPSearchCriteria:
        return self._and(SearchKey("SENTON", _date(date, "sent_on")))

    def sent_since(self, date: dt.date | str) -> IMAPSearchCriteria:
        return self._and(SearchKey("SENTSINCE", _date(date, "sent_since")))

    def larger(self, size: int) -> IMAPSearchCriteria:
        return self._and(SearchKey("LARGER", _size(size, "larger")))

    def smaller(self, size: int) -> IMAPSearchCriteria:
        return self._and(SearchKey("SMALLER", _size(size, "smaller")))

    def uid(self, uids: MessageSet | Iterable[int] | int | str) -> IMAPSearchCriteria:
        message_set = uids if isinstance(uids, MessageSet) else MessageSet(uids)
        if not message_set:
            raise ValueError("uid() needs at least one UID")
        return self._and(SearchKey("UID", message_set))

    # -- combining ----------------------------------------------------------------------------

    @_Combinator
    def and_(cls, *operands: IMAPSearchCriteria) -> IMAPSearchCriteria:
        """All operands match; no operands means ALL."""
        return cls(AndGroup(tuple(_tree_of(op, "and_") for op in operands)))

    @_Combinator
    def or_(cls, *operands: IMAPSearchCriteria) -> IMAPSearchCriteria:
        """At least one operand matches (rendered ``OR a OR b c`` for three)."""
        if not operands:
            raise ValueError("or_() needs at least one operand")
        return cls(OrGroup(tuple(_tree_of(op, "or_") for op in operands)))

    @_Combinator
    def not_(cls, operand: IMAPSearchCriteria) -> IMAPSearchCriteria:
        """The operand does not match."""
        return cls(NotGroup(_tree_of(operand, "not_")))

    def __and__(self, other: IMAPSearchCriteria) -> IMAPSearchCriteria:
        return IMAPSearchCriteria.and_(self, other)

    def __or__(self, other: IMAPSearchCriteria) -> IMAPSearchCriteria:
        return IMAPSearchCriteria.or_(self, other)

    def __invert__(self) -> IMAPSearchCriteria:
        return IMAPSearchCriteria.not_(self)


# -- validation ----------------------------------------------------------------------------


def _tree_of(operand: object, method: str) -> Node:
    if isinstance(operand, IMAPSearchCriteria):
        return operand.tree
    raise TypeError(f"{method}() takes IMAPSearchCriteria operands, not {type(operand).__name__}")


def _text(value: object, method: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{method}() needs text, not {type(value).__name__}")
    for char, name in (("\r", "a carriage return"), ("\n", "a line break"), ("\0", "a NUL")):
        if char in value:
            raise ValueError(f"{method}() text cannot contain {name}")
    return value


def _atom(value: object, method: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{method}() needs a non-empty keyword")
    bad = [c for c in value if c in _ATOM_SPECIALS or not (0x21 <= ord(c) <= 0x7E)]
    if bad:
        raise ValueError(f"{method}() keyword {value!r} contains {bad[0]!r}, not allowed in IMAP")
    return value


def _header_name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("header() needs a header name")
    if any(c == ":" or not (0x21 <= ord(c) <= 0x7E) for c in value):
        raise ValueError(f"header() name {value!r} must be printable ASCII without ':' or spaces")
    return value


def _size(value: object, method: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{method}() needs a whole number of bytes >= 0, not {value!r}")
    if value > 2**32 - 1:
        raise ValueError(f"{method}() size {value} is above what IMAP can express")
    return value


def _date(value: object, method: str) -> dt.date:
    """Accept a date (a datetime counts as its day) or an IMAP date such as 01-Jan-2024."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _IMAP_DATE.fullmatch(value.strip())
        if match:
            day, month, year = match.groups()
            months = [m.lower() for m in _MONTHS]
            if month.lower() in months:
                try:
                    return dt.date(int(year), months.index(month.lower()) + 1, int(day))
                except ValueError:
                    raise ValueError(f"{method}() date {value!r} is not a real day") from None
    raise ValueError(
        f"{method}() needs a datetime.date or an IMAP date like 01-Jan-2024, not {value!r}"
    )


def imap_date(value: dt.date) -> str:
    """``01-Jan-2024``: English month names whatever the locale."""
    return f"{value.day:02d}-{_MONTHS[value.month - 1]}-{value.year}"


# -- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    text: str


class _Open:
    pass


class _Close:
    pass


_OPEN, _CLOSE = _Open(), _Close()
Token: TypeAlias = str | _Value | _Open | _Close


def _simplify(node: Node) -> Node:
    """Flatten nested ANDs, unwrap one-child groups and double negation."""
    if isinstance(node, AndGroup):
        children: list[Node] = []
        for child in map(_simplify, node.children):
            if isinstance(child, AndGroup):
                children.extend(child.children)
            else:
                children.append(child)
        return children[0] if len(children) == 1 else AndGroup(tuple(children))
    if isinstance(node, OrGroup):
        kids = tuple(_simplify(child) for child in node.children)
        return kids[0] if len(kids) == 1 else OrGroup(kids)
    if isinstance(node, NotGroup):
        child = _simplify(node.child)
        return child.child if isinstance(child, NotGroup) else NotGroup(child)
    return node


def _tokens(node: Node, *, top: bool = False) -> list[Token]:
    if isinstance(node, SearchKey):
        return _key_tokens(node)
    if isinstance(node, AndGroup):
        if not node.children:
            return ["ALL"]
        inner = [token for child in node.children for token in _tokens(child)]
        return inner if top or len(node.children) == 1 else [_OPEN, *inner, _CLOSE]
    if isinstance(node, OrGroup):
        first, *rest = node.children
        if not rest:
            return _tokens(first, top=top)
        tail = rest[0] if len(rest) == 1 else OrGroup(tuple(rest))
        return ["OR", *_tokens(first), *_tokens(tail)]
    return ["NOT", *_tokens(node.child)]


def _key_tokens(key: SearchKey) -> list[Token]:
    value = key.value
    if value is None:
        return [key.name]
    if key.name == "HEADER" and isinstance(value, tuple):
        return ["HEADER", _Value(value[0]), _Value(value[1])]
    if isinstance(value, dt.date):
        return [key.name, imap_date(value)]
    if isinstance(value, MessageSet | int):
        return [key.name, str(value)]
    if key.name in KEYWORD_KEYS:
        return [key.name, str(value)]
    return [key.name, _Value(str(value))]


def _quote(raw: bytes) -> bytes:
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _attach_parens(items: list[bytes]) -> list[bytes]:
    """Glue ``(`` to the next item and ``)`` to the previous ASCII item (see module doc)."""
    out: list[bytes] = []
    pending_open = b""
    for item in items:
        if item == b"(":
            pending_open += b"("
            continue
        if item == b")":
            if out and out[-1].isascii():
                out[-1] += b")"
            else:
                out.append(b"ALL)")
            continue
        out.append(pending_open + item)
        pending_open = b""
    return out


def _display(token: Token) -> str:
    if isinstance(token, _Value):
        return '"' + token.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(token, _Open):
        return "("
    if isinstance(token, _Close):
        return ")"
    return token


__all__ = [
    "AndGroup",
    "IMAPSearchCriteria",
    "Node",
    "NotGroup",
    "OrGroup",
    "SearchKey",
    "imap_date",
]
