"""Where sage-tui keeps its files: one seam over platformdirs that tests point elsewhere.

``SAGE_TUI_CONFIG_DIR`` overrides the config directory and ``SAGE_TUI_CACHE_DIR`` the cache
directory (tests, portable setups); nothing is created at import time, only when something is
written.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_config_path

APP_NAME = "sage-tui"


def config_dir() -> Path:
    override = os.environ.get("SAGE_TUI_CONFIG_DIR")
    return Path(override) if override else user_config_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Where the header cache lives: disposable data, so the platform's cache directory."""
    override = os.environ.get("SAGE_TUI_CACHE_DIR")
    return Path(override) if override else user_cache_path(APP_NAME, appauthor=False)
