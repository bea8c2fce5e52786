"""Which folder plays which part: Inbox, Archive, Trash, Sent, Junk, Drafts.

SPECIAL-USE (RFC 6154) flags decide where the server sets them. Many servers (pymap among them)
set none, so well-known names are the fall-back, as every desktop client does.
"""

from __future__ import annotations

from collections.abc import Iterable

ROLE_ORDER = ("inbox", "drafts", "sent", "archive", "flagged", "all", "junk", "trash")
"""Where each role sits in a folder list: the order users know from other clients."""

_SPECIAL_USE = {
    "\\archive": "archive",
    "\\trash": "trash",
    "\\sent": "sent",
    "\\junk": "junk",
    "\\spam": "junk",
    "\\drafts": "drafts",
    "\\all": "all",
    "\\allmail": "all",
    "\\flagged": "flagged",
    "\\starred": "flagged",
    "\\inbox": "inbox",
}

_WELL_KNOWN_NAMES = {
    "archive": ("archive", "archives", "[gmail]/all mail", "all mail"),
    "trash": (
        "trash",
        "deleted items",
        "deleted messages",
        "deleted",
        "bin",
        "[gmail]/trash",
        "[gmail]/bin",
    ),
    "sent": ("sent", "sent items", "sent messages", "sent mail", "[gmail]/sent mail"),
    "junk": ("junk", "spam", "junk e-mail", "junk email", "bulk mail", "[gmail]/spam"),
    "drafts": ("drafts", "draft", "[gmail]/drafts"),
}


def role_from_flags(flags: Iterable[str]) -> str | None:
    for flag in flags:
        role = _SPECIAL_USE.get(flag.lower())
        if role:
            return role
    return None


def role_from_name(name: str, delimiter: str | None) -> str | None:
    """Match top-level names (``INBOX.Trash`` counts as top level under INBOX)."""
    if name.upper() == "INBOX":
        return "inbox"
    lowered = name.lower()
    if delimiter and lowered.startswith("inbox" + delimiter):
        lowered = lowered[len("inbox" + delimiter) :]
    for role, names in _WELL_KNOWN_NAMES.items():
        if lowered in names:
            return role
    return None


def assign_roles(
    folders: Iterable[tuple[str, str | None, frozenset[str]]],
) -> dict[str, str]:
    """Map folder name -> role: flags first; names only for roles no flag claimed."""
    listed = list(folders)
    roles: dict[str, str] = {}
    claimed: set[str] = set()
    for name, _, flags in listed:
        role = "inbox" if name.upper() == "INBOX" else role_from_flags(flags)
        if role:
            roles[name] = role
            claimed.add(role)
    for name, delimiter, _ in listed:
        if name in roles:
            continue
        role = role_from_name(name, delimiter)
        if role and role not in claimed:
            roles[name] = role
            claimed.add(role)
    return roles
