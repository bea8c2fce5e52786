"""Time from starting a terminal program to a given text on its screen, in a pseudo-terminal.

The program runs as a user runs it: a new process whose stdin, stdout and stderr are the slave
side of a pty with a fixed window size. Everything it writes is read from the master side, and
the clock stops when ``marker`` appears in the output (Textual writes a row's text in one run
when its style does not change, so a marker without spaces arrives whole). The program is then
killed with its whole process group; it never gets a key press.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pty
import py_compile
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

COLUMNS, ROWS = 160, 45
"""Window size given to the program: wide enough that the subject column is not cut short."""


def compile_bytecode(packages: Sequence[str]) -> int:
    """Write the bytecode of ``packages``' modules, as ``pip install`` does; files compiled.

    The floor (Textual, installed by pip) starts from compiled bytecode. An editable install
    compiles on first import and writes the result, unless ``PYTHONDONTWRITEBYTECODE`` is set:
    then every start compiles all of sage-tui again, which measures the environment, not the
    program.
    """
    compiled = 0
    for package in packages:
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for source in Path(folder).rglob("*.py"):
                py_compile.compile(str(source), doraise=True)
                compiled += 1
    return compiled


class StartupFailed(RuntimeError):
    """The marker never appeared (the program ended, or the deadline passed)."""


def time_to_text(
    command: Sequence[str],
    marker: str,
    env: Mapping[str, str],
    *,
    timeout: float = 60.0,
) -> float:
    """Seconds from ``Popen`` to ``marker`` in the program's terminal output.

    Raises:
        StartupFailed: With the end of the output, when the marker did not show in time.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    wanted = marker.encode()
    output = bytearray()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), stdin=slave, stdout=slave, stderr=slave, env=dict(env),
        start_new_session=True, close_fds=True,
    )
    os.close(slave)
    try:
        deadline = started + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise StartupFailed(f"no {marker!r} after {timeout:.0f} s: {_tail(output)}")
            readable, _, _ = select.select([master], [], [], min(left, 0.5))
            if not readable:
                if process.poll() is not None:
                    raise StartupFailed(f"exited with {process.returncode}: {_tail(output)}")
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the program closed the terminal
                chunk = b""
            if not chunk:
                raise StartupFailed(f"closed its terminal: {_tail(output)}")
            # Search only the new bytes and the marker's length before them.
            tail_start = max(0, len(output) - len(wanted))
            output += chunk
            if wanted in output[tail_start:]:
                return time.perf_counter() - started
    finally:
        _kill(process)
        os.close(master)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End the program and everything it started (its own session and process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def _tail(output: bytearray) -> str:
    text = bytes(output[-600:]).decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else " " for ch in text)
