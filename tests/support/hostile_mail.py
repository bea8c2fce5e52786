"""Hand-made hostile messages: what spam, broken mailers and attackers actually send.

Each entry is ``(name, raw bytes)``. Subjects start with a short plain tag (``H01 ...``) so
tests can find each message in the list whatever else its subject contains.
"""

from __future__ import annotations

import base64

MARKUP = "[bold red]x[/] [a[b]] \\[/x] [/] [link=http://evil.example]y[/link] [@click=app.quit]z"
ANSI = "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x9b2J \x9d0;t\x07"
CONTROLS = "nul\x00 bel\x07 bs\x08 del\x7f c1\x85\x9d"
BIDI = "invoice\u202efdp.exe zero\u200bwidth\ufeff iso\u2066late\u2069"

CRLF = "\r\n"


def _msg(subject: str, body: str, *, headers: str = "", content: str = "",
         sender: str = "Sender <s@example.org>") -> bytes:
    head = (f"From: {sender}{CRLF}To: me@example.com{CRLF}"
            f"Subject: {subject}{CRLF}Date: Sat, 01 Jun 2024 12:00:00 +0000{CRLF}"
            f"Message-ID: <{abs(hash(subject))}@hostile.test>{CRLF}MIME-Version: 1.0{CRLF}")
    head += headers
    head += content or f"Content-Type: text/plain; charset=utf-8{CRLF}"
    return (head + CRLF + body).encode("utf-8", "surrogateescape")


def _raw(text: str) -> bytes:
    return text.replace("\n", CRLF).encode("utf-8")


def _nested(depth: int) -> bytes:
    head = ("From: a@example.org\nTo: me@example.com\nSubject: H07 nested fifty deep\n"
            "Date: Sat, 01 Jun 2024 12:00:00 +0000\nMIME-Version: 1.0\n")
    parts = []
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n')
    middle = "Content-Type: text/plain\n\nthe bottom of the nest\n"
    tail = "".join(f"--b{level}--\n" for level in reversed(range(depth)))
    return _raw(head + "".join(parts) + middle + tail)


def _big_attachment(size: int) -> bytes:
    payload = base64.encodebytes(bytes(range(256)) * (size // 256)).decode("ascii")
    return _raw(
        "From: a@example.org\nTo: me@example.com\nSubject: H08 twenty-five megabytes\n"
        "Date: Sat, 01 Jun 2024 12:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="big"\n\n--big\n'
        "Content-Type: text/plain\n\nA large file is attached.\n--big\n"
        "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
        'Content-Disposition: attachment; filename="big.bin"\n\n'
        + payload + "--big--\n"
    )


def _hostile_attachments() -> bytes:
    names = [
        "../../../../etc/passwd", "C:\\Windows\\System32\\evil.exe", "CON.txt", "nul",
        f"{MARKUP}.pdf", "\x1b]0;owned\x07report.pdf", "invoice\u202efdp.exe", "..", "",
        "/absolute/path.txt",
    ]
    parts = []
    for index, name in enumerate(names):
        parts.append(
            "--att\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
            f'Content-Disposition: attachment; filename="{name}"\n\n'
            + base64.b64encode(f"attachment {index}\n".encode()).decode() + "\n"
        )
    return _raw(
        "From: a@example.org\nTo: me@example.com\nSubject: H12 attachment names\n"
        "Date: Sat, 01 Jun 2024 12:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="att"\n\n--att\n'
        "Content-Type: text/plain\n\nTen attachments with dangerous names.\n"
        + "".join(parts) + "--att--\n"
    )


def hostile_messages(*, big: bool = True) -> list[tuple[str, bytes]]:
    """The corpus; ``big=False`` leaves out the 25 MB message (for quick unit tests)."""
    messages = [
        ("broken base64", _msg(
            "H01 broken base64", "SGVsbG8gd29ybGQ*&^%$\nnot=base64==at=all\n",
            content=f"Content-Type: text/plain; charset=utf-8{CRLF}"
                    f"Content-Transfer-Encoding: base64{CRLF}")),
        ("broken quoted-printable", _msg(
            "H02 broken quoted-printable", "caf=E9 =ZZ =\n soft=\r\nend=3",
            content=f"Content-Type: text/plain; charset=utf-8{CRLF}"
                    f"Content-Transfer-Encoding: quoted-printable{CRLF}")),
        ("unknown charset", _msg(
            "H03 unknown charset", "plain words",
            content=f"Content-Type: text/plain; charset=x-no-such-charset-42{CRLF}")),
        ("lying charset", b"From: a@example.org\r\nSubject: H04 lying charset \xe9\xff\r\n"
                          b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                          b"caf\xe9 na\xefve \xff\xfe end\r\n"),
        ("rfc2047 garbage", _msg(
            "H05 =?utf-8?B?####?= =?x-bogus?Q?abc?= =?utf-8?Q?unterminated =?=?utf-8?q?a?=?= "
            "=?utf-8?b?" + base64.b64encode(b"\xff\xfe\x00bad").decode() + "?=",
            "body", headers="From: =?utf-8?Q?=1B[31m=00?= <evil@example.org>\r\n")),
        ("ten thousand header lines", _msg(
            "H06 ten thousand header lines", "body",
            headers="".join(f"X-Junk-{i}: {'v' * 20}{CRLF}" for i in range(10_000)))),
        ("fifty-level nesting", _nested(50)),
        ("markup and ansi everywhere", _msg(
            f"H09 {MARKUP} {ANSI}", f"{MARKUP}\n{ANSI}\n{CONTROLS}\n",
            sender=f'"{MARKUP} {ANSI}" <evil@example.org>',
            headers=f'Cc: "{MARKUP}" <cc@example.org>{CRLF}X-Note: {ANSI}{CRLF}')),
        ("controls and folding", _msg(
            f"H10 folded{CRLF}\tsubject {CONTROLS}", f"body {CONTROLS}")),
        ("bidi and zero-width", _msg(f"H11 {BIDI}", f"{BIDI}\n")),
        ("attachment names", _hostile_attachments()),
        ("no boundary end", _raw(
            "From: a@example.org\nSubject: H13 unterminated multipart\n"
            'Content-Type: multipart/mixed; boundary="never"\n\n--never\n'
            "Content-Type: text/plain\n\nthe boundary is never closed\n")),
        ("nul bytes", b"From: a@example.org\r\nSubject: H14 nul\x00bytes\r\n"
                      b"Content-Type: text/plain\r\n\r\nbefore\x00after\r\n"),
        ("no headers at all", b"H15 just a body line, no header block\r\n"),
        ("html with markup", _msg(
            "H16 html only", f"<p>{MARKUP}</p><script>alert(1)</script><p>{ANSI}</p>",
            content=f"Content-Type: text/html; charset=utf-8{CRLF}")),
    ]
    if big:
        messages.append(("25 MB attachment", _big_attachment(25 * 1024 * 1024)))
    return messages
