"""sage-tui's performance targets (issue 8), each measured against its floor in one run.

Starts a throwaway Dovecot on loopback (the test suite's harness), seeds one folder per size
(maildir files written directly, so 100,000 messages take seconds), then measures:

- newest page visible: ``sage-tui`` started in a pseudo-terminal until the newest message's
  subject is on screen, cold (empty cache and config directories), next to a bare Textual app
  that draws one line (the framework floor), and the largest folder next to the smallest.
  sage-tui's bytecode is written first, as ``pip install`` leaves an installed package (the
  floor's Textual has its own), so an editable install under ``PYTHONDONTWRITEBYTECODE``
  does not compile every module at every start;
- whole folder listed, cold: the engine next to raw imapclient fetching ENVELOPE in chunks and
  the wire floor (the engine's FETCH through stdlib imaplib, nothing parsed);
- whole folder listed, warm: the app's folder loading from a filled header cache when nothing
  changed on the server (rows shown from the cache, then confirmed by the server), next to the
  same loading on an empty cache;
- peak memory of a process holding the fully listed largest folder, next to the same process
  with nothing listed;
- bulk archive of 10,000 selected messages (one range, and every other message), next to
  UID MOVE of the same compressed set through imaplib;
- search: the engine's search plus the first results listed, next to UID SEARCH plus a
  FETCH of the newest page through imaplib.

Times are medians over ``--runs`` runs after one warm-up run; the contenders of a target take
turns within each run (in reverse order every other run), so a busy machine slows them alike
and the ratios stay meaningful.
Targets are printed as they are in the issue, with PASS or FAIL; nothing is tuned to pass.

Run: ``python benchmarks/run.py --folder-sizes 20000,100000 [--runs 5] [--markdown FILE]``.
Needs Dovecot (``apt-get install dovecot-imapd``) and the test extras
(``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import contenders as c  # noqa: E402
from benchmarks.seeding import maildir_of, seed_maildir  # noqa: E402
from benchmarks.startup import StartupFailed, compile_bytecode, time_to_text  # noqa: E402
from sage_tui.imap import IMAPSearchCriteria  # noqa: E402
from tests.support.dovecot import DovecotServer  # noqa: E402
from tests.support.seed import generated_messages, make_message  # noqa: E402

SECTIONS = ("startup", "list", "warm", "memory", "archive", "search")
ARCHIVE_COUNT = 10_000
ARCHIVE_FOLDER = 20_000
SEARCH = IMAPSearchCriteria().from_address("newsletter")
"""A search the server must answer from the headers of every message (1 in 8 match)."""
T = TypeVar("T")

RESULT_CHUNK = 2000
"""Results per FETCH after the first (``screens.search_view.RESULT_CHUNK``)."""
FIRST_RESULTS = 100
"""Results the search view fetches first (``screens.search_view.FIRST_RESULTS``)."""


@dataclass
class Row:
    """One line of the results table."""

    target: str
    folder: str
    ours: str
    floor_name: str
    floor: str
    ratio: str
    limit: str
    verdict: str


def newest_subject(size: int) -> str:
    return f"NEWEST-{size}"


def seeded_account(server: DovecotServer, size: int, *, marked: bool = True) -> c.Account:
    """A new user whose INBOX holds ``size`` generated messages, the newest one marked."""
    user = server.add_user()
    messages = generated_messages(size - 1 if marked else size, seed=size)
    if marked:
        messages.append(make_message(size, subject=newest_subject(size)))
    started = time.perf_counter()
    seed_maildir(server, user, messages)
    account = c.Account(server.host, server.port, user.name, user.password)
    count = len(c.inbox_uids(account))  # the first SELECT: Dovecot indexes the files
    if count != size:
        raise RuntimeError(f"seeded {count} messages instead of {size}")
    say(f"seeded {size:,} messages in {time.perf_counter() - started:.1f} s")
    settle_maildir(account, maildir_of(server, user))
    return account


def settle_maildir(account: c.Account, maildir: Path) -> None:
    """Let Dovecot record ``maildir`` as synced, as a real folder written long ago is.

    While a maildir's ``cur/`` changed within a second or two of Dovecot's last look, Dovecot
    cannot trust the directory's mtime and scans every file again at each sync (SELECT,
    EXAMINE, NOOP): measured here, about 160 ms per EXAMINE on 100,000 messages just after
    seeding, 2 ms once settled. One more SELECT after that window settles it.
    """
    wait = (maildir / "cur").stat().st_mtime + 2.5 - time.time()
    if wait > 0:
        time.sleep(wait)
    c.inbox_uids(account)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def in_turn(contenders: dict[str, T], round_number: int) -> list[tuple[str, T]]:
    """The contenders in order, reversed every other round: whoever runs first (a server
    cache still cold, a neighbour's burst) is not always the same one."""
    order = list(contenders.items())
    return order[::-1] if round_number % 2 else order


def timed(contenders: dict[str, Callable[[], int]], expected: dict[str, int], runs: int
          ) -> dict[str, float]:
    """Median seconds of each contender; one warm-up round, then ``runs`` rounds in turn."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for round_number in range(runs + 1):
        for name, work in in_turn(contenders, round_number):
            started = time.perf_counter()
            count = work()
            elapsed = time.perf_counter() - started
            if count != expected[name]:
                raise RuntimeError(f"{name} handled {count} messages, not {expected[name]}")
            if round_number:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio_row(target: str, folder: str, ours: float, floor_name: str, floor: float,
              limit: float) -> Row:
    ratio = ours / floor
    return Row(target, folder, seconds(ours), floor_name, seconds(floor), f"{ratio:.2f}x",
               f"<= {limit}x", "PASS" if ratio <= limit else "FAIL")


def absolute_row(target: str, folder: str, ours: float, floor_name: str, floor: float,
                 limit: float, unit: str = "s") -> Row:
    if unit == "MB":
        shown, floor_shown = f"{ours:.0f} MB", f"{floor:.0f} MB"
    else:
        shown, floor_shown = seconds(ours), seconds(floor)
    return Row(target, folder, shown, floor_name, floor_shown, f"{ours / floor:.2f}x",
               f"<= {limit:g} {unit}", "PASS" if ours <= limit else "FAIL")


# -- sections -------------------------------------------------------------------------------


def sage_tui_command() -> list[str]:
    """The installed ``sage-tui`` script next to this Python (not a shell shim), else -m."""
    script = Path(sys.executable).with_name("sage-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sage_tui"]


def startup_section(accounts: dict[int, c.Account], runs: int) -> list[Row]:
    compiled = compile_bytecode(["sage_tui", "sage_tui.widgets", "sage_tui.themes"])
    say(f"  sage-tui's bytecode written ({compiled} modules), as pip install leaves it")
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("TEXTUAL")}
    base_env.update(TERM="xterm-256color", COLORTERM="truecolor")
    scratch = Path(tempfile.mkdtemp(prefix="sage-bench-"))

    def fresh_env() -> dict[str, str]:
        env = dict(base_env)
        env["SAGE_TUI_CONFIG_DIR"] = tempfile.mkdtemp(dir=scratch)
        env["SAGE_TUI_CACHE_DIR"] = tempfile.mkdtemp(dir=scratch)  # empty: cold
        env["SAGE_TUI_LOG_DIR"] = tempfile.mkdtemp(dir=scratch)
        return env

    def bare() -> int:
        time_to_text([sys.executable, str(ROOT / "benchmarks" / "bare_app.py")],
                     "BARE-APP-READY", fresh_env())
        return 1

    def app(account: c.Account, size: int) -> Callable[[], int]:
        def run() -> int:
            env = fresh_env()
            env["SAGE_TUI_PASSWORD"] = account.password
            command = [*sage_tui_command(), "--host", account.host, "--port", str(account.port),
                       "--user", account.user, "--tls", "none"]
            time_to_text(command, newest_subject(size), env)
            return 1
        return run

    # time_to_text is the measurement; the wrappers' own cost is nothing next to a start-up.
    durations: dict[str, list[float]] = {}
    contenders: dict[str, Callable[[], float]] = {"bare": _clock(bare)}
    for size, account in accounts.items():
        contenders[f"app {size}"] = _clock(app(account, size))
    try:
        for round_number in range(runs + 1):
            for name, work in in_turn(contenders, round_number):
                elapsed = work()
                if round_number:
                    durations.setdefault(name, []).append(elapsed)
    except StartupFailed as failure:
        say(f"start-up measurement failed: {failure}")
        return [Row("newest page visible, cold", "-", "failed", "-", "-", "-", "-", "FAIL")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in durations.items()}
    rows = [
        ratio_row("newest page visible, cold", f"{size:,}", medians[f"app {size}"],
                  "bare Textual app", medians["bare"], 1.8)
        for size in accounts
    ]
    sizes = sorted(accounts)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        rows.append(ratio_row("newest page: largest vs smallest folder", f"{large:,}",
                              medians[f"app {large}"], f"{small:,} folder",
                              medians[f"app {small}"], 1.2))
    return rows


def _clock(work: Callable[[], int]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started
    return run


def list_section(accounts: dict[int, c.Account], runs: int) -> list[Row]:
    rows = []
    for size, account in accounts.items():
        say(f"whole folder, {size:,} messages")
        medians = timed(
            {
                "engine": lambda a=account: c.engine_list(a),
                "wire": lambda a=account: c.wire_list(a),
                "imapclient": lambda a=account: c.imapclient_list(a),
            },
            {"engine": size, "wire": size, "imapclient": size},
            runs,
        )
        rows.append(ratio_row("whole folder listed, cold", f"{size:,}", medians["engine"],
                              "imapclient ENVELOPE chunks", medians["imapclient"], 0.5))
        rows.append(ratio_row("whole folder listed, cold", f"{size:,}", medians["engine"],
                              "wire floor (imaplib, unparsed)", medians["wire"], 4))
    return rows


def warm_section(accounts: dict[int, c.Account], runs: int) -> list[Row]:
    """The app's folder loading on a filled header cache, nothing changed on the server, next
    to the same loading on an empty cache (cold), in turns."""
    size = max(accounts)
    account = accounts[size]
    say(f"whole folder through the header cache, {size:,} messages")
    scratch = Path(tempfile.mkdtemp(prefix="sage-bench-cache-"))
    warm_file = scratch / "warm.sqlite"
    try:
        filled = c.app_list(account, warm_file)
        if filled.model.total != size or filled.finished is None:
            raise RuntimeError("the cold listing that fills the cache did not finish")
        samples: dict[str, list[float]] = {"cold": [], "shown": [], "confirmed": []}
        for round_number in range(runs + 1):
            cold_file = scratch / f"cold{round_number}.sqlite"
            cold = c.app_list(account, cold_file)
            warm = c.app_list(account, warm_file)
            for listing, cached in ((cold, False), (warm, True)):
                if (listing.model.total != size or listing.finished is None
                        or listing.from_cache is not cached):
                    raise RuntimeError(f"a {'warm' if cached else 'cold'} listing listed "
                                       f"{listing.model.total} rows")
            if round_number:
                samples["cold"].append(cold.finished)  # type: ignore[arg-type]
                samples["shown"].append(warm.first_rows)  # type: ignore[arg-type]
                samples["confirmed"].append(warm.finished)  # type: ignore[arg-type]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = "cold (app, empty cache)"
    return [
        absolute_row("whole folder listed, warm: cached rows shown", f"{size:,}",
                     medians["shown"], floor, medians["cold"], 0.3),
        absolute_row("whole folder listed, warm: confirmed by the server", f"{size:,}",
                     medians["confirmed"], floor, medians["cold"], 0.3),
    ]


def memory_section(accounts: dict[int, c.Account]) -> list[Row]:
    size = max(accounts)
    account = accounts[size]
    say(f"peak memory, {size:,} messages")
    probe = [sys.executable, str(ROOT / "benchmarks" / "memory_probe.py"),
             "--host", account.host, "--port", str(account.port), "--user", account.user]
    env = dict(os.environ, SAGE_TUI_PASSWORD=account.password)

    def measure(*extra: str) -> dict[str, float]:
        done = subprocess.run([*probe, *extra], env=env, capture_output=True, text=True,
                              check=True, timeout=600)
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    listed, baseline = measure(), measure("--baseline")
    if listed["rows"] != size:
        raise RuntimeError(f"the memory probe listed {listed['rows']} rows, not {size}")
    return [absolute_row("peak RSS, folder fully listed", f"{size:,}",
                         listed["maxrss_kib"] / 1024, "same process, nothing listed",
                         baseline["maxrss_kib"] / 1024, 350, "MB")]


def archive_section(server: DovecotServer, runs: int) -> list[Row]:
    account = seeded_account(server, ARCHIVE_FOLDER, marked=False)
    shapes: dict[str, Callable[[list[int]], list[int]]] = {
        "one range": lambda uids: uids[:ARCHIVE_COUNT],
        "every other message": lambda uids: uids[::2][:ARCHIVE_COUNT],
    }
    rows = []
    for shape, choose in shapes.items():
        say(f"bulk archive, {shape}")

        def engine(choose: Callable[[list[int]], list[int]] = choose) -> int:
            return _moved(account, choose, c.engine_archive)

        def floor(choose: Callable[[list[int]], list[int]] = choose) -> int:
            return _moved(account, choose, c.wire_move)

        medians = _timed_moves({"engine": engine, "floor": floor}, runs)
        rows.append(absolute_row(f"bulk archive of {ARCHIVE_COUNT:,} ({shape})",
                                 f"{ARCHIVE_FOLDER:,}", medians["engine"],
                                 "imaplib UID MOVE, same ranges", medians["floor"], 3))
    return rows


def _moved(account: c.Account, choose: Callable[[list[int]], list[int]],
           move: Callable[[c.Account, list[int]], int]) -> float:
    """Seconds one move of the chosen UIDs takes; the messages are put back afterwards."""
    chosen = choose(c.inbox_uids(account))
    started = time.perf_counter()
    count = move(account, chosen)
    elapsed = time.perf_counter() - started
    if count != ARCHIVE_COUNT:
        raise RuntimeError(f"moved {count} messages, not {ARCHIVE_COUNT}")
    c.move_all_back(account)
    return elapsed


def _timed_moves(contenders: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for round_number in range(runs + 1):
        for name, work in in_turn(contenders, round_number):
            elapsed = work()
            if round_number:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


def search_section(accounts: dict[int, c.Account], runs: int) -> list[Row]:
    """A search in the open folder: the app's steps until the first results are listed, next
    to UID SEARCH and the newest page through imaplib; both on connections already open."""
    rows = []
    for size, account in accounts.items():
        say(f"search, {size:,} messages")
        hits = _hits(account)
        mailbox, imap = c.open_engine(account), c.open_wire(account)
        try:
            medians = timed(
                {
                    "engine": lambda m=mailbox: c.engine_search_page(m, SEARCH, RESULT_CHUNK,
                                                                     FIRST_RESULTS),
                    "wire": lambda i=imap: c.wire_search_page(i, SEARCH),
                },
                {"engine": min(hits, FIRST_RESULTS), "wire": min(hits, c.PAGE)},
                runs,
            )
        finally:
            imap.logout()
            c.close_all()
        rows.append(ratio_row(f"search ({SEARCH.to_query()}, {hits:,} hits), first results",
                              f"{size:,}", medians["engine"],
                              "UID SEARCH + newest page (imaplib)", medians["wire"], 1.5))
    return rows


def _hits(account: c.Account) -> int:
    imap = account.imaplib()
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", *SEARCH.to_wire())
        return len(data[0].split())
    finally:
        imap.logout()


# -- report ---------------------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def environment(args: argparse.Namespace, load_before: str) -> list[str]:
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True,
                             check=False).stdout.strip() if shutil.which("dovecot") else "?"
    return [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Dovecot {dovecot} on loopback, plain IMAP",
        f"- load average (1, 5, 15 min) before: {load_before}; after: {load_average()} "
        "(the machine may be shared: ratios within one run are what count)",
        f"- command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`",
        f"- medians of {args.runs} runs after one warm-up run; contenders take turns in each "
        "run, in reverse order every other run",
    ]


def table(rows: list[Row]) -> list[str]:
    header = ["target", "folder", "sage-tui", "floor", "floor time", "ratio", "target",
              "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.target, row.folder, row.ours, row.floor_name, row.floor, row.ratio,
                 row.limit, row.verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder-sizes", default="20000,100000",
                        help="comma-separated folder sizes (default: 20000,100000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: all of "
                             f"{','.join(SECTIONS)})")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report to FILE")
    args = parser.parse_args()
    sizes = sorted(int(part) for part in args.folder_sizes.split(",") if part)
    sections = [part for part in args.only.split(",") if part]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    rows: list[Row] = []
    load_before = load_average()
    with DovecotServer() as server:
        accounts = {size: seeded_account(server, size) for size in sizes}
        if "list" in sections:
            rows += list_section(accounts, args.runs)
        if "warm" in sections:
            rows += warm_section(accounts, args.runs)
        if "search" in sections:
            rows += search_section(accounts, args.runs)
        if "startup" in sections:
            say("newest page visible after start")
            rows += startup_section(accounts, args.runs)
        if "memory" in sections:
            rows += memory_section(accounts)
        if "archive" in sections:
            rows += archive_section(server, args.runs)

    report = [
        "# sage-tui benchmark results", "", *environment(args, load_before), "", *table(rows),
        "", "Ratio targets compare with the floor measured in the same run; for absolute "
        "targets (s, MB) the ratio is context only.", "",
    ]
    print("\n".join(report))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(report))


if __name__ == "__main__":
    main()
