"""``sage-tui --demo`` runs pymap in a child process that never outlives the app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from sage_tui.demo.process import DemoProcess
from sage_tui.imap import ConnectionConfig, IMAPClient, IMAPMailboxService


def refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_serves_the_demo_mailbox_and_stops():
    server = DemoProcess().start()
    try:
        config = ConnectionConfig(host=server.host, port=server.port, username=server.username,
                                  password=server.password, use_ssl=False)
        with IMAPClient(config) as client:
            mailbox = IMAPMailboxService(client)
            assert "Lists/rust" in mailbox.list_folders(status=False)
            assert mailbox.select("INBOX").exists == 2000
            client.pool.close()
    finally:
        server.stop()
    assert refused(server.port)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX process semantics")
def test_the_child_exits_when_the_app_dies_without_cleaning_up():
    code = ("from sage_tui.demo.process import DemoProcess\n"
            "import os\n"
            "p = DemoProcess().start()\n"
            "print(p.port, p._child.pid, flush=True)\n"
            "os._exit(9)  # no stop(), no atexit: as if the app were killed\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    port, pid = (int(word) for word in result.stdout.split())
    assert gone(pid), "the demo server outlived the app"
    assert refused(port)
