"""The header cache: message-list rows in SQLite, and the resync that keeps them true.

Textual-free, like the engine: ``store`` keeps rows per account and folder, ``codec`` turns
summaries into compact rows and back, ``sync`` asks the server what changed since the cache was
written (CONDSTORE/QRESYNC where offered, else a UID difference and a flags refresh).
"""

from .store import CachedFolder, CacheStats, FolderState, HeaderCache, Listing
from .sync import FolderDelta, apply_delta, resync, store_delta

__all__ = [
    "CacheStats",
    "CachedFolder",
    "FolderDelta",
    "FolderState",
    "HeaderCache",
    "Listing",
    "apply_delta",
    "resync",
    "store_delta",
]
