"""Where sage-tui keeps its files: one seam over platformdirs that tests point elsewhere.

``SAGE_TUI_CONFIG_DIR`` overrides the config directory (tests, portable setups); nothing is
created at import time, only when something is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path

APP_NAME = "sage-tui"


def config_dir() -> Path:
    override = os.environ.get("SAGE_TUI_CONFIG_DIR")
    return Path(override) if override else user_config_path(APP_NAME, appauthor=False)
