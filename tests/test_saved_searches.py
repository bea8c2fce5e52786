"""Saved searches: the store on disk, and the folder tree's "Searches" node against Dovecot."""

from __future__ import annotations

import json
import stat

import pytest

from sage_tui.saved_searches import SavedSearch, SearchStore
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


def test_store_round_trip_replace_delete_and_file_mode(tmp_path):
    store = SearchStore(tmp_path / "s.json")
    assert store.load() == []
    store.put(SavedSearch("digests", 'subject:"weekly digest" unseen'))
    store.put(SavedSearch("big", "larger:1MB", scope="all"))
    store.put(SavedSearch("digests", "subject:digest"))  # same name: replaced, in its place
    assert [(s.name, s.query) for s in store.load()] == [("digests", "subject:digest"),
                                                         ("big", "larger:1MB")]
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600
    store.delete("big")
    assert [s.name for s in SearchStore(tmp_path / "s.json").load()] == ["digests"]


def test_a_bad_query_is_refused_before_it_is_saved(tmp_path):
    with pytest.raises(ValueError, match="column 7"):
        SearchStore(tmp_path / "s.json").put(SavedSearch("x", "since:2024-99-99"))


def test_a_corrupt_file_is_set_aside_with_one_notice(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("{not json", encoding="utf-8")
    store = SearchStore(path)
    assert store.load() == [] and "could not be read" in (store.problem or "")
    assert (tmp_path / "s.json.bad").read_text(encoding="utf-8") == "{not json"
    store.put(SavedSearch("ok", "unseen"))
    assert json.loads(path.read_text(encoding="utf-8"))["searches"][0]["name"] == "ok"


async def _search_then_save(pilot, screen, query: str, *form_keys: str) -> None:
    """Run ``query`` from the filter line, then save it with ``w`` and ``form_keys``."""
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders))
    await pilot.press("slash", *query, "enter")
    await settle(pilot, lambda: screen.search is not None and screen.loaded)
    await pilot.press("w")
    await pilot.pause()
    await pilot.press(*form_keys)
    await settle(pilot, lambda: screen.folder_tree.has_searches)


async def test_save_a_search_see_its_count_open_it_and_delete_it(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX", [
        make_message(1, subject="weekly digest"), make_message(2, subject="lunch"),
        make_message(3, subject="weekly digest")])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await _search_then_save(pilot, screen, "subject:digest", *"digests", "enter")
        await settle(pilot, lambda: screen.folder_tree._search_rows[0][1] == 2)
        # Back to the folder, then open the saved search from the tree.
        await pilot.press("escape")
        await settle(pilot, lambda: screen.search is None and screen.loaded)
        tree = screen.folder_tree
        tree.focus()
        for _ in range(40):  # down the tree, as a person would, to the saved search
            if isinstance(getattr(tree.cursor_node, "data", None), SavedSearch):
                break
            await pilot.press("down")
        assert tree.cursor_node.data.name == "digests"
        await pilot.press("enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        assert sorted(screen.model.uids) == [1, 3]
        tree.focus()
        await pilot.press("x")
        await settle(pilot, lambda: not tree.has_searches)
    assert SearchStore.for_account(app.account.label).load() == []


def test_an_edit_can_rename_a_search_in_its_place(tmp_path):
    store = SearchStore(tmp_path / "s.json")
    for name in ("a", "b", "c"):
        store.put(SavedSearch(name, "unseen"))
    store.put(SavedSearch("b2", "flagged", scope="all"), replacing="b")
    assert [(s.name, s.query, s.scope) for s in store.load()] == [
        ("a", "unseen", "folder"), ("b2", "flagged", "all"), ("c", "unseen", "folder")]


async def _to_saved_search(pilot, screen, name: str) -> None:
    tree = screen.folder_tree
    tree.focus()
    await pilot.press("home")
    for _ in range(40):  # down the tree, as a person would, to the saved search
        data = getattr(tree.cursor_node, "data", None)
        if isinstance(data, SavedSearch) and data.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"no saved search {name!r} in the tree")


async def test_a_search_over_all_folders_lists_acts_and_undoes_per_folder(
        dovecot, imap_user, raw_imap):
    """Saved with "all folders": one list of every folder's matches (UIDs collide between
    folders), read, archived in one key press, and brought back by one undo."""
    user = imap_user
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX", [
        make_message(1, subject="weekly digest one"), make_message(2, subject="lunch"),
        make_message(3, subject="weekly digest two")])
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "Lists", [
        make_message(4, subject="weekly digest from the list", body="list body"),
        make_message(5, subject="other")])
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "Archive", [
        make_message(6, subject="weekly digest archived")])
    app = make_app(plain_config(dovecot.host, dovecot.port, user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        # Name, then past the query to "Search all folders", ticked; ctrl+s saves.
        await _search_then_save(pilot, screen, "subject:digest", *"digests", "tab", "tab",
                                "space", "ctrl+s")
        saved = SearchStore.for_account(app.account.label).load()
        assert [(s.name, s.query, s.scope) for s in saved] == [
            ("digests", "subject:digest", "all")]
        await settle(pilot, lambda: screen.folder_tree._search_rows[0][1] == 4)

        await _to_saved_search(pilot, screen, "digests")
        await pilot.press("enter")
        await settle(pilot, lambda: screen.places is not None and screen.loaded)
        subjects = sorted(screen.model.get(k).subject for k in screen.model.uids)
        assert subjects == ["weekly digest archived", "weekly digest from the list",
                            "weekly digest one", "weekly digest two"]
        title = str(screen.query_one("#list-title").render())
        assert "All folders" in title and "4 found in 3 folders" in title
        assert screen.message_list.folder_of is not None
        assert {screen.message_list.folder_of(k) for k in screen.model.uids} == {
            "INBOX", "Lists", "Archive"}

        # The Lists message has UID 1, like INBOX's first: the reader must show the right one.
        key = next(k for k in screen.model.uids
                   if screen.model.get(k).subject == "weekly digest from the list")
        screen.model.move_cursor(screen.model.index_of(key))
        screen.message_list.rows_changed()
        screen.message_list.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None)
        assert screen.reader.message.summary.subject == "weekly digest from the list"
        assert "list body" in (screen.reader.message.text or "")

        await pilot.press("ctrl+a", "a")
        await settle(pilot, lambda: len(screen.undo_stack) == 2)
        # The archived one was already in Archive: it stays, the only row left.
        assert [screen.model.get(k).subject for k in screen.model.uids] == [
            "weekly digest archived"]

        raw = raw_imap(user)

        def subjects_in(folder: str) -> list[str]:
            raw.select_folder(folder, readonly=True)
            uids = raw.search("ALL")
            data = raw.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
            return sorted(v[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip()
                          for v in data.values())

        assert subjects_in("INBOX") == ["lunch"]
        assert subjects_in("Lists") == ["other"]
        assert subjects_in("Archive") == ["weekly digest archived", "weekly digest from the list",
                                          "weekly digest one", "weekly digest two"]

        await pilot.press("u")  # one key press moved from two folders: one undo
        await settle(pilot, lambda: not screen.undo_stack and len(screen.model) == 4)
        assert subjects_in("INBOX") == ["lunch", "weekly digest one", "weekly digest two"]
        assert subjects_in("Lists") == ["other", "weekly digest from the list"]
        assert subjects_in("Archive") == ["weekly digest archived"]


async def test_a_saved_search_is_edited_in_place_from_the_tree(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX", [
        make_message(1, subject="alpha"), make_message(2, subject="beta")])
    SearchStore.for_account(imap_user.name + "@" + dovecot.host).put(
        SavedSearch("mine", "subject:alpha"))
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded and screen.folder_tree.has_searches)
        await _to_saved_search(pilot, screen, "mine")
        await pilot.press("e")
        await pilot.pause()
        name = app.screen.query_one("#editor-name")
        assert name.value == "mine"
        await pilot.press("ctrl+u", *"betas", "tab", "ctrl+u", *"subject:(beta")
        await pilot.pause()
        problem = str(app.screen.query_one("#editor-problem").render())
        assert "column" in problem
        await pilot.press("ctrl+s")  # refused: nothing malformed is saved
        await pilot.pause()
        assert app.screen.query_one("#editor-query").has_focus
        await pilot.press(*["backspace"] * 5, *"beta")
        await pilot.press("enter")
        await settle(pilot, lambda: screen.folder_tree._search_rows[0][0].name == "betas")
        await settle(pilot, lambda: screen.folder_tree._search_rows[0][1] == 1)
    assert [(s.name, s.query) for s in SearchStore.for_account(app.account.label).load()] == [
        ("betas", "subject:beta")]
