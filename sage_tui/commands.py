"""The command palette (ctrl+p): every triage action, and "folder: Open ..." for each folder.

Folder names are server data, and ``Matcher.highlight`` parses its argument as markup, so hits
are displayed through ``literal_line`` instead (no match highlighting, nothing interpreted).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from sage_tui.text import literal_line

if TYPE_CHECKING:
    from sage_tui.app import SageApp

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("mail: Archive", "archive", "Move the selection (or current message) to Archive"),
    ("mail: Delete", "delete", "Move the selection to Trash (for good inside Trash)"),
    ("mail: Move to folder…", "move", "Choose a folder for the selection"),
    ("mail: Toggle read", "toggle_read", "Mark read or unread"),
    ("mail: Toggle flag", "toggle_flag", "Flag or unflag"),
    ("mail: Undo", "undo", "Undo the last move, archive or delete"),
    ("search: Build a search", "search_builder", "Fields, operators, groups, live count"),
    ("view: Filter the list", "filter", "Quick filter by subject or sender"),
    ("view: Show or hide the reader", "toggle_reader", "The reader pane"),
    ("view: Fold or unfold threads", "toggle_threads", "One row per thread"),
    ("view: Change the sort order", "cycle_sort", "Arrival, date, sender, subject, size"),
    ("folder: Reload", "reload", "Fetch the open folder and the folder list again"),
    ("view: Show or hide the health panel", "toggle_health", "Circuit, pool, retries, latency"),
    ("view: Connection health", "connection_health",
     "Full screen: circuit, pool, retries, latency, last error and the event log"),
    ("doctor: Check the connection", "doctor",
     "DNS, TCP, TLS and certificate, login, folders, latency: sage-tui doctor's checks"),
    ("app: Help", "help", "Every key binding"),
    ("app: Clear cache", "clear_cache",
     "Forget the cached message lists; folders load from the server until cached again"),
)


class MailCommands(Provider):
    """Actions of the main screen and the account's folders."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        from sage_tui.app import SageApp

        app = self.app
        main = app.main_screen if isinstance(app, SageApp) else None
        if main is None:
            return []
        commands: list[tuple[str, Callable[[], object], str]] = []
        for title, action, words in ACTIONS:
            target = app if action in ("help", "connection_health", "clear_cache", "doctor"
                                       ) else main
            commands.append((title, partial(target.run_action, action), words))
        for folder in main.folder_tree.folders:
            if folder.selectable:
                commands.append((f"folder: Open {folder.name}",
                                 partial(main.open_folder, folder.name), "Open this folder"))
        commands.extend(account_commands(app))
        return commands

    async def discover(self) -> Hits:
        for title, callback, words in self._commands():
            yield DiscoveryHit(literal_line(title), callback, text=title, help=words)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, words in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, literal_line(title), callback, text=title, help=words)


def account_commands(app: SageApp) -> list[tuple[str, Callable[[], object], str]]:
    """"account: Open NAME" for the config file's other accounts, and "Add an account"."""
    if app.startup is None:
        return []  # run from flags: there is no config file to switch within
    settings = app.startup.settings
    names = settings.account_names if settings is not None else ()
    commands: list[tuple[str, Callable[[], object], str]] = [
        (f"account: Open {name}", partial(app.switch_account, name),
         "Close this account and open that one")
        for name in names if name != app.startup.account_name
    ]
    commands.append(("account: Add an account…", app.action_add_account,
                     "Server, login and password; saved to config.toml and the keyring"))
    return commands
