"""The framework floor for start-up: a Textual app that only draws one static line.

``run.py`` starts this exactly as it starts ``sage-tui`` (a new Python process in a
pseudo-terminal) and times how long the line takes to appear; sage-tui's first page is then
compared with it. Run alone: ``python benchmarks/bare_app.py``.
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

READY = "BARE-APP-READY"


class BareApp(App[None]):
    """One static line, nothing else."""

    def compose(self) -> ComposeResult:
        yield Static(sys.argv[1] if len(sys.argv) > 1 else READY)


if __name__ == "__main__":
    BareApp().run()
