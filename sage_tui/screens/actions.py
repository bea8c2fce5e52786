"""Triage actions of the main screen: move, archive, delete, undo, read and flag.

A mixin so that the screen module stays about layout and loading. Each action changes the
screen at once, takes a ticket so that the server sees actions in the order they were taken,
and runs in a thread worker; the ``on_*`` handlers reconcile the screen with what the server
did (message handlers are found by name, which works for a mixin; ``@on`` would not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker

from sage_tui.imap.errors import IMAPError
from sage_tui.imap.mailbox import MOVE_CHUNK
from sage_tui.imap.models import MessageSummary, SelectInfo
from sage_tui.messages import (
    FlagsFailed,
    MoveProgress,
    MovesDone,
    MovesFailed,
    UndoDone,
    UndoFailed,
)
from sage_tui.screens.move_picker import MovePicker
from sage_tui.text import one_line
from sage_tui.triage import UndoRecord, move_messages, service_for, still_in_folder, undo_move

if TYPE_CHECKING:
    from sage_tui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

PROGRESS_WORDS = {"archive": "archiving", "delete": "deleting", "move": "moving"}
ACTION_WORDS = {"archive": "Archived", "delete": "Moved to Trash", "move": "Moved"}


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

        self.app.push_screen(
            MovePicker(self.folder_tree.folders, f"Move {plural(count, 'message')} to…",
                       exclude=self.folder),
            chosen,
        )

    def _move(self, action: str, destination: str | None) -> Worker[None] | None:
        if self.info is None:
            self.say("The folder is still opening; try again in a moment.", timeout=3)
            return None
        uids = self.model.targets()
        if not uids:
            return None
        rows = self.model.remove(uids)
        self.message_list.rows_changed()
        self._update_title()
        unseen = sum(1 for row in rows if not row.seen)
        self.folder_tree.adjust_unseen(self.folder, -unseen, -len(rows))
        if destination:
            self.folder_tree.adjust_unseen(destination, unseen, len(rows))
        return self._run_move(action, destination, rows, self.info, self.generation,
                              self._order.ticket())

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_move(self, action: str, destination: str | None, rows: list[MessageSummary],
                  info: SelectInfo, generation: int, ticket: int) -> None:
        uids = [row.uid for row in rows]
        service = service_for(self.client, info)
        with self._order.turn(ticket):
            def progress(done: int, total: int) -> None:
                if total > MOVE_CHUNK:  # more than one server command: worth a progress line
                    self.post_message(MoveProgress(action, done, total))

            try:
                result = move_messages(service, action, uids, destination, progress)
            except IMAPError as error:
                here = still_in_folder(service, uids, error)
                self.post_message(MovesFailed(action, generation, rows, here, error))
                return
        self.post_message(MovesDone(action, rows, result))

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
            self.undo_stack.append(UndoRecord(event.action, event.result, tuple(event.rows)))
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
        record = self.undo_stack.pop()
        return self._run_undo(record, self._order.ticket())

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_undo(self, record: UndoRecord, ticket: int) -> None:
        with self._order.turn(ticket):
            try:
                back, rows = undo_move(self.client, record)
            except IMAPError as error:
                self.post_message(UndoFailed(error))
                return
        self.post_message(UndoDone(back.destination, rows, back.count))

    def on_undo_done(self, event: UndoDone) -> None:
        if event.folder == self.folder and event.rows:
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

    def _change_flags(self, uids: list[int], flag: str, *, add: bool) -> Worker[None] | None:
        if self.info is None:
            return None
        before = self.model.set_flags(uids, add=[flag] if add else [],
                                      remove=[] if add else [flag])
        if flag == "\\Seen":
            changed = sum(1 for flags in before.values() if (flag in flags) != add)
            self.folder_tree.adjust_unseen(self.folder, -changed if add else changed)
        self.message_list.refresh()
        return self._run_flags(uids, flag, add, before, self.info, self.generation,
                               self._order.ticket())

    @work(thread=True, group="actions", exit_on_error=False)
    def _run_flags(self, uids: list[int], flag: str, add: bool,
                   before: dict[int, frozenset[str]], info: SelectInfo, generation: int,
                   ticket: int) -> None:
        service = service_for(self.client, info)
        with self._order.turn(ticket):
            try:
                if add:
                    service.add_flags(uids, [flag])
                else:
                    service.remove_flags(uids, [flag])
            except IMAPError as error:
                self.post_message(FlagsFailed(generation, before, error))

    def on_flags_failed(self, event: FlagsFailed) -> None:
        if event.generation == self.generation:
            self.model.restore_flags(event.before)
            self.message_list.refresh()
        self.say(one_line(str(event.error)), title=event.error.title, severity="error",
                 timeout=8)
        self.refresh_folders()
