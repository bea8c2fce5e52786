"""The real app on the embedded demo server, as snapshots and screenshots need it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sage_tui.account import Account
from sage_tui.app import SageApp
from sage_tui.demo import DemoServer
from sage_tui.imap.config import ConnectionConfig
from sage_tui.screens.main import MainScreen

DEMO_LABEL = "demo mailbox"


def demo_app(server: DemoServer, *, folder: str = "INBOX") -> SageApp:
    """The app as ``sage-tui --demo`` builds it, without the IDLE watcher (nothing arrives)."""
    config = ConnectionConfig(host=server.host, port=server.port, username=server.username,
                              password=server.password, use_ssl=False, starttls=False)
    return SageApp(Account(config, DEMO_LABEL, default_folder=folder), watch=False)


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``condition`` while the app runs (snapshots run the app, not ``run_test``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the demo app did not reach the expected state in time")
        await asyncio.sleep(0.05)
    await pilot.pause()


def main_of(app: SageApp) -> MainScreen:
    assert app.main_screen is not None
    return app.main_screen


async def fully_loaded(pilot) -> None:
    """Folder tree with counts, every INBOX row listed, and the reader showing the cursor's
    message: the state a person sees after a few seconds."""
    await wait_for(pilot, lambda: pilot.app.main_screen is not None)
    screen = main_of(pilot.app)
    await wait_for(pilot, lambda: screen.loaded and any(
        f.unseen is not None for f in screen.folder_tree.folders))
    await wait_for(pilot, lambda: screen.reader.message is not None
                   or screen.model.current is None or not screen.reader_visible())
    await wait_for(pilot, lambda: not any(w.is_running for w in pilot.app.workers))
