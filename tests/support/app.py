"""Helpers for driving the real app (Pilot) against a real IMAP server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sage_tui.account import Account
from sage_tui.app import SageApp
from sage_tui.imap.config import ConnectionConfig
from sage_tui.screens.main import MainScreen


def make_app(config: ConnectionConfig, *, folder: str = "INBOX", watch: bool = False,
             poll_interval: float = 30.0) -> SageApp:
    return SageApp(Account(config, config.display_name, default_folder=folder), watch=watch,
                   poll_interval=poll_interval)


async def settle(pilot, condition: Callable[[], bool] | None = None, timeout: float = 15.0
                 ) -> None:
    """Wait for the app's workers and queued messages, then (optionally) for ``condition``.

    Workers are waited on without raising (a cancelled folder load is normal after a switch),
    then the message queue is drained; ``condition`` is polled because results arrive as
    messages posted from threads.
    """
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        busy = [w for w in app.workers if w.is_running and w.group != "watch"]
        if busy:
            await asyncio.wait([asyncio.ensure_future(_finished(w)) for w in busy],
                               timeout=max(0.05, deadline - loop.time()))
        await pilot.pause()
        if (condition is None or condition()) and not any(
            w.is_running and w.group != "watch" for w in app.workers
        ):
            return
        if loop.time() > deadline:
            raise AssertionError("the app did not settle in time")
        await asyncio.sleep(0.02)


async def until(pilot, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``condition`` without waiting for workers: ``settle`` would wait for them, and one
    may be blocked on a stalled server on purpose."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the app did not reach the expected state in time")
        await pilot.pause()
        await asyncio.sleep(0.02)


async def _finished(worker) -> None:
    """Wait for a worker; its failure is the app's to show (the tests look at the screen)."""
    with contextlib.suppress(Exception):
        await worker.wait()


def main_screen(app: SageApp) -> MainScreen:
    screen = app.get_screen("main")
    assert isinstance(screen, MainScreen)
    return screen
