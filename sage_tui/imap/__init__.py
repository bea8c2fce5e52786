"""The IMAP engine of sage-tui: pooled, retried, circuit-broken and measured.

This package never imports Textual or Rich (a test enforces it): scripts use it directly, and the
UI runs it in worker threads and hears back through events.

The public names follow the Python Sage IMAP library's documented API, so its practice guide's
examples run unchanged with ``from sage_tui.imap import ...``.

Names are loaded on first use (PEP 562), so that importing one module of the engine (the app
imports ``sage_tui.imap.config`` first) does not load all of it, the email package included,
before the first page shows.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .breaker import CircuitBreaker, CircuitState
    from .client import IMAPClient
    from .config import ConnectionConfig
    from .errors import (
        CircuitOpenError,
        IMAPAuthenticationError,
        IMAPCapabilityError,
        IMAPConnectionError,
        IMAPError,
        IMAPFolderError,
        IMAPMessageError,
        IMAPProtocolError,
        IMAPSearchError,
        IMAPTLSError,
        PoolTimeoutError,
        UIDValidityChangedError,
    )
    from .idle import FolderChange, FolderWatcher
    from .mailbox import IMAPMailboxService
    from .messageset import MessageSet
    from .metrics import EngineEvent, EventKind, MetricsSnapshot
    from .models import Address, Attachment, Folder, Message, MessageSummary, MoveResult, SelectInfo
    from .pool import ConnectionPool, close_all
    from .search import IMAPSearchCriteria

_HOMES = {
    "Address": "models",
    "Attachment": "models",
    "CircuitBreaker": "breaker",
    "CircuitOpenError": "errors",
    "CircuitState": "breaker",
    "ConnectionConfig": "config",
    "ConnectionPool": "pool",
    "EngineEvent": "metrics",
    "EventKind": "metrics",
    "Folder": "models",
    "FolderChange": "idle",
    "FolderWatcher": "idle",
    "IMAPAuthenticationError": "errors",
    "IMAPCapabilityError": "errors",
    "IMAPClient": "client",
    "IMAPConnectionError": "errors",
    "IMAPError": "errors",
    "IMAPFolderError": "errors",
    "IMAPMailboxService": "mailbox",
    "IMAPMessageError": "errors",
    "IMAPProtocolError": "errors",
    "IMAPSearchCriteria": "search",
    "IMAPSearchError": "errors",
    "IMAPTLSError": "errors",
    "Message": "models",
    "MessageSet": "messageset",
    "MessageSummary": "models",
    "MetricsSnapshot": "metrics",
    "MoveResult": "models",
    "PoolTimeoutError": "errors",
    "SelectInfo": "models",
    "UIDValidityChangedError": "errors",
    "close_all": "pool",
}
"""Each public name and the module it lives in."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__all__ = [
    "Address",
    "Attachment",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "ConnectionConfig",
    "ConnectionPool",
    "EngineEvent",
    "EventKind",
    "Folder",
    "FolderChange",
    "FolderWatcher",
    "IMAPAuthenticationError",
    "IMAPCapabilityError",
    "IMAPClient",
    "IMAPConnectionError",
    "IMAPError",
    "IMAPFolderError",
    "IMAPMailboxService",
    "IMAPMessageError",
    "IMAPProtocolError",
    "IMAPSearchCriteria",
    "IMAPSearchError",
    "IMAPTLSError",
    "Message",
    "MessageSet",
    "MessageSummary",
    "MetricsSnapshot",
    "MoveResult",
    "PoolTimeoutError",
    "SelectInfo",
    "UIDValidityChangedError",
    "close_all",
]
