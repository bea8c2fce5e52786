"""``[keys]`` in config.toml: the new key does the action on the server, the old one no longer
does, and the help screen shows the keys as they now are."""

from __future__ import annotations

import subprocess
import sys

from rich.console import Console

from sage_tui.account import Account
from sage_tui.app import SageApp
from sage_tui.screens.help import HelpScreen, binding_rows
from sage_tui.startup import read_startup
from tests.support.app import main_screen, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def subjects(raw, folder: str) -> list[str]:
    raw.select_folder(folder, readonly=True)
    data = raw.fetch(raw.search("ALL"), ["ENVELOPE"])
    return sorted(item[b"ENVELOPE"].subject.decode() for item in data.values())


async def test_an_overridden_key_archives_and_the_help_shows_it(dovecot, imap_user, raw_imap,
                                                               tmp_path) -> None:
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(1, subject="older"), make_message(2, subject="newer")])
    path = tmp_path / "config.toml"
    path.write_text('[keys]\narchive = "e"      # like other mail clients\nhelp = "?,f1"\n',
                    encoding="utf-8")
    startup = read_startup(path)
    assert startup.keymap == {"mail.archive": "e", "app.help": "?,f1"}, startup.problem
    config = plain_config(dovecot.host, dovecot.port, imap_user)
    app = SageApp(Account(config, config.display_name), watch=False, startup=startup)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded and len(screen.model) == 2)
        await pilot.press("a")  # no longer archive: nothing moves
        await settle(pilot)
        assert len(screen.model) == 2 and not screen.undo_stack
        await pilot.press("e")  # the newest message goes to Archive
        await settle(pilot, lambda: len(screen.model) == 1 and bool(screen.undo_stack))

        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        console = Console(record=True, width=100)
        console.print(binding_rows(help_screen.groups))
        card = [line.strip() for line in console.export_text().splitlines()]
        assert "e  Archive" in card and "a  Archive" not in card
        assert "? / f1  Help" in card and "d  Delete" in card  # the others as they were
    raw = raw_imap(imap_user)
    assert subjects(raw, "INBOX") == ["older"]
    assert subjects(raw, "Archive") == ["newer"]


def test_keys_of_screens_opened_later_can_be_overridden_in_a_fresh_start(tmp_path) -> None:
    """The app imports most screens on first use; the check of ``[keys]`` must still know
    their bindings, in a process that has imported nothing yet (as ``sage-tui`` starting)."""
    path = tmp_path / "config.toml"
    path.write_text('[keys]\n"builder.run" = "ctrl+e"\n"help.close" = "escape,q,f1"\n',
                    encoding="utf-8")
    code = ("import sys; from pathlib import Path; from sage_tui.startup import read_startup\n"
            f"startup = read_startup(Path({str(path)!r}))\n"
            "print(startup.problem or sorted(startup.keymap.items()))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == str(sorted({"builder.run": "ctrl+e",
                                                "help.close": "escape,q,f1"}.items()))
