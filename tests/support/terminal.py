"""The real ``sage-tui`` command in a pseudo-terminal, read as a person would see it."""

from __future__ import annotations

import os
import pty
import select
import time


def run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Start ``args`` on a new pseudo-terminal: (process id, the terminal's master side)."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(args[0], args, env)
    return pid, fd


def read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    """What the program wrote until ``needle`` appeared, the time ran out, or it closed."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen
