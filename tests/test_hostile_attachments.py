"""Saving attachments whose names are attacks: the file lands inside the chosen directory, under
a plain name, and never replaces anything that was there."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sage_tui.attachments import (
    FALLBACK_NAME,
    MAX_NAME_BYTES,
    default_directory,
    numbered,
    safe_filename,
    save_bytes,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("report.pdf", "report.pdf"),
    ("../../../../etc/passwd", "passwd"),
    ("/etc/shadow", "shadow"),
    ("C:\\Windows\\System32\\evil.exe", "evil.exe"),
    ("..", FALLBACK_NAME),
    ("", FALLBACK_NAME),
    ("   ", FALLBACK_NAME),
    (".bashrc", "bashrc"),
    ("notes. . .", "notes"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("LPT1.log", "_LPT1.log"),
    ("COM9", "_COM9"),
    ("console.txt", "console.txt"),  # only exact device names are special
    ("a<b>c:d|e?f*g\"h.txt", "a_b_c_d_e_f_g_h.txt"),
    ("\x1b]0;owned\x07report.pdf", "]0;ownedreport.pdf"),
    ("line\nbreak.txt\r", "line break.txt"),
    ("nul\x00byte.txt", "nulbyte.txt"),
    ("c1\x85\x9d.txt", "c1.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf" otherwise
    ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
    ("tab\there.txt", "tab here.txt"),
    ("Café résumé.pdf", "Café résumé.pdf"),
])
def test_names_are_made_safe(name, expected):
    assert safe_filename(name) == expected


def test_long_names_keep_their_extension_within_the_byte_limit():
    name = safe_filename("é" * 400 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= MAX_NAME_BYTES
    assert safe_filename("a" * 400).startswith("a" * 100)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_is_one_plain_component(name):
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe
    assert not safe.startswith(".") and safe not in (".", "..")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in safe)
    assert Path(safe).name == safe


def test_numbered_names_keep_the_whole_extension():
    assert numbered("archive.tar.gz", 1) == "archive (1).tar.gz"
    assert numbered("README", 2) == "README (2)"


def test_saving_stays_inside_the_directory(tmp_path):
    target = tmp_path / "downloads"
    target.mkdir()
    path = save_bytes(target, "../../../outside.txt", b"data")
    assert path == target / "outside.txt" and path.read_bytes() == b"data"
    assert not (tmp_path / "outside.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"]


def test_an_existing_file_is_never_overwritten(tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"mine")
    first = save_bytes(tmp_path, "report.pdf", b"theirs 1")
    second = save_bytes(tmp_path, "report.pdf", b"theirs 2")
    assert (tmp_path / "report.pdf").read_bytes() == b"mine"
    assert first.name == "report (1).pdf" and first.read_bytes() == b"theirs 1"
    assert second.name == "report (2).pdf" and second.read_bytes() == b"theirs 2"


def test_a_symlink_in_the_way_is_not_followed(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"keep me")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "note.txt").symlink_to(secret)
    path = save_bytes(folder, "note.txt", b"attack")
    assert path.name == "note (1).txt"
    assert secret.read_bytes() == b"keep me"


def test_a_missing_directory_is_an_error_not_a_new_directory(tmp_path):
    with pytest.raises(NotADirectoryError):
        save_bytes(tmp_path / "nope", "a.txt", b"x")
    assert not (tmp_path / "nope").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_an_unwritable_directory_raises_and_leaves_nothing(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            save_bytes(locked, "a.txt", b"x")
    finally:
        locked.chmod(0o700)


def test_downloads_is_the_default_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert default_directory() == tmp_path
    (tmp_path / "Downloads").mkdir()
    assert default_directory() == tmp_path / "Downloads"


# -- through the app: S in the reader --------------------------------------------------


async def test_saving_through_the_app_sanitises_and_never_overwrites(dovecot, imap_user,
                                                                      tmp_path):
    from textual.widgets import Input, OptionList

    from sage_tui.screens.save_attachment import SaveAttachmentScreen
    from tests.support.app import main_screen, make_app, settle
    from tests.support.engine import plain_config
    from tests.support.hostile_mail import hostile_messages
    from tests.support.seed import seed_folder

    raw = dict(hostile_messages(big=False))["attachment names"]
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX", [raw])
    target = tmp_path / "saved"
    target.mkdir()
    from sage_tui.screens.reader_actions import AttachmentSaved, AttachmentSaveFailed

    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    posted: list[object] = []  # notifications expire; the messages behind them stay here
    async with app.run_test(size=(160, 45), notifications=True,
                            message_hook=posted.append) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None)
        assert len(screen.reader.message.attachments) == 10

        async def save(index: int) -> None:
            await pilot.press("S")
            await settle(pilot, lambda: isinstance(app.screen, SaveAttachmentScreen))
            app.screen.query_one(OptionList).highlighted = index
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await settle(pilot, lambda: not isinstance(app.screen, SaveAttachmentScreen))
            await settle(pilot)

        await save(0)  # ../../../../etc/passwd
        await save(0)  # again: a second file, the first one kept
        await save(2)  # CON.txt
        await save(5)  # ESC ] 0;owned BEL report.pdf
        await save(1)  # C:\Windows\System32\evil.exe
        names = sorted(path.name for path in target.iterdir())
        assert names == ["]0;ownedreport.pdf", "_CON.txt", "evil.exe", "passwd", "passwd (1)"]
        assert (target / "passwd").read_bytes() == b"attachment 0\n"
        assert (target / "passwd (1)").read_bytes() == b"attachment 0\n"
        assert (target / "_CON.txt").read_bytes() == b"attachment 2\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]  # nothing outside
        saved = [m.path for m in {id(m): m for m in posted}.values()  # each seen as it bubbles
                 if isinstance(m, AttachmentSaved)]
        assert len(saved) == 5 and all(path.parent == target for path in saved)

        await pilot.press("S")  # now into a directory that does not exist
        await settle(pilot, lambda: isinstance(app.screen, SaveAttachmentScreen))
        app.screen.query_one(Input).value = str(tmp_path / "missing")
        await pilot.press("enter")
        await settle(pilot, lambda: any(isinstance(m, AttachmentSaveFailed) for m in posted))
        failed = next(m for m in posted if isinstance(m, AttachmentSaveFailed))
        assert "is not a directory" in failed.words
        assert not (tmp_path / "missing").exists()
