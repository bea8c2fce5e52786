"""Run one IMAP operation on the pool: breaker, retries with backoff, metrics, error mapping.

Every engine call goes through ``run_operation``, so resilience is one mechanism, not a habit
repeated in each method. An operation is a function of a ``Connection``; it may run again on a
fresh connection, so it must be safe to repeat, or be declared ``idempotent=False``: then it is
retried only when it failed before its command could reach the server (while connecting or
selecting), because a repeated COPY or APPEND would duplicate mail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from .connection import Connection
from .errors import (
    CircuitOpenError,
    IMAPError,
    PoolTimeoutError,
    UIDValidityChangedError,
    translate,
)
from .pool import ConnectionPool
from .retry import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")


class OperationCancelled(Exception):
    """The caller's cancel event was set while the operation waited to retry."""


def run_operation(
    pool: ConnectionPool,
    what: str,
    operation: Callable[[Connection], T],
    *,
    kind: type[IMAPError] = IMAPError,
    folder: str | None = None,
    readonly: bool = True,
    idempotent: bool = True,
    uidvalidity: int | None = None,
    cancel: threading.Event | None = None,
    retries: int | None = None,
    fresh: bool = False,
) -> T:
    """Run ``operation`` on a pooled connection, with the folder selected if one is given.

    Args:
        pool: The shared pool of the account.
        what: Words for messages and logs ("fetching 60 messages from INBOX").
        operation: The work; receives a connection owned by this thread.
        kind: Error class for a server refusal (NO/BAD) of this operation.
        folder: Select this folder first (skipped when it is already selected).
        readonly: EXAMINE is enough (no flag or expunge changes).
        idempotent: Safe to repeat after the command may have reached the server.
        uidvalidity: The UIDVALIDITY the caller's UIDs belong to; a different one raises
            ``UIDValidityChangedError`` instead of acting on the wrong messages.
        cancel: Set it to stop waiting between retries.
        retries: Override the config's ``max_retries`` (0 for a quick health probe).
        fresh: Bring the selected folder's message count up to date (NOOP) before the work.

    Raises:
        IMAPError: a subclass saying what went wrong, the original chained.
    """
    policy = RetryPolicy.from_config(pool.config)
    if retries is not None:
        policy = replace(policy, max_retries=retries)
    secrets = (pool.config.password,)
    op = operation_name(operation)
    first_started = pool.clock()
    attempt = 0
    while True:
        attempt += 1
        started = pool.clock()
        reached_server = False
        try:
            pool.breaker.before_call()
        except CircuitOpenError as exc:  # fail at once: that is the point of an open circuit
            pool.metrics.record_operation(0.0, ok=False, error=str(exc))
            _log_outcome(pool, what, op, folder, first_started, attempt, exc)
            raise
        try:
            with pool.connection() as conn:
                if folder is not None:
                    info = conn.ensure_selected(folder, readonly, fresh=fresh)
                    if uidvalidity is not None and info.uidvalidity != uidvalidity:
                        raise UIDValidityChangedError(
                            f"{folder} was reset on the server (UIDVALIDITY {uidvalidity} -> "
                            f"{info.uidvalidity}); reload it before acting on its messages"
                        )
                reached_server = True
                result = operation(conn)
        except BaseException as exc:
            error = translate(exc, what=what, kind=kind, secrets=secrets)
            _record_breaker(pool, error, exc)
            elapsed = pool.clock() - started
            can_retry = (
                error.transient
                and not pool.closed  # the app is quitting (or the account was switched)
                and attempt <= policy.max_retries
                and (idempotent or not reached_server)
                and isinstance(exc, Exception)
            )
            if not can_retry:
                if error.transient and reached_server and not idempotent:
                    error = type(error)(
                        f"{error}. The server may or may not have done it: check before "
                        "trying again"
                    )
                pool.metrics.record_operation(elapsed, ok=False, error=str(error))
                _log_outcome(pool, what, op, folder, first_started, attempt, error)
                if error is exc:
                    raise
                raise error from exc
            delay = policy.delay(attempt)
            pool.metrics.record_retry(attempt, policy.max_retries, delay, str(error), what)
            _wait(pool, delay, cancel)
            continue
        pool.breaker.record_success()
        pool.metrics.record_operation(pool.clock() - started, ok=True)
        _log_outcome(pool, what, op, folder, first_started, attempt, None)
        return result


def operation_name(operation: Callable[..., object]) -> str:
    """A short, stable name for logs: the method that defined the work.

    ``IMAPMailboxService.list_folders.<locals>.work`` is ``list_folders``; a plain function is
    its own name.
    """
    qualname = getattr(operation, "__qualname__", None) or type(operation).__name__
    return qualname.split(".<locals>.", 1)[0].rsplit(".", 1)[-1]


def _log_outcome(
    pool: ConnectionPool,
    what: str,
    op: str,
    folder: str | None,
    started: float,
    attempts: int,
    error: BaseException | None,
) -> None:
    """One structured line per operation (``sage_tui.logs`` documents the format).

    Names, timings and the (already scrubbed) error sentence only: never data of a message.
    """
    log.log(
        logging.INFO if error is None else logging.WARNING,
        "%s",
        what,
        extra={
            "op": op,
            "folder": folder,
            "duration_ms": round((pool.clock() - started) * 1000, 1),
            "outcome": "ok" if error is None else type(error).__name__,
            "attempts": attempts,
            "error": None if error is None else str(error),
        },
    )


def _record_breaker(pool: ConnectionPool, error: IMAPError, original: BaseException) -> None:
    """Only transient failures count against the server; a NO/BAD answer proves it is alive."""
    if isinstance(error, CircuitOpenError | PoolTimeoutError) or not isinstance(
        original, Exception
    ):
        pool.breaker.release()
    elif error.transient:
        pool.breaker.record_failure(str(error))
    else:
        pool.breaker.record_success()


def _wait(pool: ConnectionPool, delay: float, cancel: threading.Event | None) -> None:
    if cancel is None:
        pool.sleep(delay)
    elif cancel.wait(delay):
        raise OperationCancelled("cancelled while waiting to retry")
