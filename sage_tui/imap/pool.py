"""The process-wide connection pools, one per ``ConnectionConfig``.

Opening an IMAP connection costs a TCP and TLS handshake plus LOGIN: hundreds of milliseconds on a
real network. The pool keeps up to ``max_connections`` logged-in connections, creates them lazily,
hands each to one thread at a time, checks long-idle ones with NOOP before reuse, and throws
broken ones away instead of returning them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .breaker import CircuitBreaker, CircuitState
from .config import ConnectionConfig
from .connection import Connection, interrupt, shutdown_quietly
from .errors import PoolTimeoutError, translate
from .metrics import EventKind, Metrics, MetricsSnapshot

log = logging.getLogger(__name__)

Connector = Callable[..., Connection]
"""Opens one logged-in connection: ``(config, on_socket=hook)``, the hook told of its socket."""


@dataclass(frozen=True)
class PoolStats:
    in_use: int
    idle: int
    max: int


class ConnectionPool:
    """Up to ``max_connections`` connections for one config, shared by every client of it.

    Args:
        config: The account; also the pool's identity.
        clock: Monotonic seconds (idle checks, breaker timing); tests inject a fake.
        sleep: How retries wait; tests inject a fake.
        connector: Opens one logged-in connection (``config, on_socket=...``); the default
            is ``Connection.open``.
    """

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        connector: Connector | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self._connector = connector or (
            lambda cfg, on_socket=None: Connection.open(cfg, clock=clock, on_socket=on_socket))
        self.metrics = Metrics(config.enable_monitoring, clock=clock)
        self.breaker = CircuitBreaker(
            config.circuit_failure_threshold,
            config.circuit_recovery_timeout,
            clock=clock,
            on_state_change=self._on_circuit_change,
            name=config.display_name,
        )
        self._cond = threading.Condition()
        self._idle: list[Connection] = []
        self._in_use: set[Connection] = set()
        self._opening = 0
        self._connecting: set[socket.socket] = set()
        """Sockets of connections being opened (greeting, TLS, login): shut on an abort."""
        self._closed = False
        self._aborting = False
        self.capabilities: frozenset[str] = frozenset()
        self.tls_version: str | None = None

    # -- checkout ---------------------------------------------------------------------------

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection]:
        """Borrow a connection; a failure inside the block discards it instead of returning it."""
        conn = self.checkout(timeout)
        try:
            yield conn
        except BaseException as exc:
            if not conn.survives(exc):
                conn.broken = True
            raise
        finally:
            self.checkin(conn)

    def checkout(self, timeout: float | None = None) -> Connection:
        """Take an idle connection, or open one if below the limit, or wait for one.

        Raises:
            PoolTimeoutError: every connection stayed busy for ``timeout`` (default: the
                config's timeout).
            Exception: whatever opening a new connection raised (untranslated).
        """
        wait = self.config.timeout if timeout is None else timeout
        deadline = self.clock() + wait
        while True:
            with self._cond:
                if self._closed:
                    raise PoolTimeoutError("the connection pool is closed")
                conn = self._idle.pop() if self._idle else None
                if conn is None and self._size() < self.config.max_connections:
                    self._opening += 1
                    opening = True
                else:
                    opening = False
                if conn is None and not opening:
                    remaining = deadline - self.clock()
                    if remaining <= 0:
                        raise PoolTimeoutError(
                            f"all {self.config.max_connections} connections to "
                            f"{self.config.display_name} stayed busy for {wait:.0f} s"
                        )
                    self._cond.wait(min(remaining, 0.5))
                    continue
                if conn is not None:
                    self._in_use.add(conn)
            if opening:
                return self._open_new()
            assert conn is not None
            if self._is_alive(conn):
                conn.acquire()
                return conn
            self._discard(conn, "failed its keepalive check")

    def checkin(self, conn: Connection) -> None:
        """Return a connection; a broken one is closed and its slot freed."""
        conn.release()
        with self._cond:
            self._in_use.discard(conn)
            keep = not conn.broken and not self._closed
            if keep:
                self._idle.append(conn)
            self._cond.notify()
        if not keep:
            self._close_quietly(conn, logout=not conn.broken)
            if conn.broken:
                self.metrics.emit(EventKind.DISCARDED, f"connection {conn.id} discarded")

    def _open_new(self) -> Connection:
        mine: list[socket.socket] = []

        def connected(sock: socket.socket) -> None:
            with self._cond:
                mine.append(sock)
                self._connecting.add(sock)
                aborted = self._closed and self._aborting
            if aborted:
                _shut(sock)

        try:
            conn = self._connector(self.config, on_socket=connected)
        except BaseException as exc:
            with self._cond:
                self._connecting.difference_update(mine)
            with self._cond:
                self._opening -= 1
                self._cond.notify()
            message = str(
                translate(
                    exc,
                    what=f"connecting to {self.config.display_name}",
                    secrets=(self.config.password,),
                )
            )
            self.metrics.record_connect(False, message)
            raise
        with self._cond:
            self._connecting.difference_update(mine)
            self._opening -= 1
            self._in_use.add(conn)
            self.capabilities = conn.capabilities
            self.tls_version = conn.tls_version
        conn.acquire()
        self.metrics.record_connect(True, f"connection {conn.id} to {self.config.display_name}")
        return conn

    def _is_alive(self, conn: Connection) -> bool:
        """NOOP a connection that sat idle past ``keepalive_interval``; servers drop idle ones."""
        if self.clock() - conn.last_used < self.config.keepalive_interval:
            return True
        try:
            conn.refresh()
            return True
        except Exception as exc:
            log.info("idle connection %s is dead: %s", conn.id, exc)
            return False

    def _discard(self, conn: Connection, why: str) -> None:
        conn.broken = True
        with self._cond:
            self._in_use.discard(conn)
            self._cond.notify()
        self._close_quietly(conn, logout=False)
        self.metrics.emit(EventKind.DISCARDED, f"connection {conn.id} {why}")

    def _size(self) -> int:
        return len(self._idle) + len(self._in_use) + self._opening

    # -- state ------------------------------------------------------------------------------

    def stats(self) -> PoolStats:
        with self._cond:
            return PoolStats(len(self._in_use), len(self._idle), self.config.max_connections)

    def snapshot(self) -> MetricsSnapshot:
        stats = self.stats()
        state = self.breaker.state
        return self.metrics.snapshot(
            pool_in_use=stats.in_use,
            pool_idle=stats.idle,
            pool_max=stats.max,
            circuit_state=state.value,
            circuit_retry_in=self.breaker.retry_in(),
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float | None = None, *, abort_busy: bool = False) -> None:
        """LOGOUT idle connections now; busy ones are closed when they come back.

        The LOGOUTs run side by side, so a slow or dead server costs one wait, not one per
        connection. With ``timeout`` the call returns by then even if some never answer (their
        sockets are closed by the process on exit), which bounds the time a quitting app takes.
        ``abort_busy`` (an app quitting) gives operations still running until the same deadline
        to finish and come back (they are logged out then), and then shuts their sockets, so a
        worker thread blocked on a read ends at once instead of holding up the exit. Every IMAP
        command is atomic on the server, so an aborted operation leaves each message in exactly
        one place; the operation itself fails with a connection error.
        """
        with self._cond:
            self._closed = True
            self._aborting = abort_busy
            idle, self._idle = self._idle, []
            connecting = list(self._connecting) if abort_busy else []
            self._cond.notify_all()
        for sock in connecting:  # still waiting for a greeting or a login: nothing to save
            _shut(sock)
        deadline = None if timeout is None else time.monotonic() + timeout
        if len(idle) <= 1 and timeout is None:
            for conn in idle:
                self._close_quietly(conn, logout=True)
        else:
            threads = [
                threading.Thread(target=self._close_quietly, args=(conn,),
                                 kwargs={"logout": True}, name=f"imap-logout-{conn.id}",
                                 daemon=True)
                for conn in idle
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if not abort_busy:
            return
        with self._cond:
            while self._in_use and (deadline is None or time.monotonic() < deadline):
                self._cond.wait(0.05 if deadline is None else
                                max(0.0, min(0.05, deadline - time.monotonic())))
            busy = list(self._in_use)
        for conn in busy:
            interrupt(conn.raw)

    def _close_quietly(self, conn: Connection, *, logout: bool) -> None:
        if logout:
            conn.logout()
        else:
            shutdown_quietly(conn.raw)

    def _on_circuit_change(self, old: CircuitState, new: CircuitState, reason: str) -> None:
        # The event is also the log line (``Metrics.emit`` logs every event).
        self.metrics.emit(
            EventKind.STATE_CHANGE,
            f"circuit {old.value} -> {new.value}: {reason}",
            old=old.value,
            new=new.value,
        )


def _shut(sock: socket.socket) -> None:
    """Wake a thread blocked on ``sock`` (``interrupt`` does this for open connections)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_pools: dict[ConnectionConfig, ConnectionPool] = {}
_pools_lock = threading.Lock()


def get_pool(config: ConnectionConfig, **options: object) -> ConnectionPool:
    """The shared pool for ``config`` (all fields equal, credentials included)."""
    with _pools_lock:
        pool = _pools.get(config)
        if pool is None or pool.closed:
            pool = ConnectionPool(config, **options)  # type: ignore[arg-type]
            _pools[config] = pool
        return pool


def close_all() -> None:
    """Close every pool in the process (LOGOUT of idle connections)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


atexit.register(close_all)
