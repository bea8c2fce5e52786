"""``IMAPClient``: the account handle that scripts and the UI hold.

It is a thin, thread-safe facade over the shared pool of its config. It holds no connection of
its own between operations, so one client can serve many worker threads, and leaving a ``with``
block (or ``disconnect()``) leaves nothing checked out. Pooled connections stay open for the next
client of the same account; ``close_all()`` (also run at exit) logs them out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

from .config import ConnectionConfig
from .connection import Connection
from .errors import IMAPError
from .metrics import EngineEvent, MetricsSnapshot
from .pool import ConnectionPool, get_pool
from .runner import run_operation

T = TypeVar("T")


class IMAPClient:
    """A handle on one account's shared connection pool.

    Build it from a config, or from the config's fields as keyword arguments::

        with IMAPClient(host="imap.example.com", username="me", password=secret) as client:
            IMAPMailboxService(client).list_folders()

    Args:
        config: The account settings (or any object with ``ConnectionConfig`` attributes).
        **fields: ``ConnectionConfig`` fields; with ``config`` they override its values.
    """

    def __init__(self, config: ConnectionConfig | Any = None, **fields: Any) -> None:
        if config is None:
            config = ConnectionConfig(**fields)
        else:
            config = ConnectionConfig.coerce(config)
            if fields:
                config = replace(config, **fields)
        self.config = config
        self._pool: ConnectionPool | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"IMAPClient({self.config.display_name}, tls={self.config.tls_mode})"

    # -- lifecycle ----------------------------------------------------------------------------

    def connect(self) -> IMAPClient:
        """Attach to the shared pool and make sure one connection can log in.

        Raises at once (``IMAPAuthenticationError``, ``IMAPConnectionError``...) instead of at
        the first real operation, which is what a login screen wants.
        """
        self.run("connecting", lambda conn: None)
        return self

    def disconnect(self) -> None:
        """Detach from the pool; its connections stay open for other clients of the account."""
        with self._lock:
            self._pool = None

    def close(self, timeout: float | None = None, *, abort_busy: bool = False) -> None:
        """Close the account for good: its pool logs out (``ConnectionPool.close``, same
        arguments), and this client stays on that closed pool.

        What an app quitting wants: an operation a worker thread starts afterwards fails at
        once (a closed pool lends no connection, and is not retried), where ``disconnect``
        would let it open a new pool and a new connection (to a server that may be the reason
        for quitting). Metrics stay readable.
        """
        with self._lock:
            self._closed = True
            pool = self._pool = self._pool or get_pool(self.config)
        pool.close(timeout, abort_busy=abort_busy)

    def __enter__(self) -> IMAPClient:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disconnect()

    @property
    def pool(self) -> ConnectionPool:
        """The shared pool, attached on first use (so the explicit ``connect()`` is optional)."""
        with self._lock:
            if self._pool is None or (self._pool.closed and not self._closed):
                self._pool = get_pool(self.config)
            return self._pool

    # -- operations ---------------------------------------------------------------------------

    def run(
        self,
        what: str,
        operation: Callable[[Connection], T],
        **options: Any,
    ) -> T:
        """Run ``operation`` with retries, the breaker and metrics (see ``run_operation``)."""
        return run_operation(
            self.pool, f"{what} ({self.config.display_name})", operation, **options
        )

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The server's capabilities after login, sorted (connects if nothing is known yet).

        A tuple, not a set, so that it serialises to JSON as it is (the guide's health check
        puts it straight into a JSON response).
        """
        pool = self.pool
        if not pool.capabilities:
            self.connect()
        return tuple(sorted(pool.capabilities))

    def has_capability(self, name: str) -> bool:
        if not self.pool.capabilities:
            self.connect()
        return name.upper() in self.pool.capabilities

    # -- health -------------------------------------------------------------------------------

    def get_metrics(self) -> MetricsSnapshot:
        """An immutable snapshot of the pool's counters, latencies, pool and circuit state."""
        return self.pool.snapshot()

    def subscribe(self, listener: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Follow the pool's events live (retry, state change, connect, failure)."""
        return self.pool.metrics.subscribe(listener)

    def health_check(self) -> dict[str, Any]:
        """Round-trip a NOOP and report; never raises.

        Returns:
            ``status`` ("healthy" or "unhealthy"), ``latency`` (seconds or None),
            ``capabilities`` (sorted list), ``tls`` (e.g. "TLSv1.3", or None for plain text),
            ``error`` (plain words or None), plus ``circuit`` (state) and ``server``.
        """
        report: dict[str, Any] = {
            "status": "unhealthy",
            "latency": None,
            "capabilities": [],
            "tls": None,
            "error": None,
            "circuit": self.pool.breaker.state.value,
            "server": f"{self.config.host}:{self.config.port}",
        }
        started = time.perf_counter()
        try:
            self.run("checking health", lambda conn: conn.raw.noop(), retries=0)
        except IMAPError as exc:
            report["error"] = str(exc)
        else:
            report["status"] = "healthy"
            report["latency"] = time.perf_counter() - started
        pool = self.pool
        report["capabilities"] = sorted(pool.capabilities)
        report["tls"] = pool.tls_version
        report["circuit"] = pool.breaker.state.value
        return report
