"""The folder tree: special-use folders first with icons, nested folders, unread counts.

Labels are built as ``Text`` from the folder names (``Tree`` parses str labels as markup, and a
folder name is server data), and counts are updated in place without rebuilding the tree so the
cursor and expanded nodes stay where the user left them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from sage_tui.imap.models import Folder
from sage_tui.saved_searches import SavedSearch
from sage_tui.text import one_line

# Single-cell symbols: emoji are two cells wide in some terminals and one in others, which
# would misalign the counts.
ROLE_ICONS = {
    "inbox": "✉",
    "drafts": "✎",
    "sent": "➤",
    "archive": "▤",
    "junk": "⚠",
    "trash": "✗",
    "all": "≡",
    "flagged": "⚑",
}
PLAIN_ICON = "□"


def folder_label(folder: Folder, name: str) -> Text:
    """``icon name  unread`` with the unread count bold when there is any."""
    icon = ROLE_ICONS.get(folder.role or "", PLAIN_ICON)
    label = Text(f"{icon} ")
    label.append(one_line(name), style="" if folder.selectable else "dim")
    if folder.unseen:
        label.append(f" {folder.unseen:,}", style="bold")
    return label


class FolderTree(Tree[Folder]):
    """Every folder of the account; choosing one opens it."""

    BINDING_GROUP_TITLE = "Folders"
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="folders.down"),
        Binding("k", "cursor_up", "Up", show=False, id="folders.up"),
        Binding("x", "delete_search", "Delete saved search", show=False,
                id="folders.delete_search"),
        Binding("e", "edit_search", "Edit saved search", show=False, id="folders.edit_search"),
    ]

    DEFAULT_CSS = """
    FolderTree { background: $surface; }
    """

    class SearchChosen(Message):
        """The user chose a saved search to open."""

        def __init__(self, search: SavedSearch) -> None:
            super().__init__()
            self.search = search

    class SearchDeleteRequested(Message):
        """The user asked to delete a saved search (``x`` on its node)."""

        def __init__(self, search: SavedSearch) -> None:
            super().__init__()
            self.search = search

    class SearchEditRequested(Message):
        """The user asked to edit a saved search (``e`` on its node)."""

        def __init__(self, search: SavedSearch) -> None:
            super().__init__()
            self.search = search

    class FolderChosen(Message):
        """The user chose a folder to open."""

        def __init__(self, folder: Folder) -> None:
            super().__init__()
            self.folder = folder

    def __init__(self, **kwargs: object) -> None:
        super().__init__("Folders", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2
        self._node_by_name: dict[str, TreeNode[Folder]] = {}
        self._searches_node: TreeNode | None = None
        self._search_rows: list[tuple[SavedSearch, int | None]] = []
        self._folders: dict[str, Folder] = {}

    @property
    def folders(self) -> list[Folder]:
        return list(self._folders.values())

    def set_folders(self, folders: Iterable[Folder], current: str | None = None) -> None:
        """Show ``folders`` (already in display order); rebuilds only when the set changed."""
        folders = list(folders)
        if [f.name for f in folders] == list(self._folders):
            for folder in folders:
                self.update_counts(folder)
            return
        self._folders = {f.name: f for f in folders}
        self.clear()
        self._node_by_name = {}
        self._searches_node = None
        for folder in folders:
            parent = self._parent_node(folder)
            name = folder.parts[-1] if parent is not self.root else folder.name
            node = parent.add(folder_label(folder, name), data=folder, expand=True,
                              allow_expand=False)
            self._node_by_name[folder.name] = node
        for node in self._node_by_name.values():
            node.allow_expand = bool(node.children)
        self._searches_node = None
        self.set_searches(self._search_rows)
        if current:
            self.select_folder(current)

    def _parent_node(self, folder: Folder) -> TreeNode[Folder]:
        parts = folder.parts
        for depth in range(len(parts) - 1, 0, -1):
            parent_name = (folder.delimiter or "").join(parts[:depth])
            if parent_name in self._node_by_name:
                return self._node_by_name[parent_name]
        return self.root

    def update_counts(self, folder: Folder) -> None:
        node = self._node_by_name.get(folder.name)
        if node is None:
            return
        self._folders[folder.name] = folder
        name = folder.parts[-1] if node.parent is not self.root else folder.name
        node.data = folder
        node.set_label(folder_label(folder, name))

    def adjust_unseen(self, name: str, delta: int, messages_delta: int = 0) -> None:
        """Change a count on screen at once (an action's effect before the server confirms)."""
        folder = self._folders.get(name)
        if folder is None or folder.unseen is None:
            return
        self.update_counts(replace(
            folder,
            unseen=max(0, folder.unseen + delta),
            messages=max(0, (folder.messages or 0) + messages_delta),
        ))

    def select_folder(self, name: str) -> None:
        node = self._node_by_name.get(name)
        if node is not None:
            self.move_cursor(node)

    @property
    def has_searches(self) -> bool:
        return bool(self._search_rows)

    def set_searches(self, searches: list[tuple[SavedSearch, int | None]]) -> None:
        """The "Searches" node: each saved search with its match count (None: not yet)."""
        self._search_rows = list(searches)
        if self._searches_node is not None:
            self._searches_node.remove()
            self._searches_node = None
        if not searches:
            return
        node = self.root.add(Text("⌕ Searches"), expand=True)
        for search, count in searches:
            label = Text("⌕ ")
            label.append(one_line(search.name))
            if count is not None:
                label.append(f" {count:,}", style="bold")
            node.add_leaf(label, data=search)  # type: ignore[arg-type]
        self._searches_node = node

    def on_tree_node_selected(self, event: Tree.NodeSelected[Folder]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, SavedSearch):
            self.post_message(self.SearchChosen(data))
        elif data is not None and data.selectable:
            self.post_message(self.FolderChosen(data))

    def action_delete_search(self) -> None:
        node = self.cursor_node
        if node is not None and isinstance(node.data, SavedSearch):
            self.post_message(self.SearchDeleteRequested(node.data))

    def action_edit_search(self) -> None:
        node = self.cursor_node
        if node is not None and isinstance(node.data, SavedSearch):
            self.post_message(self.SearchEditRequested(node.data))
