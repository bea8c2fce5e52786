"""What the screen shows, from the deterministic demo mailbox (pytest-textual-snapshot).

Each test gets a fresh demo server, because opening a message marks it read on the server.
Regenerate deliberately with ``--snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import pytest

from tests.support.demo_app import demo_app, fully_loaded, main_of, wait_for

WIDE = (150, 40)


pytestmark = pytest.mark.usefixtures("plain_environment")


def test_main_screen(snap_compare, demo):
    assert snap_compare(demo_app(demo), terminal_size=WIDE, run_before=fully_loaded)


def test_reader_shows_an_html_only_message(snap_compare, demo):
    async def open_html(pilot):
        await fully_loaded(pilot)
        screen = main_of(pilot.app)
        # The first HTML-only message in the list (the demo mailbox is deterministic).
        index = next(i for i in range(len(screen.model))
                     if "Payment of" in (screen.model.row_at(i).subject or ""))
        screen.message_list.move_cursor(index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.reader.message is not None
                       and screen.reader.message.uid == screen.model.current.uid)
        await wait_for(pilot, lambda: not any(w.is_running for w in pilot.app.workers))

    assert snap_compare(demo_app(demo), terminal_size=WIDE, run_before=open_html)


def test_move_picker_filters_as_you_type(snap_compare, demo):
    assert snap_compare(demo_app(demo), press=["m", "l", "i"], terminal_size=WIDE,
                        run_before=fully_loaded)


def test_help_screen(snap_compare, demo):
    assert snap_compare(demo_app(demo), press=["question_mark"], terminal_size=(150, 50),
                        run_before=fully_loaded)


def test_narrow_terminal_shows_the_list_alone(snap_compare, demo):
    assert snap_compare(demo_app(demo), terminal_size=(90, 30), run_before=fully_loaded)


def test_search_builder_with_preview_and_count(snap_compare, demo):
    async def build(pilot):
        await fully_loaded(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"Rechnung", "ctrl+n", *"x", "ctrl+o")
        builder = pilot.app.screen
        await wait_for(pilot, lambda: builder.count is not None)

    assert snap_compare(demo_app(demo), terminal_size=WIDE, run_before=build)


def test_search_builder_marks_invalid_rows_and_sends_nothing(snap_compare, demo):
    """A date that is not a real day and a size without a number: each row says what is
    wrong, and the preview says that nothing will be sent."""

    async def build(pilot):
        await fully_loaded(pilot)
        await pilot.press("s")
        await pilot.pause()
        builder = pilot.app.screen
        await pilot.press(*"Rechnung", "ctrl+n")
        await pilot.pause()
        await pilot.press("shift+tab", "shift+tab", "enter", *["down"] * 4, "enter")
        await pilot.pause()
        await pilot.press(*"2024-02-30", "ctrl+g")
        await pilot.pause()
        await pilot.press("ctrl+t")  # the new group negated as a whole
        await wait_for(pilot, lambda: builder.criteria is None and len(builder.errors) >= 1)

    assert snap_compare(demo_app(demo), terminal_size=WIDE, run_before=build)
