"""TCSS and Textual ``Theme`` objects of sage-tui, installed as ``sage_tui.themes``."""
