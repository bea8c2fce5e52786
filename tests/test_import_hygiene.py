"""The engine never imports UI code: checked in a clean interpreter, not by habit."""

from __future__ import annotations

import subprocess
import sys


def test_engine_imports_no_textual_or_rich() -> None:
    code = (
        "import sys, sage_tui.imap\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_widgets_and_themes_install_under_sage_tui() -> None:
    code = "import sage_tui.widgets, sage_tui.themes; print(sage_tui.widgets.__file__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().endswith("widgets/__init__.py")
