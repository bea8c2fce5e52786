"""The demo server in a child process, for ``sage-tui --demo``.

pymap is CPU-bound Python: in the app's own process it competes with the UI for the GIL (a
folder listing that makes pymap parse 2,000 messages held the first screen back by more than a
second). In a child process it has a core of its own. The child serves until its stdin reaches
end-of-file, which also happens when the app dies in any way, so it never outlives the app.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from typing import IO

from .server import DEMO_PASSWORD, DEMO_USERNAME, DemoServer

READY_PREFIX = "sage-tui-demo listening on "
START_TIMEOUT = 60.0


STOP_WAIT_SECONDS = 0.3
"""How long quitting waits for the demo server to exit before it is sent SIGTERM."""

class DemoProcess:
    """Same surface as ``DemoServer`` (``host``, ``port``, credentials, ``start``/``stop``)."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.username = DEMO_USERNAME
        self.password = DEMO_PASSWORD
        self._child: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def start(self) -> DemoProcess:
        # stderr goes to a file: Textual draws on the terminal, and a pipe nobody reads fills up.
        # It lives as long as the child, so no ``with``: ``stop`` closes it.
        log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._log = log
        child = subprocess.Popen(
            [sys.executable, "-m", "sage_tui.demo"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        self._child = child
        line: list[str] = []
        stdout = child.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0].startswith(READY_PREFIX):
            log.seek(0)
            detail = log.read().strip().splitlines()
            self.stop()
            raise RuntimeError("the demo IMAP server did not start"
                               + (f": {detail[-1]}" if detail else ""))
        self.port = int(line[0][len(READY_PREFIX):].strip().rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            if child.stdin is not None:
                child.stdin.close()  # end-of-file: the child stops its server and exits
            child.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            # Quitting must not wait on a busy demo server: it is told to stop and, being
            # our child, is reaped by the system once we are gone.
            child.terminate()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> DemoProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_until_stdin_closes() -> int:
    """The child's side: serve the demo mailbox, say where, and stop at end-of-file."""
    server = DemoServer().start()
    try:
        print(f"{READY_PREFIX}{server.host}:{server.port}", flush=True)
        sys.stdin.read()
    finally:
        server.stop()
    return 0
