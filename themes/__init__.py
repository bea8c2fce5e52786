"""TCSS and Textual ``Theme`` objects of sage-tui, installed as ``sage_tui.themes``.

Two themes of our own, one dark and one light, in muted sage greens: chosen from the command
palette ("Change theme") next to Textual's built-in themes and remembered in ``config.toml``.
Colours are given once here; every widget styles itself through the theme's variables
(``$primary``, ``$panel``...), so any theme, ours or Textual's, colours the whole app.
"""

from pathlib import Path

from textual.theme import Theme

THEMES_DIR = Path(__file__).parent
"""Where the TCSS files live (inside the installed package, so ``CSS_PATH`` finds them)."""

SAGE_DARK = Theme(
    name="sage-dark",
    primary="#8FB996",
    secondary="#6E9887",
    accent="#E0B86A",
    foreground="#E3E8E1",
    background="#1C221E",
    surface="#242B26",
    panel="#2E3730",
    success="#8FB996",
    warning="#E0B86A",
    error="#E2725B",
    dark=True,
    variables={
        "footer-key-foreground": "#E0B86A",
        "block-cursor-background": "#8FB996",
        "block-cursor-foreground": "#1C221E",
    },
)
"""Dark: sage green on charcoal, amber keys; the warnings keep their contrast."""

SAGE_LIGHT = Theme(
    name="sage-light",
    primary="#3F7152",
    secondary="#5F8575",
    accent="#9A5B2E",
    foreground="#1E2A22",
    background="#F3F5EF",
    surface="#E9EEE4",
    panel="#DAE3D3",
    success="#2F7A4B",
    warning="#A8680F",
    error="#B3362B",
    dark=False,
    variables={
        "footer-key-foreground": "#9A5B2E",
        "block-cursor-background": "#3F7152",
        "block-cursor-foreground": "#F3F5EF",
    },
)
"""Light: deep sage on a paper-white background, for bright rooms and light terminals."""

THEMES: tuple[Theme, ...] = (SAGE_DARK, SAGE_LIGHT)
"""Registered by ``SageApp`` (on the instance, not at import: no global side effects)."""
