"""TCSS and Textual ``Theme`` objects of sage-tui, installed as ``sage_tui.themes``."""

from pathlib import Path

THEMES_DIR = Path(__file__).parent
"""Where the TCSS files live (inside the installed package, so ``CSS_PATH`` finds them)."""
