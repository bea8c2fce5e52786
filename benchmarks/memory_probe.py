"""Peak memory of a process that holds a fully listed folder, as the app holds it.

Run by ``run.py`` in a child process, so the figure is this process's own peak resident set,
nothing of the benchmark's. It imports the app (Textual and all), then lists
the folder the way the folder view does on a first start (``contenders.app_list``: the app's
``folder_loading`` with an empty header cache, which it fills meanwhile; newest page, then the
rest newest first in chunks merged into a ``MessageListModel``). With ``--baseline`` it stops
after the imports: the floor.

Prints one JSON object: ``{"rows": N, "maxrss_kib": K, "seconds": S}``, the peak being
``VmHWM`` (see ``peak_rss_kib``). The password comes from ``SAGE_TUI_PASSWORD``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sage_tui.app  # noqa: F401 - the app's process holds Textual and the screens too
from benchmarks.contenders import Account, app_list


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--folder", default="INBOX")
    parser.add_argument("--baseline", action="store_true", help="imports only (the floor)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = 0
    if not args.baseline:
        account = Account(args.host, args.port, args.user, os.environ["SAGE_TUI_PASSWORD"])
        with tempfile.TemporaryDirectory() as scratch:  # an empty header cache: a first start
            rows = app_list(account, Path(scratch) / "headers.sqlite", args.folder).model.total
    print(json.dumps({"rows": rows, "maxrss_kib": peak_rss_kib(),
                      "seconds": time.perf_counter() - started}))


def peak_rss_kib() -> int:
    """This process's peak resident set, KiB.

    ``VmHWM`` where Linux has it: ``ru_maxrss`` also counts the parent's peak when the parent
    started this process with vfork (as ``subprocess`` does), so a big parent would show here.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
