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
    store.put(SavedSearch("digests", "subject:digest"))  # same name: replaced
    assert [(s.name, s.query) for s in store.load()] == [("big", "larger:1MB"),
                                                         ("digests", "subject:digest")]
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


async def test_save_a_search_see_its_count_open_it_and_delete_it(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX", [
        make_message(1, subject="weekly digest"), make_message(2, subject="lunch"),
        make_message(3, subject="weekly digest")])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders))
        await pilot.press("slash", *"subject:digest", "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press(*"digests", "enter")
        await settle(pilot, lambda: screen.folder_tree.has_searches)
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
