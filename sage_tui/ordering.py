"""Run thread workers' critical sections in the order the user asked for them.

Triage actions are separate workers (so the UI never waits), but "archive, then undo" must reach
the server in that order. Tickets are handed out on the UI thread when the action is taken; each
worker waits for its turn before touching the server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class InOrder:
    """A FIFO turnstile: ``ticket()`` on the UI thread, ``with turn(t):`` in the worker."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    def ticket(self) -> int:
        with self._cond:
            ticket = self._next
            self._next += 1
            return ticket

    @contextmanager
    def turn(self, ticket: int, cancelled: threading.Event | None = None) -> Iterator[None]:
        with self._cond:
            while self._serving != ticket:
                self._cond.wait(0.2)
                if cancelled is not None and cancelled.is_set():
                    break
        try:
            yield
        finally:
            with self._cond:
                self._serving = max(self._serving, ticket + 1)
                self._cond.notify_all()
