"""The IMAP engine of sage-tui: pooled, retried, circuit-broken and measured.

This package never imports Textual or Rich (a test enforces it): scripts use it directly, and the
UI runs it in worker threads and hears back through events.

The public names follow the Python Sage IMAP library's documented API, so its practice guide's
examples run unchanged with ``from sage_tui.imap import ...``.
"""

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
