"""Make the README's screenshots from the real app on the demo mailbox.

    python screenshots/make.py

Each SVG is the app as a person sees it: the embedded demo server, the deterministic mailbox,
the keys pressed. Run it after a UI change and look at the files before committing.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.support lives in the repository, not the package

from sage_tui.app import SageApp  # noqa: E402
from sage_tui.demo import DemoServer  # noqa: E402
from sage_tui.imap.search import IMAPSearchCriteria  # noqa: E402
from tests.support.demo_app import demo_app, fully_loaded, main_of, wait_for  # noqa: E402

SHOTS: list[tuple[str, tuple[int, int], list[str], str]] = [
    ("health.svg", (150, 40), ["h"], "sage-tui: the connection health panel (h)"),
    ("all-folders.svg", (150, 40), ["search everywhere: subject:invoice"],
     "sage-tui: a saved search across every folder"),
    ("main.svg", (150, 40), [], "sage-tui: folder tree, message list and reader"),
    ("reader.svg", (150, 40), ["j", "j", "enter"], "sage-tui: reading a message"),
    ("move-picker.svg", (150, 40), ["m", "r", "u"], "sage-tui: move to a folder"),
    ("help.svg", (150, 50), ["question_mark"], "sage-tui: every key binding"),
    ("search-builder.svg", (150, 40), ["s", *"Rechnung", "ctrl+n", *"Invoice", "ctrl+o"],
     "sage-tui: the search builder with its live preview"),
    ("narrow.svg", (90, 30), [], "sage-tui: one view at a time in a narrow terminal"),
]


def shoot(name: str, size: tuple[int, int], keys: list[str], title: str) -> Path:
    server = DemoServer().start()
    try:
        app = demo_app(server)
        target = HERE / name

        async def drive(pilot) -> None:
            await fully_loaded(pilot)
            screen = main_of(pilot.app)
            if keys and keys[0].startswith("search everywhere: "):
                query = keys[0].split(": ", 1)[1]
                screen.run_search_everywhere(IMAPSearchCriteria.parse(query))
                await wait_for(pilot, lambda: screen.loaded and screen.places is not None)
            else:
                await pilot.press(*keys)
            if keys[:1] == ["s"]:
                builder = pilot.app.screen
                await wait_for(pilot, lambda: getattr(builder, "count", None) is not None)
            if "enter" in keys:
                await wait_for(pilot, lambda: screen.reader.message is not None
                               and screen.reader.message.uid == screen.model.current.uid)
            await wait_for(pilot, lambda: not any(w.is_running for w in pilot.app.workers))
            await asyncio.sleep(0.2)
            await pilot.pause()
            target.write_text(pilot.app.export_screenshot(title=title), encoding="utf-8")
            pilot.app.exit()

        app.run(headless=True, size=size, auto_pilot=drive)
        return target
    finally:
        server.stop()


def shoot_setup() -> Path:
    """The first-run setup screen, with an address typed (the provider table fills the rest)."""
    target = HERE / "setup.svg"
    app = SageApp(None, watch=False)

    async def drive(pilot) -> None:
        await pilot.pause()
        await pilot.press(*"alex@fastmail.com")
        await asyncio.sleep(0.2)
        await pilot.pause()
        target.write_text(pilot.app.export_screenshot(title="sage-tui: first run"),
                          encoding="utf-8")
        pilot.app.exit()

    app.run(headless=True, size=(150, 45), auto_pilot=drive)
    return target


def main() -> int:
    # Screenshots show the demo as a newcomer sees it: no saved searches of yours.
    os.environ["SAGE_TUI_CONFIG_DIR"] = tempfile.mkdtemp(prefix="sage-tui-shots-")
    for name, size, keys, title in SHOTS:
        print(shoot(name, size, keys, title).relative_to(HERE.parent))
    print(shoot_setup().relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
