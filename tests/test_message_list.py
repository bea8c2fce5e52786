"""The message list model and the virtual list widget, with plain data (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from sage_tui.imap.models import Address, MessageSummary
from sage_tui.listing import MessageListModel
from sage_tui.widgets.message_list import MessageList, human_size

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def rows(n: int, start: int = 1) -> list[MessageSummary]:
    return [
        MessageSummary(uid=uid, subject=f"subject {uid}", from_=(Address(f"Sender {uid % 7}",
                       f"s{uid % 7}@example.com"),), internaldate=BASE + timedelta(minutes=uid),
                       size=uid * 10, flags=frozenset({"\\Seen"}) if uid % 3 else frozenset())
        for uid in range(start, start + n)
    ]


def subjects(model: MessageListModel) -> list[str]:
    return [model.row_at(i).subject or "" for i in range(len(model))]


def test_newest_first_and_background_chunks_append_in_order():
    model = MessageListModel()
    model.set_rows(rows(5, start=96))  # the newest page: 96..100
    assert model.row_at(0).uid == 100
    assert model.add(rows(95)) == 95  # the rest, older
    assert [model.row_at(i).uid for i in (0, 1, 99)] == [100, 99, 1]
    assert model.add(rows(3, start=50)) == 0  # the same rows again: nothing duplicated
    assert len(model) == 100


def test_removal_lands_on_the_next_message_and_keeps_it_after_new_mail():
    model = MessageListModel()
    model.set_rows(rows(10))
    model.move_cursor(2)  # uid 8
    removed = model.remove([8])
    assert [r.uid for r in removed] == [8] and model.current.uid == 7
    model.add(rows(1, start=11))  # new mail on top: the cursor stays on uid 7
    assert model.current.uid == 7
    model.move_cursor(len(model) - 1)
    model.remove([1])  # the last row: the cursor goes to the one above
    assert model.current.uid == 2


def test_selection_targets_and_flags_round_trip():
    model = MessageListModel()
    model.set_rows(rows(6))
    assert model.targets() == [6]
    model.toggle_selected(2)
    model.toggle_selected(4)
    assert model.targets() == [2, 4]
    before = model.set_flags([2, 4], add=["\\Flagged"])
    assert model.get(2).flagged and model.get(4).flagged
    model.restore_flags(before)
    assert not model.get(2).flagged


def test_filter_and_sorts_keep_the_cursor_on_its_message():
    model = MessageListModel()
    model.set_rows(rows(30))
    model.move_cursor(5)  # uid 25
    model.set_sort("subject")
    assert model.current.uid == 25
    model.set_filter("SUBJECT 2")
    assert all("subject 2" in s for s in subjects(model)) and model.current.uid == 25
    model.set_filter("sender 3")
    assert {model.row_at(i).uid % 7 for i in range(len(model))} == {3}
    model.set_filter("")
    assert len(model) == 30


def test_memory_brings_back_selection_and_cursor_even_for_rows_not_loaded_yet():
    model = MessageListModel()
    model.set_rows(rows(50))
    model.move_cursor(40)
    model.toggle_selected(3)
    memory = model.remember()
    again = MessageListModel()
    again.recall(memory)
    again.set_rows(rows(5, start=46))  # only the newest page so far
    assert again.selected == {3} and again.targets() == []
    again.add(rows(45))
    assert again.targets() == [3]


def test_human_size():
    assert [human_size(n) for n in (None, 999, 1500, 15_000, 3 * 1024 * 1024)] == [
        "", "999", "1.5K", "14K", "3.0M"]


class ListApp(App[None]):
    def __init__(self, model: MessageListModel) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        yield MessageList(self.model)

    def on_mount(self) -> None:
        self.query_one(MessageList).rows_changed()


async def test_a_100000_row_folder_renders_only_what_is_visible():
    model = MessageListModel()
    model.set_rows(rows(100_000))
    app = ListApp(model)
    drawn: list[int] = []
    original = MessageList.render_line

    def counting(self, y):  # type: ignore[no-untyped-def]
        drawn.append(y)
        return original(self, y)

    MessageList.render_line = counting  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            widget = app.query_one(MessageList)
            widget.focus()
            await pilot.pause()
            first_paint = len(drawn)
            assert first_paint <= 30 * 3  # a few screens' worth, never 100,000 rows
            await pilot.press("G")
            await pilot.pause()
            assert model.current.uid == 1
            height = widget.scrollable_content_region.height
            assert round(widget.scroll_offset.y) == 100_000 - height
            await pilot.press("g", "j", "j")
            await pilot.pause()
            assert model.current.uid == 99_998
            assert len(drawn) < 30 * 12
    finally:
        MessageList.render_line = original  # type: ignore[method-assign]


def test_threads_fold_into_one_row_and_actions_take_the_whole_thread():
    root = MessageSummary(uid=1, subject="plan", message_id="<a@x>")
    reply = MessageSummary(uid=2, subject="Re: plan", message_id="<b@x>", in_reply_to="<a@x>",
                           references=("<a@x>",))
    other = MessageSummary(uid=3, subject="lunch", message_id="<c@x>")
    reply2 = MessageSummary(uid=4, subject="Re: plan", message_id="<d@x>", in_reply_to="<b@x>",
                            references=("<a@x>", "<b@x>"))
    model = MessageListModel()
    model.set_rows([root, reply, other, reply2])
    model.set_threaded(True)
    assert [model.row_at(i).uid for i in range(len(model))] == [4, 3]
    assert model.thread_size(4) == 3 and model.thread_size(3) == 1
    assert model.targets() == [1, 2, 4]
    model.remove(model.targets())
    assert [model.row_at(i).uid for i in range(len(model))] == [3]
    model.set_threaded(False)
    assert len(model) == 1
