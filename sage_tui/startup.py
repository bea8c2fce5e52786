"""What the app needs from the config file before it starts, checked against the real app.

``settings`` validates the file without Textual; here its theme is checked against the themes
the app registers and its ``[keys]`` against the real bindings. A mistake is kept as the
``Startup.problem`` (the app opens setup and shows it), never raised: a typo in the config file
must not stop the app from starting.
"""

from __future__ import annotations

from pathlib import Path

from sage_tui.settings import ConfigError, Startup, load_settings


def read_startup(path: Path) -> Startup:
    """The file at ``path`` as a ``Startup`` (no file: a ``Startup`` with no settings)."""
    try:
        settings = load_settings(path)
        if settings is None:
            return Startup(path)
        from textual.theme import BUILTIN_THEMES

        from sage_tui.keymap import resolve_keymap
        from sage_tui.themes import THEMES

        settings.require_theme({*BUILTIN_THEMES, *(theme.name for theme in THEMES)})
        return Startup(path, settings, resolve_keymap(settings))
    except ConfigError as error:
        return Startup(path, problem=str(error))
