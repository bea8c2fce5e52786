"""The demo account: the deterministic mailbox generator and the embedded pymap server.

The server tests drive it with the real engine (imapclient over a socket), so they show that the
demo mode exercises the same code path as a real account. Read-only tests share one server per
module; tests that move or delete mail get a server of their own.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from sage_tui.demo import DEMO_FOLDERS, DemoMessage, DemoServer, generate_mailbox
from sage_tui.demo.mailbox import DEFAULT_NOW, FOLDER_SIZES
from sage_tui.imap import (
    ConnectionConfig,
    FolderChange,
    FolderWatcher,
    IMAPClient,
    IMAPError,
    IMAPMailboxService,
    IMAPSearchCriteria,
    MessageSet,
)

SMALL_INBOX = 200


def _parse(message: DemoMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _config(server: DemoServer) -> ConnectionConfig:
    return ConnectionConfig(
        host=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_ssl=False,
        starttls=False,
        timeout=10,
        max_retries=0,
    )


@pytest.fixture(scope="module")
def default_mailbox() -> dict[str, list[DemoMessage]]:
    return generate_mailbox()


@pytest.fixture(scope="module")
def parsed_small(
    small_mailbox: dict[str, list[DemoMessage]],
) -> dict[str, list[EmailMessage]]:
    """Parsed once with ``policy.default`` (~1.3 ms a message, so the small account: ~900)."""
    return {folder: [_parse(m) for m in messages] for folder, messages in small_mailbox.items()}


@pytest.fixture(scope="module")
def small_mailbox() -> dict[str, list[DemoMessage]]:
    return generate_mailbox(inbox_size=SMALL_INBOX)


@pytest.fixture(scope="module")
def server(small_mailbox: dict[str, list[DemoMessage]]) -> Iterator[DemoServer]:
    """Read-only tests only: nothing here may change the mailbox."""
    with DemoServer(small_mailbox) as running:
        yield running


@pytest.fixture
def service(server: DemoServer) -> Iterator[IMAPMailboxService]:
    with IMAPClient(_config(server)) as client:
        yield IMAPMailboxService(client)


# -- the generator ------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(default_mailbox: dict[str, list[DemoMessage]]) -> None:
    again = generate_mailbox()
    assert list(again) == list(default_mailbox)
    for folder, messages in default_mailbox.items():
        assert again[folder] == messages, folder  # raw bytes, flags and dates


def test_different_seed_gives_different_mail(
    small_mailbox: dict[str, list[DemoMessage]],
) -> None:
    other = generate_mailbox(seed=8, inbox_size=SMALL_INBOX)
    assert [m.raw for m in other["INBOX"]] != [m.raw for m in small_mailbox["INBOX"]]
    assert generate_mailbox(seed=8, inbox_size=SMALL_INBOX) == other


def test_folders_and_sizes(default_mailbox: dict[str, list[DemoMessage]]) -> None:
    assert tuple(default_mailbox) == DEMO_FOLDERS
    assert len(default_mailbox["INBOX"]) == 2000
    for folder, size in FOLDER_SIZES.items():
        assert len(default_mailbox[folder]) == size, folder
    assert 250 <= len(default_mailbox["Archive"]) <= 350
    assert 100 <= len(default_mailbox["Sent"]) <= 200
    for nested in ("Lists/rust", "Lists/python", "Projects/website"):
        assert 10 <= len(default_mailbox[nested]) < 100
    assert len(generate_mailbox(inbox_size=37)["INBOX"]) == 37
    assert generate_mailbox(inbox_size=0)["INBOX"] == []


def test_dates_ascending_aware_and_within_two_years(
    default_mailbox: dict[str, list[DemoMessage]],
) -> None:
    earliest = DEFAULT_NOW - datetime.timedelta(days=731)
    for folder, messages in default_mailbox.items():
        dates = [m.internaldate for m in messages]
        assert dates == sorted(dates), folder
        for when in dates:
            assert when.tzinfo is not None and when.utcoffset() is not None
            assert earliest <= when <= DEFAULT_NOW
    newest = default_mailbox["INBOX"][-1].internaldate
    assert DEFAULT_NOW - newest < datetime.timedelta(days=1)


def test_now_moves_every_date() -> None:
    later = DEFAULT_NOW + datetime.timedelta(days=100)
    shifted = generate_mailbox(inbox_size=30, now=later)
    base = generate_mailbox(inbox_size=30)
    assert [m.internaldate + datetime.timedelta(days=100) for m in base["INBOX"]] == [
        m.internaldate for m in shifted["INBOX"]
    ]
    with pytest.raises(ValueError):
        generate_mailbox(now=datetime.datetime(2026, 1, 1))  # naive: ambiguous


def test_every_message_is_clean_rfc5322(default_mailbox: dict[str, list[DemoMessage]]) -> None:
    """All 2,700 default messages: ASCII, CRLF only, no MIME defects, unique Message-IDs.

    ``compat32`` parsing finds the structural defects (boundaries, transfer encodings) at a
    third of the cost of ``policy.default``; headers are checked with ``policy.default`` below.
    """
    ids: set[str] = set()
    total = 0
    for folder, messages in default_mailbox.items():
        for message in messages:
            total += 1
            raw = message.raw
            assert raw.isascii(), folder
            assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
            assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
            assert b"\x1b" not in raw and b"\x07" not in raw
            parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
            for part in parsed.walk():
                assert not part.defects, (folder, part.defects)
                if not part.is_multipart():
                    part.get_payload(decode=True)
            for name in ("Message-ID", "Date", "From", "To", "Subject"):
                assert parsed[name], (folder, name)
            ids.add(parsed["Message-ID"])
    assert len(ids) == total, "Message-IDs must be unique"


def test_headers_parse_without_defects(parsed_small: dict[str, list[EmailMessage]]) -> None:
    for folder, messages in parsed_small.items():
        for parsed in messages:
            for part in parsed.walk():
                assert not part.defects, (folder, part.defects)
                if not part.is_multipart():
                    assert part.get_content() is not None
            for name in ("Message-ID", "Date", "From", "To", "Subject"):
                header = parsed[name]
                assert header is not None, (folder, name)
                if "\x1b" in header:  # the hostile specimen decodes to control characters
                    continue
                assert not header.defects, (folder, name, header.defects)
            assert parsed["Date"].datetime.tzinfo is not None


def _all(parsed: dict[str, list[EmailMessage]]) -> list[EmailMessage]:
    return [message for messages in parsed.values() for message in messages]


def test_variety_of_structures(parsed_small: dict[str, list[EmailMessage]]) -> None:
    kinds: dict[str, int] = {}
    attachment_types: set[str] = set()
    html_only_rich = 0
    for parsed in _all(parsed_small):
        kind = parsed.get_content_type()
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "text/html":
            markup = parsed.get_content()
            if all(tag in markup for tag in ("<p>", "<a href=", "<table", "<ul>", "<li>")):
                html_only_rich += 1
        for attachment in parsed.iter_attachments():
            attachment_types.add(attachment.get_content_type())
            data = attachment.get_content()
            assert 0 < len(data) < 16_000
            if attachment.get_content_type() == "image/png":
                assert data.startswith(b"\x89PNG\r\n\x1a\n")
            elif attachment.get_content_type() == "application/pdf":
                assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    for kind in ("text/plain", "text/html", "multipart/alternative", "multipart/mixed"):
        assert kinds.get(kind, 0) >= 30, (kind, kinds)
    assert html_only_rich >= 10
    assert {"application/pdf", "text/csv", "image/png"} <= attachment_types
    inbox_kinds = {p.get_content_type() for p in parsed_small["INBOX"]}
    assert {"text/plain", "text/html", "multipart/alternative", "multipart/mixed"} <= inbox_kinds


def test_threads_point_at_real_messages(parsed_small: dict[str, list[EmailMessage]]) -> None:
    by_id = {str(p["Message-ID"]): p for p in _all(parsed_small)}
    replies = [p for p in _all(parsed_small) if p["In-Reply-To"] is not None]
    assert len(replies) >= 50
    for reply in replies:
        parent_id = str(reply["In-Reply-To"])
        assert parent_id in by_id, parent_id
        assert str(reply["Subject"]).startswith("Re: ")
        assert str(reply["References"]).split()[-1] == parent_id
        assert reply["Date"].datetime >= by_id[parent_id]["Date"].datetime
    assert any(p["In-Reply-To"] is not None for p in parsed_small["INBOX"])
    assert any(p["In-Reply-To"] is not None for p in parsed_small["Sent"])
    assert any(p["In-Reply-To"] is not None for p in parsed_small["Lists/rust"])


def test_languages_and_encoded_headers(
    small_mailbox: dict[str, list[DemoMessage]],
    parsed_small: dict[str, list[EmailMessage]],
) -> None:
    messages = _all(parsed_small)
    text = " ".join(str(p["Subject"]) + " " + str(p["From"]) for p in messages)
    for sample in ("ü", "é", "ñ", "ç", "Ł"):
        assert sample in text, sample
    scripts = {
        "cyrillic": any("\u0400" <= ch <= "\u04ff" for ch in text),
        "cjk": any("\u4e00" <= ch <= "\u9fff" for ch in text),
        "kana": any("\u3040" <= ch <= "\u30ff" for ch in text),
        "arabic": any("\u0600" <= ch <= "\u06ff" for ch in text),
        "greek": any("\u0370" <= ch <= "\u03ff" for ch in text),
        "hangul": any("\uac00" <= ch <= "\ud7af" for ch in text),
    }
    assert all(scripts.values()), scripts
    heads = [m.raw.split(b"\r\n\r\n", 1)[0] for ms in small_mailbox.values() for m in ms]
    assert sum(b"=?utf-8?" in head for head in heads) > 200  # RFC 2047 on the wire
    assert any(b"filename*=utf-8''" in m.raw for ms in small_mailbox.values() for m in ms)


def test_flags_look_like_a_real_account(default_mailbox: dict[str, list[DemoMessage]]) -> None:
    inbox = default_mailbox["INBOX"]
    unseen = [m for m in inbox if "\\Seen" not in m.flags]
    assert 0.08 <= len(unseen) / len(inbox) <= 0.25
    newest_tenth = inbox[-len(inbox) // 10 :]
    oldest_half = inbox[: len(inbox) // 2]
    assert sum("\\Seen" not in m.flags for m in newest_tenth) > len(newest_tenth) / 2
    assert sum("\\Seen" in m.flags for m in oldest_half) > 0.85 * len(oldest_half)
    assert sum("\\Flagged" in m.flags for m in inbox) >= 20
    assert sum("\\Answered" in m.flags for m in inbox) >= 20
    assert all("\\Seen" in m.flags for m in default_mailbox["Sent"])
    assert all("\\Draft" in m.flags for m in default_mailbox["Drafts"])
    for messages in default_mailbox.values():
        for message in messages:
            assert set(message.flags) <= {"\\Seen", "\\Answered", "\\Flagged", "\\Draft"}


def test_hostile_specimens_among_the_newest(
    default_mailbox: dict[str, list[DemoMessage]],
) -> None:
    newest = [str(_parse(m)["Subject"]) for m in default_mailbox["INBOX"][-60:]]
    assert "[bold]Invoice[/bold] [link=http://evil]pay now[/link]" in newest
    assert "\x1b[31mURGENT\x1b[0m: your mailbox is full\x07" in newest


# -- the server, through the engine -------------------------------------------------------------


def test_capabilities(server: DemoServer, service: IMAPMailboxService) -> None:
    capabilities = set(service.client.capabilities)
    assert {"MOVE", "UIDPLUS", "IDLE"} <= capabilities, capabilities


def test_list_folders_counts_and_roles(
    service: IMAPMailboxService, small_mailbox: dict[str, list[DemoMessage]]
) -> None:
    folders = {folder.name: folder for folder in service.list_folders()}
    assert set(DEMO_FOLDERS) <= set(folders)
    for name in DEMO_FOLDERS:
        expected = small_mailbox[name]
        assert folders[name].messages == len(expected), name
        assert folders[name].unseen == sum("\\Seen" not in m.flags for m in expected), name
    roles = {name: folders[name].role for name in folders}
    assert roles["INBOX"] == "inbox"
    assert roles["Archive"] == "archive"
    assert roles["Sent"] == "sent"
    assert roles["Drafts"] == "drafts"
    assert roles["Trash"] == "trash"
    assert roles["Junk"] == "junk"
    assert folders["Lists/rust"].delimiter == "/"
    assert folders["Lists/rust"].parts == ("Lists", "rust")


def test_fetch_newest_decodes_subjects(
    service: IMAPMailboxService, small_mailbox: dict[str, list[DemoMessage]]
) -> None:
    info = service.select("INBOX")
    assert info.exists == SMALL_INBOX
    newest = service.fetch_newest(60)
    assert len(newest) == 60
    uids = [summary.uid for summary in newest]
    assert uids == sorted(uids, reverse=True)
    expected = [_parse(m) for m in reversed(small_mailbox["INBOX"][-60:])]
    assert [s.subject for s in newest] == [str(p["Subject"]) for p in expected]
    assert [s.message_id for s in newest] == [str(p["Message-ID"]) for p in expected]
    assert [s.flags for s in newest] == [
        frozenset(m.flags) for m in reversed(small_mailbox["INBOX"][-60:])
    ]
    assert [s.internaldate for s in newest] == [
        m.internaldate for m in reversed(small_mailbox["INBOX"][-60:])
    ]
    assert any(not s.subject.isascii() for s in newest)
    assert any(not s.sender.isascii() for s in newest)
    assert "\x1b[31mURGENT\x1b[0m: your mailbox is full\x07" in [s.subject for s in newest]


def test_fetch_whole_folder(
    service: IMAPMailboxService, small_mailbox: dict[str, list[DemoMessage]]
) -> None:
    service.select("INBOX", readonly=True)
    uids = service.search()
    assert len(uids) == SMALL_INBOX
    summaries = service.fetch(uids)
    assert len(summaries) == SMALL_INBOX
    assert [s.flags for s in summaries] == [frozenset(m.flags) for m in small_mailbox["INBOX"]]
    mixed = [
        s.has_attachments
        for s, m in zip(summaries, small_mailbox["INBOX"], strict=True)
        if _parse(m).get_content_type() == "multipart/mixed"
    ]
    assert mixed and all(mixed)


def _index_of(messages: list[DemoMessage], predicate) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, m in enumerate(messages) if predicate(_parse(m)))


def test_fetch_message_html_only_and_attachments(
    service: IMAPMailboxService, small_mailbox: dict[str, list[DemoMessage]]
) -> None:
    service.select("INBOX", readonly=True)
    uids = service.search()
    inbox = small_mailbox["INBOX"]

    html_index = _index_of(inbox, lambda p: p.get_content_type() == "text/html")
    message = service.fetch_message(uids[html_index])
    assert message.text is None
    assert message.html is not None and "<table" in message.html and "<a href=" in message.html
    assert message.html == _parse(inbox[html_index]).get_content()
    assert message.defects == ()

    mixed_index = _index_of(inbox, lambda p: any(True for _ in p.iter_attachments()))
    message = service.fetch_message(uids[mixed_index])
    expected = [a.get_filename() for a in _parse(inbox[mixed_index]).iter_attachments()]
    assert [a.filename for a in message.attachments] == expected
    assert all(a.size > 0 for a in message.attachments)
    assert message.text or message.html

    # Reading never marks as read (BODY.PEEK), and the server keeps the bytes exactly.
    assert message.raw == inbox[mixed_index].raw
    assert service.fetch(MessageSet([uids[mixed_index]]))[0].flags == frozenset(
        inbox[mixed_index].flags
    )


def test_moving_and_deleting(small_mailbox: dict[str, list[DemoMessage]]) -> None:
    mailbox = generate_mailbox(inbox_size=30)
    with DemoServer(mailbox) as own, IMAPClient(_config(own)) as client:
        service = IMAPMailboxService(client)
        service.select("INBOX")
        newest = service.fetch_newest(5)
        target = newest[0]

        service.mark_seen(MessageSet([target.uid]))
        service.flag(MessageSet([target.uid]))
        assert service.fetch(MessageSet([target.uid]))[0].flags >= {"\\Seen", "\\Flagged"}

        result = service.archive(MessageSet([target.uid]))
        assert result.destination == "Archive"
        assert set(result.uid_map) == {target.uid}  # UIDPLUS COPYUID
        assert service.fetch(MessageSet([target.uid])) == []
        assert target.uid not in service.search()

        counts = {f.name: f.messages for f in service.list_folders()}
        assert counts["INBOX"] == 29
        assert counts["Archive"] == FOLDER_SIZES["Archive"] + 1
        service.select("Archive")
        arrived = service.fetch_newest(FOLDER_SIZES["Archive"] + 1)
        assert target.message_id in [s.message_id for s in arrived]

        service.select("INBOX")
        moved = service.move(MessageSet([newest[1].uid]), "Lists/rust")
        assert len(moved.uid_map) == 1
        trashed = service.delete(MessageSet([newest[2].uid]))
        assert trashed is not None and trashed.destination == "Trash"
        service.select("Trash")
        new_uid = trashed.uid_map[newest[2].uid]
        assert service.delete(MessageSet([new_uid])) is None  # in Trash: gone for good
        assert new_uid not in service.search()

        appended = service.append("Drafts", b"From: a@b.example\r\nSubject: hi\r\n\r\nx\r\n",
                                  ["\\Draft"])
        assert appended is not None


def test_search_including_non_ascii(
    service: IMAPMailboxService, small_mailbox: dict[str, list[DemoMessage]]
) -> None:
    service.select("INBOX", readonly=True)
    parsed = [_parse(m) for m in small_mailbox["INBOX"]]
    uids = service.search()
    unseen = service.search(IMAPSearchCriteria().unseen())
    assert unseen == [
        uid for uid, m in zip(uids, small_mailbox["INBOX"], strict=True) if "\\Seen" not in m.flags
    ]
    for word in ("für", "Отчёт", "会議"):
        expected = [
            uid
            for uid, p in zip(uids, parsed, strict=True)
            if word.lower() in str(p["Subject"]).lower()
        ]
        assert service.search(IMAPSearchCriteria().subject(word)) == expected, word


def test_idle_reports_new_mail() -> None:
    with DemoServer(generate_mailbox(inbox_size=5)) as own:
        config = _config(own)
        changes: list[FolderChange] = []
        errors: list[IMAPError] = []
        stop = threading.Event()
        watcher = FolderWatcher(config, "INBOX", check_interval=0.1)
        thread = threading.Thread(
            target=watcher.run, args=(changes.append, stop, errors.append), daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while watcher.mode != "idle" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert watcher.mode == "idle"
            time.sleep(0.2)  # IDLE is sent right after mode is set
            with IMAPClient(config) as client:
                IMAPMailboxService(client).append(
                    "INBOX", b"From: a@b.example\r\nSubject: new\r\n\r\nhello\r\n"
                )
            while not changes and time.monotonic() < deadline:
                time.sleep(0.02)
            # Whole response lines matter here: imapclient's idle_check drops the connection on
            # a response split across TCP segments ("unterminated line"), see _WholeResponses.
            assert errors == []
            assert changes and changes[0].reason == "idle"
        finally:
            stop.set()
            thread.join(5)
        assert not thread.is_alive()


def _refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_stop_frees_the_port_and_the_thread() -> None:
    before = set(threading.enumerate())
    server = DemoServer(generate_mailbox(inbox_size=10)).start()
    assert server.port != 0 and server.running
    thread = server._thread
    assert thread is not None and thread.daemon and thread not in before
    with IMAPClient(_config(server)) as client:
        service = IMAPMailboxService(client)
        assert service.select("INBOX").exists == 10
        server.stop()  # with a logged-in session still open
    assert not server.running
    assert _refused(server.host, server.port)
    assert not thread.is_alive()
    assert set(threading.enumerate()) <= before
    server.stop()  # idempotent


def test_start_failure_is_reported_and_cleaned_up(server: DemoServer) -> None:
    clash = DemoServer(generate_mailbox(inbox_size=5), port=server.port)
    with pytest.raises(RuntimeError, match="failed to start") as caught:
        clash.start()
    assert isinstance(caught.value.__cause__, OSError)
    assert not clash.running
    assert not [t for t in threading.enumerate() if t.name == "sage-tui-demo-imap"
                and t is not server._thread]
    with pytest.raises(RuntimeError, match="already started"):
        server.start()


def test_custom_mailbox_keeps_the_folder_tree() -> None:
    only = generate_mailbox(inbox_size=3)["INBOX"]
    with DemoServer({"INBOX": only, "Custom/Deep": only[:1]}) as own, \
            IMAPClient(_config(own)) as client:
        folders = {f.name: f for f in IMAPMailboxService(client).list_folders()}
    assert set(DEMO_FOLDERS) | {"Custom/Deep"} <= set(folders)
    assert folders["INBOX"].messages == 3
    assert folders["Custom/Deep"].messages == 1
    assert folders["Archive"].messages == 0


def test_default_server_serves_the_whole_mailbox() -> None:
    with DemoServer() as own, IMAPClient(_config(own)) as client:
        folders = {f.name: f.messages for f in IMAPMailboxService(client).list_folders()}
    assert folders["INBOX"] == 2000
