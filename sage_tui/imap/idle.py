"""Watching one folder for changes: IDLE on a connection of its own, else NOOP polling.

IDLE occupies its connection until ``DONE``, so the watcher never borrows from the shared pool
(that would starve the list and the actions). RFC 2177 lets servers drop an IDLE after 30
minutes; the watcher re-issues it before 29. When the connection dies, the watcher reconnects
with the account's backoff and reports a change, because mail may have arrived meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import wire
from .config import ConnectionConfig
from .connection import Connection, interrupt
from .errors import IMAPError, translate
from .retry import RetryPolicy

IDLE_RENEW_SECONDS = 25 * 60
"""Re-issue IDLE this often: under RFC 2177's 29 minutes, with room for a slow network."""


@dataclass(frozen=True)
class FolderChange:
    """Something changed in the watched folder (or may have, after a reconnect).

    Attributes:
        folder: The watched folder.
        reason: "idle" (the server told us), "poll" (NOOP found something), "reconnect", or
            "start" (the folder changed between the caller's listing and the watcher's SELECT).
        responses: How many untagged responses came in.
    """

    folder: str
    reason: str
    responses: int = 0


class FolderWatcher:
    """Blocks in ``run()`` until ``stop`` is set, calling back on every change.

    Args:
        config: The account (the watcher opens its own connection with it).
        folder: The folder to watch.
        poll_interval: Seconds between NOOPs where the server has no IDLE.
        check_interval: How often the IDLE loop wakes to look at ``stop``; bounds shutdown time.
        renew_after: Seconds before IDLE is re-issued.
        use_idle: False forces polling (servers that advertise IDLE but handle it badly).
    """

    def __init__(
        self,
        config: ConnectionConfig,
        folder: str,
        *,
        poll_interval: float = 30.0,
        check_interval: float = 0.5,
        renew_after: float = IDLE_RENEW_SECONDS,
        use_idle: bool = True,
        clock: Callable[[], float] = time.monotonic,
        known: tuple[int, int | None] | None = None,
    ) -> None:
        self.config = config
        self.folder = folder
        self.poll_interval = poll_interval
        self.check_interval = check_interval
        self.renew_after = renew_after
        self.use_idle = use_idle
        self._clock = clock
        self.known = known
        """(EXISTS, UIDNEXT) the caller listed the folder with: mail that arrived before the
        watcher's own SELECT would otherwise never be reported."""
        self._conn: Connection | None = None
        self.finished = threading.Event()
        """Set when ``run()`` has returned (its connection logged out)."""
        self.retry_in: float | None = None
        """Seconds until the next reconnect, set before ``on_error`` is called (None: the
        failure is permanent and the watcher has stopped)."""
        self.mode: str | None = None
        """"idle" or "poll" once connected: what the status line can show."""
        self.renewals = 0

    def run(
        self,
        on_change: Callable[[FolderChange], None],
        stop: threading.Event,
        on_error: Callable[[IMAPError], None] | None = None,
    ) -> None:
        try:
            self._run(on_change, stop, on_error)
        finally:
            self.finished.set()

    def _run(
        self,
        on_change: Callable[[FolderChange], None],
        stop: threading.Event,
        on_error: Callable[[IMAPError], None] | None,
    ) -> None:
        policy = RetryPolicy.from_config(self.config)
        failures = 0
        first = True
        while not stop.is_set():
            conn: Connection | None = None
            try:
                conn = self._conn = Connection.open(self.config, clock=self._clock)
                if stop.is_set():
                    return
                selected = conn.raw.select_folder(self.folder, readonly=True)
                if not first:
                    on_change(FolderChange(self.folder, "reconnect"))
                elif self.known is not None and self.known != (
                    selected.get(b"EXISTS"), selected.get(b"UIDNEXT")
                ):
                    on_change(FolderChange(self.folder, "start"))
                first, failures = False, 0
                if self.use_idle and conn.has("IDLE"):
                    self.mode = "idle"
                    self._idle(conn, on_change, stop)
                else:
                    self.mode = "poll"
                    self._poll(conn, on_change, stop)
            except Exception as exc:  # the watcher must outlive any failure and say what it was
                if stop.is_set():
                    return  # stopped (and perhaps interrupted) on purpose: nothing to report
                error = translate(exc, what=f"watching {self.folder} for new mail",
                                  secrets=(self.config.password,))
                failures += 1
                delay = policy.delay(min(failures, 8))
                self.retry_in = delay if error.transient else None
                if on_error is not None:
                    on_error(error)
                if not error.transient:
                    return
                stop.wait(delay)
            finally:
                self._conn = None
                if conn is not None:
                    conn.logout()

    def interrupt(self) -> None:
        """End a ``run()`` that a stop did not end in time (a server slow to answer DONE):
        its connection's socket is shut from this thread. Set ``stop`` first."""
        conn = self._conn
        if conn is not None:
            interrupt(conn.raw)

    def _idle(
        self, conn: Connection, on_change: Callable[[FolderChange], None], stop: threading.Event
    ) -> None:
        raw = conn.raw
        raw.idle()
        started = self._clock()
        while not stop.is_set():
            lines = wire.idle_wait(raw, self.check_interval, self.config.timeout)
            changes = [line for line in lines if wire.is_change(line)]
            if changes:
                on_change(FolderChange(self.folder, "idle", len(changes)))
            if self._clock() - started >= self.renew_after:
                raw.idle_done()
                raw.idle()
                started = self._clock()
                self.renewals += 1
        # Only on a clean stop: after a failure the connection is gone and DONE would fail too.
        raw.idle_done()

    def _poll(
        self, conn: Connection, on_change: Callable[[FolderChange], None], stop: threading.Event
    ) -> None:
        while not stop.wait(self.poll_interval):
            _, responses = conn.raw.noop()
            changes = [r for r in responses if _is_change(r)]
            if changes:
                on_change(FolderChange(self.folder, "poll", len(changes)))


def _is_change(response: object) -> bool:
    """A parsed NOOP response (``(6, b"EXISTS")``) that means the folder changed."""
    if isinstance(response, tuple):
        return any(
            isinstance(part, bytes) and part.upper() in wire.IDLE_CHANGE_WORDS
            for part in response
        )
    return False
