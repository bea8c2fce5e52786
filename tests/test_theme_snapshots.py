"""Themes: the config file's theme applied at start; sage-light chosen in the command palette
(Textual's own "Theme" command), shown (pytest-textual-snapshot) and remembered in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sage_tui.account import Account
from sage_tui.app import SageApp
from sage_tui.demo import DemoServer
from sage_tui.imap.config import ConnectionConfig
from sage_tui.settings import load_settings
from sage_tui.startup import read_startup
from tests.support.demo_app import DEMO_LABEL, fully_loaded, wait_for

WIDE = (150, 40)
CONFIG = '# my settings\ntheme = "{theme}"  # chosen in the palette\n'


pytestmark = pytest.mark.usefixtures("plain_environment")


def themed_demo_app(server: DemoServer, path: Path) -> SageApp:
    """The demo app as ``sage-tui --demo`` builds it, with the config file at ``path``."""
    config = ConnectionConfig(host=server.host, port=server.port, username=server.username,
                              password=server.password, use_ssl=False, starttls=False)
    startup = read_startup(path)
    assert not startup.problem, startup.problem
    return SageApp(Account(config, DEMO_LABEL), watch=False, startup=startup)


def test_the_theme_in_the_config_file_is_applied_at_start(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(theme="sage-dark"), encoding="utf-8")
    config = ConnectionConfig(host="127.0.0.1", username="nobody", use_ssl=False)
    app = SageApp(Account(config, DEMO_LABEL), watch=False, startup=read_startup(path))
    assert app.theme == "sage-dark" and app.get_css_variables()["primary"] == "#8FB996"
    assert {"sage-dark", "sage-light", "textual-light", "nord"} <= set(app.available_themes)
    # Without a config file the theme stays pinned, so the other snapshots do not move.
    assert SageApp(Account(config, DEMO_LABEL), watch=False).theme == "textual-dark"


def test_sage_light_chosen_in_the_palette_and_remembered(snap_compare, demo, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(theme="textual-dark"), encoding="utf-8")

    async def choose_sage_light(pilot):
        await fully_loaded(pilot)
        await pilot.press("ctrl+p", *"theme")
        await wait_for(pilot, lambda: "Theme" in _palette_prompts(pilot.app))
        await pilot.press("enter")  # Textual's "Theme" command: a palette of themes
        await pilot.press(*"sage-li")
        await wait_for(pilot, lambda: _palette_prompts(pilot.app)[:1] == ["sage-light"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.theme == "sage-light")
        await wait_for(pilot, lambda: not _palette_prompts(pilot.app))
        # Remembered at once, the comments kept.
        assert path.read_text(encoding="utf-8") == CONFIG.format(theme="sage-light")

    assert snap_compare(themed_demo_app(demo, path), terminal_size=WIDE,
                        run_before=choose_sage_light)
    assert load_settings(path).theme == "sage-light"  # type: ignore[union-attr]


def _palette_prompts(app: SageApp) -> list[str]:
    """The first line of each hit in the open command palette ([] when it is closed)."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(app.screen, CommandPalette):
        return []
    options = app.screen.query_one(CommandList).options
    return [str(option.prompt).split("\n")[0].strip() for option in options]
