"""What each part of sage-tui imports: checked in a clean interpreter, not by habit.

The engine never imports UI code; the start-up path imports Textual only after the first page's
thread is running, and leaves what later screens need for later.
"""

from __future__ import annotations

import os
import subprocess
import sys

UI = ("textual", "rich")


def loaded(modules: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with ``prefixes`` that importing ``modules`` loads, in a new
    interpreter (this one has imported everything already)."""
    code = (
        f"import sys, {modules}\n"
        f"print(','.join(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return [name for name in result.stdout.strip().split(",") if name]


def test_engine_imports_no_textual_or_rich() -> None:
    assert loaded("sage_tui.imap", UI) == []


def test_widgets_and_themes_install_under_sage_tui() -> None:
    code = "import sage_tui.widgets, sage_tui.themes; print(sage_tui.widgets.__file__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().endswith("widgets/__init__.py")


def test_the_first_screen_does_not_load_what_only_later_screens_need() -> None:
    """What ``sage-tui`` imports before its first page shows: none of the modules that only
    reading a message, a search, the cache, the health panel or another screen needs
    (importing them took a third of the start-up; benchmarks/run.py measures it)."""
    later = ("email.policy", "sqlite3", "sage_tui.cache", "sage_tui.imap.search",
             "sage_tui.imap.mime", "sage_tui.widgets.health_panel", "sage_tui.screens.setup",
             "sage_tui.screens.doctor", "sage_tui.screens.builder", "rich.pretty",
             "inscriptis")
    assert loaded("sage_tui.cli, sage_tui.first_page, sage_tui.app", later) == []


def test_the_first_page_starts_before_textual_is_imported() -> None:
    """``cli.run_app`` starts the first page's thread before it imports the app: everything up
    to there must be Textual-free, or the page would wait for Textual's import."""
    modules = "sage_tui.cli, sage_tui.startup, sage_tui.logs, sage_tui.first_page"
    assert loaded(modules, UI) == []


def test_an_account_of_the_config_file_starts_its_page_before_textual(tmp_path) -> None:
    """With a config file, the file is read without Textual and the account's first page
    starts before the theme and keys are checked against the app (which imports Textual)."""
    path = tmp_path / "config.toml"
    path.write_text('theme = "sage-light"\n[keys]\narchive = "e"\n[accounts.work]\n'
                    'host = "127.0.0.1"\nport = 9\ntls = "none"\nusername = "me"\n'
                    'password_command = "echo secret"\n', encoding="utf-8")
    probe = (
        "import os, sys\n"
        "import sage_tui.first_page as first_page\n"
        "def start(cls, config, folder, *rest):\n"
        "    print(config.username, folder, 'textual' in sys.modules, flush=True)\n"
        "    os._exit(0)\n"
        "first_page.FirstPage.start = classmethod(start)\n"
        "from sage_tui.cli import main\n"
        f"main(['--config', {str(path)!r}])\n"
    )
    env = {**os.environ, "SAGE_TUI_LOG_DIR": str(tmp_path / "logs")}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.stdout.strip() == "me INBOX False", result.stdout + result.stderr
