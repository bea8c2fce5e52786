"""The search builder's model: rows of field, operator and value in nested groups.

Plain data, no widgets, so the builder screen only draws and edits it, and the two directions
are tested on their own: rows -> criteria (with a message per invalid row, and nothing built
while any row is invalid) and criteria -> rows (any criteria, including parsed query text, can
be shown as rows and turned back into the same search).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .imap.messageset import MessageSet
from .imap.query import parse_date, parse_size
from .imap.search import (
    AndGroup,
    IMAPSearchCriteria,
    Node,
    NotGroup,
    OrGroup,
    SearchKey,
)

TEXT_FIELDS = {
    "from": ("FROM", "from_address"), "to": ("TO", "to_address"), "cc": ("CC", "cc"),
    "bcc": ("BCC", "bcc"), "subject": ("SUBJECT", "subject"), "body": ("BODY", "body"),
    "text": ("TEXT", "text"),
}
DATE_FIELDS = {"date": ("", "before", "on", "since"),
               "sent": ("SENT", "sent_before", "sent_on", "sent_since")}
DATE_OPS = ("before", "on", "since")
SIZE_OPS = ("larger", "smaller")
FLAG_VALUES = ("seen", "answered", "flagged", "draft", "deleted", "new", "old", "recent")
FIELDS = (*TEXT_FIELDS, "header", "date", "sent", "size", "flag", "keyword", "uid", "all")
"""Every field the builder offers, in menu order."""

OPERATORS: dict[str, tuple[str, ...]] = {
    **{name: ("contains",) for name in TEXT_FIELDS},
    "header": ("contains",),
    "date": DATE_OPS,
    "sent": DATE_OPS,
    "size": SIZE_OPS,
    "flag": ("is", "is not"),
    "keyword": ("is", "is not"),
    "uid": ("in",),
    "all": ("any message",),
}


@dataclass
class Row:
    """One condition. ``value`` is text as typed (dates ``YYYY-MM-DD``, sizes ``1.5MB``,
    headers ``Name=value``), so a half-typed row is still a row."""

    field: str = "subject"
    op: str = "contains"
    value: str = ""
    negated: bool = False


@dataclass
class Group:
    """Rows and groups that must all match (``mode="all"``) or any of them (``"any"``)."""

    mode: str = "all"
    items: list[Row | Group] = field(default_factory=list)
    negated: bool = False


Path = tuple[int, ...]
"""Where an item sits: indexes from the top group down (``(2, 0)``: first row of item 2)."""


def quick_since(days: int, today: dt.date | None = None) -> Row:
    """A "last N days" row: ``since`` the day N-1 days ago, so today counts as one of them."""
    today = today or dt.date.today()
    return Row("date", "since", (today - dt.timedelta(days=days - 1)).isoformat())


# -- rows -> criteria ----------------------------------------------------------------------


def row_criteria(row: Row) -> IMAPSearchCriteria:
    """The criteria of one row; ``ValueError`` in words for the user when the row is wrong."""
    c = IMAPSearchCriteria()
    # Text values are searched exactly as typed (spaces count); other values are trimmed.
    exact = row.field in TEXT_FIELDS or row.field == "header"
    value = row.value if exact else row.value.strip()
    if row.field not in OPERATORS:
        raise ValueError(f"unknown field {row.field!r}")
    if row.op not in OPERATORS[row.field]:
        raise ValueError(f"{row.field} cannot be combined with {row.op!r}")
    if row.field in TEXT_FIELDS:
        # An empty value is allowed (it matches every message, as IMAP says); the preview
        # shows FROM "" so nothing is hidden.
        built = getattr(c, TEXT_FIELDS[row.field][1])(value)
    elif row.field == "header":
        name, equals, header_value = value.partition("=")
        if not equals or not name.strip():
            raise ValueError("write the header as Name=value, e.g. List-Id=rust")
        built = c.header(name.strip(), header_value)
    elif row.field in DATE_FIELDS:
        if not value:
            raise ValueError("type a date as YYYY-MM-DD")
        method = DATE_FIELDS[row.field][1 + DATE_OPS.index(row.op)]
        built = getattr(c, method)(parse_date(value))
    elif row.field == "size":
        if not value:
            raise ValueError("type a size such as 500KB or 2MB")
        built = getattr(c, row.op)(parse_size(value))
    elif row.field == "flag":
        if value not in FLAG_VALUES:
            raise ValueError(f"choose one of: {', '.join(FLAG_VALUES)}")
        if row.op == "is":
            built = getattr(c, value)()
        elif hasattr(c, f"un{value}"):  # UNSEEN, UNFLAGGED...: what servers index directly
            built = getattr(c, f"un{value}")()
        else:
            built = IMAPSearchCriteria.not_(getattr(c, value)())
    elif row.field == "keyword":
        built = c.keyword(value) if row.op == "is" else c.unkeyword(value)
    elif row.field == "uid":
        built = c.uid(MessageSet.parse(value))
    else:
        built = c.all()
    return IMAPSearchCriteria.not_(built) if row.negated else built


def build(group: Group) -> tuple[IMAPSearchCriteria | None, dict[Path, str]]:
    """The criteria for ``group``, or None and a message for every invalid row (by path).

    Nothing is built while any row is wrong, so nothing malformed can be sent.
    """
    errors: dict[Path, str] = {}
    built = _build(group, (), errors)
    return (None, errors) if errors else (built, errors)


def _build(group: Group, path: Path, errors: dict[Path, str]) -> IMAPSearchCriteria:
    parts: list[IMAPSearchCriteria] = []
    for index, item in enumerate(group.items):
        where = (*path, index)
        if isinstance(item, Group):
            parts.append(_build(item, where, errors))
            continue
        try:
            parts.append(row_criteria(item))
        except ValueError as error:
            errors[where] = str(error)
    if not parts:
        result = IMAPSearchCriteria()
    elif group.mode == "any":
        result = IMAPSearchCriteria.or_(*parts)
    else:
        result = IMAPSearchCriteria.and_(*parts)
    return IMAPSearchCriteria.not_(result) if group.negated else result


# -- criteria -> rows ----------------------------------------------------------------------


def rows_for(criteria: IMAPSearchCriteria) -> Group:
    """Any criteria as a top-level group of rows (the inverse of ``build``)."""
    return _as_group(criteria.tree)


def _as_group(node: Node) -> Group:
    if isinstance(node, AndGroup):
        return Group("all", [_as_item(child) for child in node.children])
    if isinstance(node, OrGroup):
        return Group("any", [_as_item(child) for child in node.children])
    if isinstance(node, NotGroup) and isinstance(node.child, AndGroup | OrGroup):
        inner = _as_group(node.child)
        inner.negated = True
        return inner
    return Group("all", [_as_item(node)])


def _as_item(node: Node) -> Row | Group:
    if isinstance(node, AndGroup | OrGroup):
        return _as_group(node)
    if isinstance(node, NotGroup):
        if isinstance(node.child, SearchKey):
            row = _key_row(node.child)
            row.negated = True
            return row
        return _as_group(node)
    return _key_row(node)


def _key_row(key: SearchKey) -> Row:
    name, value = key.name, key.value
    for field_name, (imap_name, _) in TEXT_FIELDS.items():
        if name == imap_name:
            return Row(field_name, "contains", str(value))
    if name == "HEADER" and isinstance(value, tuple):
        return Row("header", "contains", f"{value[0]}={value[1]}")
    for field_name, (prefix, *_) in DATE_FIELDS.items():
        for op in DATE_OPS:
            if name == prefix + op.upper() and isinstance(value, dt.date):
                return Row(field_name, op, value.isoformat())
    if name in ("LARGER", "SMALLER"):
        return Row("size", name.lower(), str(value))
    if name in ("KEYWORD", "UNKEYWORD"):
        return Row("keyword", "is" if name == "KEYWORD" else "is not", str(value))
    if name == "UID":
        return Row("uid", "in", str(value))
    if name == "ALL":
        return Row("all", "any message")
    flag = name.lower()
    if flag in FLAG_VALUES:
        return Row("flag", "is", flag)
    if flag.startswith("un") and flag[2:] in FLAG_VALUES:
        return Row("flag", "is not", flag[2:])
    raise ValueError(f"no builder row for {name}")  # pragma: no cover - every key is covered
