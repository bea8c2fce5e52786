"""Engine benchmark: sage-tui's engine next to raw imapclient and the wire floor, in one run.

Seeds a throwaway Dovecot (the test harness's) with folders of the given sizes and prints medians
over several runs, with ratios against floors measured in the same run, so the figures mean the
same on a fast or a busy machine:

- newest page: ``fetch_newest(60)`` vs raw imapclient fetching the same 60 by sequence number;
  the engine's time should stay flat as the folder grows.
- whole folder: the engine's ``fetch`` of every summary (after ``search``) vs raw imapclient
  fetching the same items in 2,000-UID chunks, vs the wire floor (stdlib ``imaplib``, the same
  FETCH, response not parsed at all).

Run: ``python benchmarks/engine.py [--folder-sizes 2000,20000] [--runs 5]``. Needs Dovecot
(``apt-get install dovecot-imapd``) and the test extras (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import imaplib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import imapclient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sage_tui.imap import ConnectionConfig, IMAPClient, IMAPMailboxService, close_all
from sage_tui.imap.parsing import SUMMARY_ITEMS
from tests.support.dovecot import DovecotServer
from tests.support.seed import generated_messages, seed_folder

PAGE = 60
CHUNK = 2000


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: connections, server caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def raw_client(server: DovecotServer, user: str, password: str) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(server.host, port=server.port, ssl=False)
    client.login(user, password)
    return client


def raw_newest(client: imapclient.IMAPClient) -> None:
    exists = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
    client.use_uid = False
    try:
        client.fetch(list(range(max(1, exists - PAGE + 1), exists + 1)), list(SUMMARY_ITEMS))
    finally:
        client.use_uid = True


def raw_full(client: imapclient.IMAPClient, items: list[str]) -> int:
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    count = 0
    for start in range(0, len(uids), CHUNK):
        count += len(client.fetch(uids[start:start + CHUNK], items))
    return count


def wire_full(server: DovecotServer, user: str, password: str) -> int:
    imap = imaplib.IMAP4(server.host, server.port)
    try:
        imap.login(user, password)
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", "ALL")
        uids = [int(u) for u in data[0].split()]
        total = 0
        items = "(" + " ".join(SUMMARY_ITEMS) + ")"
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start:start + CHUNK]
            _, fetched = imap.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", items)
            total += sum(1 for part in fetched if isinstance(part, tuple))
        return total
    finally:
        imap.logout()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder-sizes", default="2000,20000",
                        help="comma-separated folder sizes (default: 2000,20000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    args = parser.parse_args()
    sizes = [int(part) for part in args.folder_sizes.split(",") if part]

    with DovecotServer() as server:
        rows = []
        for size in sizes:
            user = server.add_user()
            started = time.perf_counter()
            seed_folder(server.host, server.port, user.name, user.password, "INBOX",
                        generated_messages(size, seed=size))
            print(f"seeded {size:,} messages in {time.perf_counter() - started:.1f} s",
                  flush=True)
            config = ConnectionConfig(host=server.host, port=server.port, username=user.name,
                                      password=user.password, use_ssl=False, timeout=120)
            client = IMAPClient(config)
            mailbox = IMAPMailboxService(client)
            raw = raw_client(server, user.name, user.password)

            def engine_newest(mailbox: IMAPMailboxService = mailbox, size: int = size) -> None:
                mailbox.select("INBOX", readonly=True)
                assert len(mailbox.fetch_newest(PAGE)) == min(PAGE, size)

            def engine_full(mailbox: IMAPMailboxService = mailbox, size: int = size) -> None:
                mailbox.select("INBOX", readonly=True)
                assert len(mailbox.fetch(mailbox.search())) == size

            runs = args.runs if size <= 20000 else max(1, args.runs // 2)
            row = {
                "size": size,
                "engine_newest": median_time(engine_newest, runs * 4),
                "raw_newest": median_time(lambda raw=raw: raw_newest(raw), runs * 4),
                "engine_full": median_time(engine_full, runs),
                "raw_full": median_time(
                    lambda raw=raw: raw_full(raw, list(SUMMARY_ITEMS)), runs),
                "raw_envelope": median_time(
                    lambda raw=raw: raw_full(
                        raw, ["ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]), runs),
                "wire_full": median_time(
                    lambda user=user: wire_full(server, user.name, user.password), runs),
            }
            raw.logout()
            close_all()
            rows.append(row)

        print()
        print(f"{'folder':>8} | {'newest 60: engine':>17} {'raw':>8} {'ratio':>6} | "
              f"{'whole folder: engine':>20} {'imapclient':>10} {'ratio':>6} "
              f"{'wire floor':>10} {'ratio':>6} | {'imapclient ENVELOPE':>19}")
        for row in rows:
            print(
                f"{row['size']:>8,} | {row['engine_newest'] * 1000:>14.1f} ms "
                f"{row['raw_newest'] * 1000:>5.1f} ms "
                f"{row['engine_newest'] / row['raw_newest']:>5.2f}x"
                f" | {row['engine_full']:>18.2f} s {row['raw_full']:>8.2f} s "
                f"{row['engine_full'] / row['raw_full']:>5.2f}x {row['wire_full']:>8.2f} s "
                f"{row['engine_full'] / row['wire_full']:>5.2f}x | {row['raw_envelope']:>17.2f} s"
            )
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            print(
                f"\nnewest page, {last['size']:,} vs {first['size']:,} messages: "
                f"{last['engine_newest'] / first['engine_newest']:.2f}x "
                f"(flat means close to 1.0x while the folder grew "
                f"{last['size'] / first['size']:.0f}x)"
            )


if __name__ == "__main__":
    main()
