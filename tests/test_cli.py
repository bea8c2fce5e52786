"""The installed console script."""

from __future__ import annotations

import shutil
import subprocess
import sys

from sage_tui import __version__


def test_version_from_the_console_script() -> None:
    exe = shutil.which("sage-tui")
    command = [exe] if exe else [sys.executable, "-m", "sage_tui"]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"sage-tui {__version__}"
