"""``python -m sage_tui.demo``: the demo server as a child process (see ``process.py``)."""

from .process import serve_until_stdin_closes

raise SystemExit(serve_until_stdin_closes())
