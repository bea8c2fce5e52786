"""Deterministic test mail and fast seeding with MULTIAPPEND (20,000 messages in seconds)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import imapclient

BASE_DATE = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

_SENDERS = (
    "Ana Lima <ana@example.org>", "Bob Stone <bob@example.com>",
    "Jürgen Groß <juergen@example.de>", "Zoë Martin <zoe@example.fr>",
    "山田太郎 <taro@example.jp>", "GitHub <noreply@github.example>",
    "Ops Alerts <alerts@ops.example.net>", "newsletter@weekly.example.com",
)
_SUBJECTS = (
    "Weekly digest", "Re: Quarterly report", "Überprüfung der Rechnung", "Build failed on main",
    "Invitation: design review", "Café ce soir ?", "会議の議事録", "Your invoice is ready",
    "Re: Re: lunch?", "[rust] New release",
)


def make_message(
    i: int,
    *,
    subject: str | None = None,
    sender: str | None = None,
    to: str | None = None,
    date: datetime | None = None,
    body: str | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One message; non-ASCII headers are RFC 2047 encoded by the email package."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender or _SENDERS[i % len(_SENDERS)]
    message["To"] = to or "Test User <user@example.com>"
    message["Subject"] = subject if subject is not None else f"Test message {i}"
    message["Date"] = format_datetime(date or BASE_DATE - timedelta(hours=i))
    message["Message-ID"] = f"<msg-{i}@sage-tui.test>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body if body is not None else f"Body of message {i}.\n")
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        filename, data = attachment
        maintype, subtype = (("text", "plain") if filename.endswith(".txt")
                             else ("application", "octet-stream"))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _encoded(value: str) -> str:
    """An RFC 2047 header value (as a mail client would send it), ASCII left alone."""
    if value.isascii():
        return value
    name, separator, address = value.rpartition(" <")
    if separator:
        return f"{Header(name, 'utf-8').encode()} <{address}"
    return Header(value, "utf-8").encode()


_HTML_BODY = (
    'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p>\r\n"
    "--alt--\r\n"
)
_ATTACHMENT_BODY = (
    'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    "--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nReport attached.\r\n"
    "--mix\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="report.pdf"\r\n\r\n'
    "JVBERi0xLjQgZmFrZSByZXBvcnQ=\r\n--mix--\r\n"
)


def generated_messages(n: int, seed: int = 0) -> list[bytes]:
    """``n`` varied, deterministic messages: languages, threads, HTML, attachments, 2 years.

    Built from pre-encoded templates rather than ``EmailMessage`` per message, so that a
    20,000-message folder is generated in well under a second.
    """
    rng = random.Random(seed)
    senders = [_encoded(sender) for sender in _SENDERS]
    subjects = [_encoded(subject) for subject in _SUBJECTS]
    out = []
    for i in range(n):
        kind = rng.random()
        date = format_datetime(BASE_DATE - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)))
        subject = rng.choice(subjects)
        subject = f"{subject} #{i}" if subject.isascii() and "=?" not in subject else subject
        head = (
            f"From: {rng.choice(senders)}\r\nTo: Test User <user@example.com>\r\n"
            f"Subject: {subject}\r\nDate: {date}\r\nMessage-ID: <gen-{seed}-{i}@sage-tui.test>"
            "\r\nMIME-Version: 1.0\r\n"
        )
        if kind > 0.8 and i:
            head += f"In-Reply-To: <gen-{seed}-{i - 1}@sage-tui.test>\r\n"
        if kind < 0.2:
            body = _HTML_BODY
        elif kind < 0.3:
            body = _ATTACHMENT_BODY
        else:
            body = f"Content-Type: text/plain; charset=utf-8\r\n\r\nBody of message {i}.\r\n"
        out.append((head + body).encode("ascii"))
    return out


def _batches(items: Iterable[bytes | dict], size: int) -> Iterator[list[bytes | dict]]:
    batch: list[bytes | dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_folder(
    host: str,
    port: int,
    username: str,
    password: str,
    folder: str,
    messages: Iterable[bytes | dict],
    batch: int = 500,
) -> None:
    """Store ``messages`` in ``folder`` (created when missing) with MULTIAPPEND batches."""
    client = imapclient.IMAPClient(host, port=port, ssl=False, timeout=60)
    try:
        client.login(username, password)
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for chunk in _batches(messages, batch):
            client.multiappend(folder, chunk)
    finally:
        client.logout()
