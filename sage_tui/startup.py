"""What the app needs from the config file before it starts, checked against the real app.

Two steps, because they cost very different amounts: ``load_startup`` reads and validates the
file without Textual (milliseconds), which is enough to pick the account and start fetching its
first page (``sage_tui.first_page``); ``check_startup`` then checks the theme against the themes
the app registers and ``[keys]`` against the real bindings, which imports Textual (a few hundred
milliseconds) while the page is already on its way. A mistake is kept as the
``Startup.problem`` (the app opens setup and shows it), never raised: a typo in the config file
must not stop the app from starting.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sage_tui.settings import ConfigError, Startup, load_settings


def load_startup(path: Path) -> Startup:
    """The file at ``path`` as a ``Startup``, not yet checked against the app (no file: a
    ``Startup`` with no settings). Imports no Textual."""
    try:
        return Startup(path, load_settings(path))
    except ConfigError as error:
        return Startup(path, problem=str(error))


def check_startup(startup: Startup) -> Startup:
    """``startup`` with its theme and keys checked against the app, and the keys resolved; a
    mistake gives a ``Startup`` without settings that says it (``problem``)."""
    settings = startup.settings
    if settings is None:
        return startup
    from textual.theme import BUILTIN_THEMES

    from sage_tui.keymap import resolve_keymap
    from sage_tui.themes import THEMES

    try:
        settings.require_theme({*BUILTIN_THEMES, *(theme.name for theme in THEMES)})
        return replace(startup, keymap=resolve_keymap(settings))
    except ConfigError as error:
        return Startup(startup.path, problem=str(error))


def read_startup(path: Path) -> Startup:
    """The file at ``path`` as a ``Startup``, checked (no file: a ``Startup`` with no
    settings)."""
    return check_startup(load_startup(path))
