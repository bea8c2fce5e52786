"""The header line: which account, how it is protected, and the connection's state.

No clock here on purpose: a ticking clock would make every screenshot differ.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from sage_tui.account import Account
from sage_tui.text import one_line

STATE_STYLES = {
    "connecting": "yellow",
    "connected": "green",
    "retrying": "yellow",
    "offline": "bold red",
    "circuit open": "bold red",
}


class AccountBar(Static):
    """``sage-tui · demo · TLS · ● connected``; warns in red when the link is not private."""

    DEFAULT_CSS = """
    AccountBar { height: 1; background: $primary 30%; padding: 0 1; }
    """

    state: reactive[str] = reactive("connecting")
    detail: reactive[str] = reactive("")

    def __init__(self, account: Account, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.account = account

    def render(self) -> Text:
        line = Text()
        line.append("sage-tui", style="bold")
        line.append("  ·  ")
        line.append(one_line(self.account.label))
        line.append("  ·  ")
        line.append(
            ("⚠ " if self.account.insecure else "") + self.account.security,
            style="bold red" if self.account.insecure else "",
        )
        line.append("  ·  ")
        line.append(f"● {self.state}", style=STATE_STYLES.get(self.state, ""))
        if self.detail:
            line.append(f": {one_line(self.detail)}", style="dim")
        return line
