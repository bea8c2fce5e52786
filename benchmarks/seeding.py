"""Seed a throwaway Dovecot's folder fast: write the maildir files directly.

MULTIAPPEND stores about 3,000 messages a second here (33 s for 100,000); writing the files
into ``Maildir/cur`` takes a few seconds, and Dovecot indexes them at the first SELECT. The
messages are the test suite's ``generated_messages`` (varied senders, RFC 2047 subjects,
threads, HTML and attachments), with LF line ends as Dovecot itself stores them.

UIDs follow the file names: Dovecot sorts new maildir files by the timestamp that starts the
name, so message ``i`` gets UID ``i + 1`` in an empty folder. Each file's mtime is its
INTERNALDATE; a third of the messages are stored as ``\\Seen``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tests.support.dovecot import DovecotServer, DovecotUser

_FIRST_STAMP = 1_600_000_000
"""Name timestamps (and mtimes) start here and grow by one second per message."""


def maildir_of(server: DovecotServer, user: DovecotUser, folder: str = "INBOX") -> Path:
    """The directory Dovecot keeps ``folder`` of ``user`` in (``maildir:~/Maildir``)."""
    root = server.root / "home" / user.name / "Maildir"
    return root if folder.upper() == "INBOX" else root / f".{folder.replace('/', '.')}"


def seed_maildir(
    server: DovecotServer, user: DovecotUser, messages: Sequence[bytes], folder: str = "INBOX"
) -> None:
    """Write ``messages`` as the content of ``folder`` (which must not have been opened yet).

    Args:
        server: The running Dovecot; its mail uid owns the files.
        user: A user whose ``folder`` is still empty and unopened.
        messages: Raw messages (CRLF or LF); the first becomes UID 1.
    """
    home = server.root / "home" / user.name
    maildir = maildir_of(server, user, folder)
    uid, gid = home.stat().st_uid, home.stat().st_gid
    for path in (home / "Maildir", maildir):
        path.mkdir(exist_ok=True)
        os.chown(path, uid, gid)
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(exist_ok=True)
            os.chown(path / sub, uid, gid)
    cur = maildir / "cur"
    chown = os.geteuid() == 0 and (uid, gid) != (0, 0)
    for i, message in enumerate(messages):
        stamp = _FIRST_STAMP + i
        flags = "S" if i % 3 else ""
        body = message.replace(b"\r\n", b"\n")
        # S= and W= (size on disk, size with CRLF) as Dovecot writes them: without them every
        # RFC822.SIZE would make Dovecot read the whole file again.
        size, vsize = len(body), len(body) + body.count(b"\n")
        path = cur / f"{stamp}.M{i}P1.sagebench,S={size},W={vsize}:2,{flags}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, body)
        finally:
            os.close(fd)
        os.utime(path, (stamp, stamp))
        if chown:
            os.chown(path, uid, gid)
