"""Hostile mail through the real app: listed, opened, searched, its source viewed, and every
piece of it shown literally, against Dovecot with the keyboard (Pilot).

The corpus (tests/support/hostile_mail.py) holds broken base64 and quoted-printable, unknown
and lying charsets, RFC 2047 garbage, 10,000 header lines, 50-level nesting, a 25 MB
attachment, NUL bytes, bidi and zero-width characters, and Rich markup plus ANSI escapes in
every header. Nothing may reach the screen as a crash, a traceback, markup or an escape code.
"""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual.command import CommandList
from textual.geometry import Region
from textual.widgets import OptionList, TextArea

from sage_tui.screens.move_picker import MovePicker
from sage_tui.screens.raw_source import RawSourceScreen
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.hostile_mail import MARKUP, hostile_messages
from tests.support.seed import seed_folder

ODD_FOLDERS = ["[a[b]]", "\\[x]", "x[y", "a]b", "[bold red]x[/]"]
SHOWN_MARKUP = "[bold red]x[/] [a[b]] \\[/x] [/] [link=http://evil.example]y[/link]"


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, bytes]]:
    return hostile_messages()


@pytest.fixture(scope="module")
def hostile_user(dovecot, corpus):
    """One user whose INBOX holds the whole corpus, and folders with markup in their names."""
    import imapclient

    user = dovecot.add_user()
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [raw for _, raw in corpus], batch=4)
    raw = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    raw.login(user.name, user.password)
    for name in ODD_FOLDERS:
        raw.create_folder(name)
    raw.logout()
    return user


def config_of(dovecot, user):  # type: ignore[no-untyped-def]
    return plain_config(dovecot.host, dovecot.port, user, timeout=30.0)


async def opened(pilot):  # type: ignore[no-untyped-def]
    screen = main_screen(pilot.app)
    await settle(pilot, lambda: screen.loaded and bool(screen.folder_tree.folders), timeout=30)
    return screen


def lines_of(widget) -> list[str]:  # type: ignore[no-untyped-def]
    strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    return ["".join(segment.text for segment in strip) for strip in strips]


def no_links_or_actions(widget) -> bool:  # type: ignore[no-untyped-def]
    strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    segments: list[Segment] = [s for strip in strips for s in strip]
    return not any(s.style and (s.style.link or s.style.meta.get("@click")) for s in segments)


def terminal_bytes(app) -> str:  # type: ignore[no-untyped-def]
    """What the driver would write to the terminal for the whole screen."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def assert_no_escapes(output: str) -> None:
    # The only ESC allowed is the one starting Textual's own SGR colour codes.
    stripped = output.replace("\x1b[", "")
    assert "\x1b" not in stripped and "\x00" not in output and "\x07" not in output
    assert not any(0x80 <= ord(char) < 0xA0 for char in output)
    assert "\u202e" not in output


def unexpected(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications if n.title == "Unexpected error"]


def reader_text(screen) -> str:  # type: ignore[no-untyped-def]
    parts = [str(screen.reader.query_one(f"#reader-{name}").render())
             for name in ("headers", "notes", "body", "attachments")]
    return "\n".join(parts)


async def test_every_hostile_message_is_listed_opened_and_searched(dovecot, hostile_user,
                                                                   corpus):
    app = make_app(config_of(dovecot, hostile_user))
    async with app.run_test(size=(180, 50)) as pilot:
        screen = await opened(pilot)
        assert screen.model.total == len(corpus)
        shown: dict[int, str] = {}
        await pilot.press("g")
        for _ in range(len(corpus)):
            uid = screen.model.current.uid
            await pilot.press("enter")
            await settle(pilot, lambda uid=uid: screen.reader.message is not None
                         and screen.reader.message.uid == uid, timeout=60)
            shown[uid] = reader_text(screen)
            assert_no_escapes(terminal_bytes(app))
            await pilot.press("j")
        assert len(shown) == len(corpus)
        assert not unexpected(app) and app.is_running
        by_subject = {text.split("Subject: ", 1)[-1][:3]: text for text in shown.values()}
        assert "base64 that cannot be decoded" in by_subject["H01"]
        assert "not valid utf-8" in by_subject["H04"] and "caf� na�ve" in by_subject["H04"]
        assert "unknown charset 'x-no-such-charset-42'" in by_subject["H03"]
        assert "the bottom of the nest" in by_subject["H07"]
        assert "big.bin" in by_subject["H08"] and ", 25M" in by_subject["H08"]
        assert "a multipart section is never closed" in by_subject["H13"]
        assert "before�after" in by_subject["H14"]  # Dovecot stores a NUL byte as 0x80

        await pilot.press("slash", *"H1", "enter")  # a server search (TEXT H1)
        await settle(pilot, lambda: screen.search is not None and screen.loaded, timeout=30)
        assert 1 <= len(screen.model) < len(corpus)
        await pilot.press("escape")
        await settle(pilot, lambda: screen.search is None and screen.loaded)
        await pilot.press("slash", *'subject:"[a[b]]"', "enter")
        await settle(pilot, lambda: screen.search is not None and screen.loaded, timeout=30)
        assert [screen.model.row_at(i).subject[:3] for i in range(len(screen.model))] == ["H09"]
        assert not unexpected(app)


async def test_markup_and_controls_in_headers_are_literal_in_the_list(dovecot, hostile_user):
    app = make_app(config_of(dovecot, hostile_user))
    async with app.run_test(size=(260, 50)) as pilot:
        screen = await opened(pilot)
        lines = lines_of(screen.message_list)
        row = next(line for line in lines if "H09" in line)
        assert SHOWN_MARKUP in row and "[@clic…" in row  # cut with an ellipsis, still literal
        folded = next(line for line in lines if "H10" in line)
        # One space per fold; Dovecot turned the NUL into 0x80, so this header is not UTF-8
        # any more and reads as Latin-1: C1 controls become "�" either way.
        assert "H10 folded subject nul� bel␇ bs␈ del␡ c1" in folded
        bidi = next(line for line in lines if "H11" in line)
        assert "invoice�fdp.exe" in bidi and "iso�late�" in bidi
        assert no_links_or_actions(screen.message_list)
        assert_no_escapes(terminal_bytes(app))


async def test_markup_is_literal_in_reader_tree_picker_and_palette(dovecot, hostile_user):
    app = make_app(config_of(dovecot, hostile_user))
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await opened(pilot)
        index = next(i for i in range(len(screen.model))
                     if screen.model.row_at(i).subject.startswith("H09"))
        screen.model.move_cursor(index)
        screen.message_list.rows_changed()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None
                     and screen.reader.message.subject.startswith("H09"))
        text = reader_text(screen)
        assert SHOWN_MARKUP in text and "␛[31mred␛[0m" in text
        assert no_links_or_actions(screen.reader)

        attachments = next(i for i in range(len(screen.model))
                           if screen.model.row_at(i).subject.startswith("H12"))
        screen.model.move_cursor(attachments)
        screen.message_list.rows_changed()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.reader.message is not None
                     and screen.reader.message.subject.startswith("H12"))
        shown = str(screen.reader.query_one("#reader-attachments").render())
        assert f"{MARKUP}.pdf" in shown and "../../../../etc/passwd" in shown
        assert "␛]0;owned␇report.pdf" in shown

        tree = "\n".join(lines_of(screen.folder_tree))
        for name in ("[a[b]]", "\\[x]", "x[y", "a]b"):
            assert name in tree, name
        assert no_links_or_actions(screen.folder_tree)

        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, MovePicker))
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt)
                   for i in range(options.option_count)]
        assert any("[a[b]]" in p for p in prompts) and any("[bold red]x[/]" in p for p in prompts)
        await pilot.press(*"[a[")
        await pilot.pause()
        assert options.option_count == 1 and "[a[b]]" in str(options.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, MovePicker))

        await pilot.press("ctrl+p", *"open [a")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        hits = app.screen.query_one(CommandList)
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert any("folder: Open [a[b]]" in p for p in prompts), prompts
        await pilot.press("escape")
        assert not unexpected(app) and app.is_running


async def test_notifications_quote_folder_names_literally(dovecot, imap_user):
    """Moving to a folder named like markup: the toast shows the name, nothing is parsed."""
    import imapclient

    from tests.support.seed import make_message

    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(1, subject="move me")])
    raw = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    raw.login(imap_user.name, imap_user.password)
    raw.create_folder("[/]x[@click=quit]z")
    raw.logout()
    app = make_app(config_of(dovecot, imap_user))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await opened(pilot)
        await pilot.press("m", *"click")
        await settle(pilot, lambda: isinstance(app.screen, MovePicker))
        await pilot.press("enter")
        await settle(pilot, lambda: not screen.model.total and not isinstance(app.screen,
                                                                             MovePicker))
        await settle(pilot, lambda: any("[/]x[@click=quit]z" in n.message
                                        for n in app._notifications))
        await pilot.pause()
        assert app.is_running  # the toast's [@click=quit] was not an action
        output = terminal_bytes(app)
        assert "[/]x[@click=quit]z" in output.replace("\xa0", " ")


async def test_raw_source_is_literal_and_bounded(dovecot, hostile_user):
    app = make_app(config_of(dovecot, hostile_user))
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await opened(pilot)
        for tag, expected_note in (("H09", "source"), ("H08", "Showing the first 256 KB of")):
            index = next(i for i in range(len(screen.model))
                         if screen.model.row_at(i).subject.startswith(tag))
            screen.model.move_cursor(index)
            screen.message_list.rows_changed()
            await pilot.press("enter")
            await settle(pilot, lambda tag=tag: screen.reader.message is not None
                         and screen.reader.message.subject.startswith(tag), timeout=60)
            await pilot.press("R")
            await settle(pilot, lambda: isinstance(app.screen, RawSourceScreen))
            source = app.screen.query_one(TextArea).text
            note = str(app.screen.query_one("#raw-note").render())
            assert expected_note in note
            assert "\x1b" not in source and "\x00" not in source
            if tag == "H09":
                assert "[bold red]x[/] [a[b]]" in source and "␛[31mred" in source
                assert "Subject: H09" in source
            else:
                assert len(source) <= 256 * 1024 and "Subject: H08" in source
            assert_no_escapes(terminal_bytes(app))
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, RawSourceScreen))
        assert not unexpected(app)


async def test_a_search_error_quoting_markup_is_shown_literally(dovecot, hostile_user):
    """The error names what was typed; as a border title it was parsed as markup and crashed."""
    app = make_app(config_of(dovecot, hostile_user))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await opened(pilot)
        for query, words in (("since:[/]", "'[/]' is not a date"),
                             ("larger:[red]x[/red]", "'[red]x[/red]' is not a size")):
            await pilot.press("slash", *query, "enter")
            await settle(pilot)
            box = screen.query_one("#filter")
            assert box.has_class("-invalid") and app.is_running
            assert words in box._border_subtitle.plain
            assert any(words in n.message for n in app._notifications)
            await pilot.press("escape")
            await settle(pilot)
        assert not unexpected(app)
