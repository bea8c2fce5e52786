"""Reusable Textual widgets of sage-tui, installed as ``sage_tui.widgets``."""
