"""The quick filter's query, run on the server as a search view, with bulk actions."""

from __future__ import annotations

from sage_tui.imap import IMAPMailboxService
from sage_tui.messages import MoveProgress
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import generated_messages, make_message, seed_folder


def seed(dovecot, user, messages, folder="INBOX") -> None:
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, folder, messages,
                batch=1000)


async def opened(pilot):
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders))
    return screen


def count(raw, folder: str) -> int:
    return raw.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"]


async def test_a_query_becomes_a_search_view_and_escape_goes_back(dovecot, imap_user):
    seed(dovecot, imap_user, [
        make_message(1, subject="weekly digest", sender="Ana <ana@example.org>"),
        make_message(2, subject="lunch", sender="Bob <bob@example.com>"),
        make_message(3, subject="weekly digest", sender="Bob <bob@example.com>"),
        make_message(4, subject="other", body="the weekly digest is in the body"),
    ])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash", *'subject:"weekly digest" -from:ana', "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        assert [screen.model.row_at(i).uid for i in range(len(screen.model))] == [3]
        title = str(screen.query_one("#list-title").render())
        assert 'search: subject:"weekly digest" -from:ana' in title and "1 found" in title
        # Plain words go to the server too, which searches bodies as well.
        await pilot.press("slash", *"weekly", "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        assert sorted(screen.model.uids) == [1, 3, 4]
        await pilot.press("escape")
        await settle(pilot, lambda: screen.search is None and screen.loaded)
        assert len(screen.model) == 4


async def test_a_bad_query_is_not_sent_and_says_where_it_is_wrong(dovecot, imap_user,
                                                                   monkeypatch):
    seed(dovecot, imap_user, [make_message(1, subject="one")])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        searches: list[object] = []
        original = IMAPMailboxService.search

        def spy(self, criteria=None):  # records, then searches the real server
            searches.append(criteria)
            return original(self, criteria)

        monkeypatch.setattr(IMAPMailboxService, "search", spy)
        await pilot.press("slash", *"since:2024-13-45", "enter")
        await settle(pilot)
        box = screen.query_one("#filter")
        assert box.has_class("-invalid") and "column 7" in str(box.border_subtitle)
        assert screen.search is None
        assert searches == []  # nothing malformed (nothing at all) was sent
        await pilot.press("escape")
        assert not box.has_class("-shown") and not box.has_class("-invalid")


async def test_select_all_results_then_archive_ten_thousand(dovecot, raw_imap):
    user = dovecot.add_user()
    seed(dovecot, user, generated_messages(10_000, seed=5))
    seed(dovecot, user, [make_message(i, subject=f"keep {i}") for i in range(1, 4)])
    app = make_app(plain_config(dovecot.host, dovecot.port, user, timeout=30.0))
    seen: list[object] = []
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash", *"-subject:keep", "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded, timeout=60)
        assert len(screen.model) == 10_000
        await pilot.press("ctrl+a", "a")
        assert len(screen.model) == 0  # at once, before the server has moved them
        await settle(pilot, lambda: bool(screen.undo_stack), timeout=120)
    progress = [m for m in seen if isinstance(m, MoveProgress)]
    assert progress and {m.total for m in progress} == {10_000}  # shown in the list title
    assert max(m.done for m in progress) == 10_000
    raw = raw_imap(user)
    assert count(raw, "Archive") == 10_000 and count(raw, "INBOX") == 3


async def test_the_builder_with_keys_only(dovecot, imap_user):
    from sage_tui.screens.builder import BuilderScreen

    seed(dovecot, imap_user, [
        make_message(1, subject="weekly digest", sender="Ana <ana@example.org>"),
        make_message(2, subject="lunch", sender="Bob <bob@example.com>"),
        make_message(3, subject="weekly digest", sender="Bob <bob@example.com>"),
    ])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("s")
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, BuilderScreen)
        # The first row is "subject contains ...", its value focused.
        await pilot.press(*"weekly")
        await pilot.pause()
        preview = str(builder.query_one("#builder-preview").render())
        assert 'UID SEARCH SUBJECT "weekly"' in preview
        await settle(pilot, lambda: builder.count == 2)
        # A second row: a date typed wrong is marked, and the search cannot run.
        await pilot.press("ctrl+n")
        await pilot.pause()
        # From the new row's value: shift+tab to the operator, again to the field menu;
        # open it and go down from "subject" to "date" (from to cc bcc subject body text
        # header date).
        await pilot.press("shift+tab", "shift+tab", "enter", "down", "down", "down", "down",
                          "enter")
        await pilot.pause()
        assert builder.group.items[1].field == "date"
        await pilot.press(*"2024-02-30")
        await pilot.pause()
        assert builder.criteria is None and (1,) in builder.errors
        assert "not a real day" in str(builder.query_one("#b-error-1").render())
        await pilot.press("ctrl+r")  # remove the bad row
        await pilot.pause()
        assert builder.criteria is not None
        await pilot.press("ctrl+n", *"lunch", "ctrl+o")  # any of: weekly OR lunch
        await pilot.pause()
        assert str(builder.criteria) == 'OR SUBJECT "weekly" SUBJECT "lunch"'
        await pilot.press("ctrl+t")  # the group as a whole negated, then back
        await pilot.pause()
        assert str(builder.criteria) == 'NOT OR SUBJECT "weekly" SUBJECT "lunch"'
        assert "NOT ANY of:" in str(builder.query_one(".builder-group").render())
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert str(builder.criteria) == 'OR SUBJECT "weekly" SUBJECT "lunch"'
        await pilot.press("enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        assert sorted(screen.model.uids) == [1, 2, 3]
        await pilot.press("s")  # the builder opens on the search being shown
        await pilot.pause()
        assert str(app.screen.criteria) == 'OR SUBJECT "weekly" SUBJECT "lunch"'


async def test_new_mail_while_a_search_view_is_open_joins_the_results(dovecot, imap_user):
    import asyncio

    seed(dovecot, imap_user, [make_message(1, subject="invoice 1"), make_message(2, subject="x")])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user), watch=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash", *"subject:invoice", "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        assert screen.model.uids == [1]
        await asyncio.sleep(0.5)  # the watcher is in IDLE on its own connection
        seed(dovecot, imap_user, [make_message(3, subject="invoice 2"),
                                  make_message(4, subject="y")])
        await settle(pilot, lambda: screen.loaded and len(screen.model) == 2, timeout=20)
        assert screen.model.uids == [3, 1] and screen.search_total == 2
