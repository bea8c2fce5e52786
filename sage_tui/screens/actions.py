"""Triage actions of the main screen: move, archive, delete, undo, read and flag.

A mixin so that the screen module stays about layout and loading. Each action changes the
screen at once, takes a ticket so that the server sees actions in the order they were taken,
and runs in a thread worker; the ``on_*`` handlers reconcile the screen with what the server
did (message handlers are found by name, which works for a mixin; ``@on`` would not).

The worker also writes what the server confirmed into the header cache (``triage.CacheNote``):
new flags, and messages moved away from their folder, so that the next start shows them from the
cache and its resync has nothing to correct. These writes happen in the worker, in its turn (so
"read, then unread" reaches the cache in that order too), and never fail the action.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker

from sage_tui.folder_loading import cache_account
from sage_tui.imap.errors import IMAPError
from sage_tui.imap.mailbox import MOVE_CHUNK
from sage_tui.imap.models import MessageSummary
from sage_tui.messages import (
    FlagsFailed,
    MoveProgress,
    MovesDone,
    MovesFailed,
    UndoDone,
    UndoFailed,
)
from sage_tui.places import Group
from sage_tui.text import one_line
from sage_tui.triage import (
    CacheNote,
    UndoRecord,
    move_messages,
    moved_before_failure,
    service_for,
    still_in_folder,
    undo_move,
)

if TYPE_CHECKING:
    from sage_tui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

PROGRESS_WORDS = {"archive": "archiving", "delete": "deleting", "move": "moving"}
ACTION_WORDS = {"archive": "Archived", "delete": "Moved to Trash", "move": "Moved"}
_BATCHES = itertools.count(1)
"""Numbers the moves of one key press, so that one undo takes back all of its folders."""


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


class TriageActions(_Base):
    """Archive, delete, move, undo, toggle read and flag, for ``MainScreen``."""

    # -- moving -------------------------------------------------------------------------------

    def action_archive(self) -> Worker[None] | None:
        return self._move("archive", None)

    def action_delete(self) -> Worker[None] | None:
        return self._move("delete", None)

    def action_move(self) -> None:
        if not self.model.targets():
            return
        count = len(self.model.targets())

        def chosen(destination: str | None) -> None:
            if destination:
                self._move("move", destination)

        from sage_tui.screens.move_picker import MovePicker

        self.app.push_screen(
            MovePicker(self.folder_tree.folders, f"Move {plural(count, 'message')} to…",
                       exclude=None if self.places is not None else self.folder),
            chosen,
        )

    def _move(self, action: str, destination: str | None) -> Worker[None] | None:
        if not self.can_act():
            self.say("The folder is still opening; try again in a moment.", timeout=3)
            return None
        keys = self.model.targets()
        if not keys:
            return None
        groups = self.groups_for(keys)
        # Messages already where they are going stay put (a search across folders lists the
        # Archive too): moving them would only give them new UIDs.
        staying = destination or self.role_folder(action)
        groups = [g for g in groups if g.folder != staying]
        if not groups:
            self.say(f"Already in {one_line(staying or '')}.", timeout=3)
            return None
        rows = {row.uid: row for row in self.model.remove([k for g in groups for k in g.keys])}
        self.message_list.rows_changed()
        self._update_title()
        parts: list[tuple[Group, list[MessageSummary]]] = []
        for group in groups:
            taken = [rows[key] for key in group.keys if key in rows]
            unseen = sum(1 for row in taken if not row.seen)
            self.folder_tree.adjust_unseen(group.folder, -unseen, -len(taken))
            if destination:
                self.folder_tree.adjust_unseen(destination, unseen, len(taken))
            parts.append((group, taken))
        return self._run_move(action, destination, parts, self.generation, self._order.ticket())

    def role_folder(self, action: str) -> str | None:
        """The folder ``archive`` or ``delete`` moves to, as the folder tree knows it."""
        role = {"archive": "archive", "delete": "trash"}.get(action)
        if role is None:
            return None
        return next((f.name for f in self.folder_tree.folders if f.role == role), None)

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_move(self, action: str, destination: str | None,
                  parts: list[tuple[Group, list[MessageSummary]]], generation: int,
                  ticket: int) -> None:
        batch = next(_BATCHES)
        with self._order.turn(ticket):
            def progress(done: int, total: int) -> None:
                if total > MOVE_CHUNK:  # more than one server command: worth a progress line
                    self.post_message(MoveProgress(action, done, total))

            # One folder at a time, each under the UIDVALIDITY its rows were listed with; a
            # failure in one folder leaves the others' moves standing (and undoable).
            for group, rows in parts:
                service = service_for(self.client, group.info)
                note = self.cache_note(group.folder, group.info.uidvalidity)
                try:
                    result = move_messages(service, action, group.uids, destination, progress)
                except IMAPError as error:
                    if note is not None:
                        note.removed(moved_before_failure(group.uids, error))
                    here = still_in_folder(service, group.uids, error)
                    keys = {key for key, uid in zip(group.keys, group.uids, strict=True)
                            if uid in here}
                    self.post_message(MovesFailed(action, generation, rows, keys, error))
                    continue
                if note is not None:
                    note.removed(group.uids)
                self.post_message(MovesDone(action, rows, result, batch))

    def cache_note(self, folder: str, uidvalidity: int | None) -> CacheNote | None:
        """Run in a worker, before an action changes ``folder`` on the server: the header
        cache's state of it (None with ``--no-cache`` or when it is not cached)."""
        cache = getattr(self.app, "header_cache", None)
        return CacheNote.take(cache, cache_account(self.client.config), folder, uidvalidity)

    def on_move_progress(self, event: MoveProgress) -> None:
        done = event.done < event.total
        self.action_progress = (PROGRESS_WORDS.get(event.action, "moving"), event.done,
                                event.total) if done else None
        self._update_title()

    def on_moves_done(self, event: MovesDone) -> None:
        self.action_progress = None
        self._update_title()
        count = len(event.rows)
        if event.result is None:
            self.say(f"Deleted {plural(count, 'message')} for good.", timeout=4)
        else:
            self.undo_stack.append(UndoRecord(event.action, event.result, tuple(event.rows),
                                              event.batch))
            words = ACTION_WORDS.get(event.action, "Moved")
            self.say(f"{words}: {plural(count, 'message')} → "
                     f"{one_line(event.result.destination)}  (u undoes)", timeout=4)
        self.refresh_folders()

    def on_moves_failed(self, event: MovesFailed) -> None:
        self.action_progress = None
        self._update_title()
        back = [row for row in event.rows if row.uid in event.still_here]
        if event.generation == self.generation and back:
            self.model.add(back)
            # The cursor goes back to what the user acted on, as if nothing had happened.
            positions = [self.model.index_of(row.uid) for row in back]
            self.model.move_cursor(min(p for p in positions if p is not None))
            self.message_list.rows_changed()
            self._update_title()
        moved = len(event.rows) - len(back)
        extra = f" ({plural(moved, 'message')} did move)" if moved else ""
        self.say(f"{one_line(str(event.error))}{extra}", title=event.error.title,
                 severity="error", timeout=8)
        self.refresh_folders()

    # -- undo ---------------------------------------------------------------------------------

    def action_undo(self) -> Worker[None] | None:
        if not self.undo_stack:
            self.say("Nothing to undo.", timeout=3)
            return None
        records = [self.undo_stack.pop()]
        # One key press moved messages of several folders: one undo brings them all back.
        while (records[0].batch and self.undo_stack
               and self.undo_stack[-1].batch == records[0].batch):
            records.append(self.undo_stack.pop())
        return self._run_undo(records, self._order.ticket())

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_undo(self, records: list[UndoRecord], ticket: int) -> None:
        with self._order.turn(ticket):
            for record in records:
                # The messages leave the folder they were moved to; their new rows back home
                # come with the next resync there (UIDNEXT is where the cache left it).
                there = self.cache_note(record.result.destination, record.result.uidvalidity)
                try:
                    back, rows = undo_move(self.client, record)
                except IMAPError as error:
                    self.post_message(UndoFailed(error))
                    continue
                if there is not None:
                    there.removed(back.uid_map.keys())
                self.post_message(UndoDone(back.destination, rows, back.count))

    def on_undo_done(self, event: UndoDone) -> None:
        if self.places is not None and self.search is not None:
            self.run_search_everywhere(self.search)  # the messages have new UIDs back home
        elif event.folder == self.folder and event.rows:
            self.model.add(event.rows)
            index = self.model.index_of(max(row.uid for row in event.rows))
            if index is not None:
                self.model.move_cursor(index)
            self.message_list.rows_changed()
            self._update_title()
        self.say(f"Undone: {plural(event.count, 'message')} back in {one_line(event.folder)}.",
                 timeout=4)
        self.refresh_folders()

    def on_undo_failed(self, event: UndoFailed) -> None:
        self.say(one_line(str(event.error)), title=f"Undo failed: {event.error.title}",
                 severity="error", timeout=8)

    # -- flags --------------------------------------------------------------------------------

    def action_toggle_read(self) -> Worker[None] | None:
        rows = [r for r in (self.model.get(uid) for uid in self.model.targets()) if r]
        if not rows:
            return None
        return self._change_flags([r.uid for r in rows], "\\Seen",
                                  add=not all(r.seen for r in rows))

    def action_toggle_flag(self) -> Worker[None] | None:
        rows = [r for r in (self.model.get(uid) for uid in self.model.targets()) if r]
        if not rows:
            return None
        return self._change_flags([r.uid for r in rows], "\\Flagged",
                                  add=not all(r.flagged for r in rows))

    def _change_flags(self, keys: list[int], flag: str, *, add: bool) -> Worker[None] | None:
        if not self.can_act():
            return None
        groups = self.groups_for(keys)
        before = self.model.set_flags(keys, add=[flag] if add else [],
                                      remove=[] if add else [flag])
        if flag == "\\Seen":
            for group in groups:
                changed = sum(1 for key in group.keys
                              if key in before and (flag in before[key]) != add)
                self.folder_tree.adjust_unseen(group.folder, -changed if add else changed)
        self.message_list.refresh()
        return self._run_flags(groups, flag, add, before, self.generation, self._order.ticket())

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_flags(self, groups: list[Group], flag: str, add: bool,
                   before: dict[int, frozenset[str]], generation: int, ticket: int) -> None:
        with self._order.turn(ticket):
            for group in groups:
                service = service_for(self.client, group.info)
                note = self.cache_note(group.folder, group.info.uidvalidity)
                try:
                    if add:
                        service.add_flags(group.uids, [flag])
                    else:
                        service.remove_flags(group.uids, [flag])
                except IMAPError as error:
                    mine = {key: flags for key, flags in before.items() if key in group.keys}
                    self.post_message(FlagsFailed(generation, mine, error))
                    continue
                if note is not None:
                    note.flags_changed(group.uids, flag, add=add)

    def on_flags_failed(self, event: FlagsFailed) -> None:
        if event.generation == self.generation:
            self.model.restore_flags(event.before)
            self.message_list.refresh()
        self.say(one_line(str(event.error)), title=event.error.title, severity="error",
                 timeout=8)
        self.refresh_folders()
