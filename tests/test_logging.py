"""The log file: one structured line per engine operation and event, in a private rotating file,
and never a password or a message body, even after a failed login and real faults."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sage_tui import logs
from sage_tui.imap import IMAPClient, IMAPError, IMAPMailboxService
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder

PASSWORD = "Lg-Pass-9d41-zq"
WRONG_PASSWORD = "Wrong-Pass-5c2e-xy"
BODY_MARKER = "BODY-MARKER-7f3a2c"
LINE = re.compile(r'^time=\S+Z level=[A-Z]+ logger=\S+ msg=(?:"(?:[^"\\]|\\.)*"|\S+)( \w+=\S+)*')


def log_text(directory: Path) -> str:
    return "".join(path.read_text() for path in sorted(directory.glob("sage-tui.log*")))


def fields(line: str) -> dict[str, str]:
    """The key=value pairs of one line (quoted values unquoted, escapes left as they are)."""
    return {key: value.strip('"') for key, value in
            re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)}


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "logs"
    monkeypatch.setenv("SAGE_TUI_LOG_DIR", str(directory))
    assert logs.setup_logging() == directory / "sage-tui.log"
    return directory


def test_a_session_logs_operations_but_never_the_password_or_a_body(dovecot, log_dir):
    user = dovecot.add_user("logging-user", PASSWORD)
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i, body=f"{BODY_MARKER} line {i}\n") for i in range(3)])
    logs.register_secret(PASSWORD)  # what the command line does with the account's password

    with pytest.raises(IMAPError):
        IMAPClient(plain_config(dovecot.host, dovecot.port, user, password=WRONG_PASSWORD,
                                max_retries=0)).connect()
    mailbox = IMAPMailboxService(IMAPClient(plain_config(dovecot.host, dovecot.port, user)))
    mailbox.list_folders()
    mailbox.select("INBOX")
    newest = mailbox.fetch_newest(10)
    message = mailbox.fetch_message(newest[0].uid)
    assert BODY_MARKER in (message.text or "")  # the body went through the engine
    mailbox.flag([newest[0].uid])
    mailbox.client.pool.close()

    text = log_text(log_dir)
    lines = text.splitlines()
    assert lines and all(LINE.match(line) for line in lines), text
    operations = [fields(line) for line in lines if " op=" in line]
    fetched = next(f for f in operations if f["op"] == "fetch_newest")
    assert fetched["folder"] == "INBOX" and fetched["outcome"] == "ok"
    assert float(fetched["duration_ms"]) >= 0 and fetched["attempts"] == "1"
    assert any(f["op"] == "fetch_message" and f["folder"] == "INBOX" for f in operations)
    assert any(f["op"] == "list_folders" and f["outcome"] == "ok" for f in operations)
    refused = next(f for f in operations if f["op"] == "connect")
    assert refused["outcome"] == "IMAPAuthenticationError" and refused["level"] == "WARNING"
    assert any(fields(line).get("event") == "connect" for line in lines)
    for secret in (PASSWORD, WRONG_PASSWORD, BODY_MARKER):
        assert secret not in text


def test_retries_reconnects_and_circuit_changes_are_logged(dovecot, imap_user, fault_proxy,
                                                           log_dir):
    proxy = fault_proxy()
    config = plain_config(dovecot.host, proxy.port, imap_user, max_retries=1,
                          circuit_failure_threshold=2, circuit_recovery_timeout=60)
    mailbox = IMAPMailboxService(IMAPClient(config))
    mailbox.list_folders(status=False)
    proxy.refuse(True)
    proxy.reset_all()  # the pooled connection dies; new ones are reset as soon as they connect
    with pytest.raises(IMAPError):
        mailbox.list_folders(status=False)
    events = [fields(line).get("event") for line in log_text(log_dir).splitlines()]
    assert {"connect", "retry", "connect-failed", "state-change"} <= set(events)
    circuit = next(line for line in log_text(log_dir).splitlines() if "event=state-change" in line)
    assert "level=INFO" in circuit and "old=closed" in circuit and "new=open" in circuit


def test_registered_secrets_are_redacted_wherever_they_appear(log_dir):
    logs.register_secret(PASSWORD)
    log = logging.getLogger("sage_tui.test")
    log.warning("login with %s failed", PASSWORD, extra={"detail": f"pw={PASSWORD}"})
    try:
        raise ValueError(f"bad {PASSWORD}")
    except ValueError:
        log.exception("unexpected")
    text = log_text(log_dir)
    assert PASSWORD not in text
    assert "msg=\"login with *** failed\"" in text and "detail=\"pw=***\"" in text
    assert "exc=\"Traceback" in text and "ValueError: bad ***" in text


def test_hostile_text_cannot_forge_a_line(log_dir):
    logging.getLogger("sage_tui.test").info(
        "opening %s", "evil\ntime=0 level=ERROR", extra={"folder": "a\x1b[31m\"b\" c\u202e"})
    lines = log_text(log_dir).splitlines()
    assert len(lines) == 1
    assert 'msg="opening evil\\ntime=0 level=ERROR"' in lines[0]
    assert 'folder="a\\x1b[31m\\"b\\" c\\u202e"' in lines[0]


def test_the_file_is_private_and_rotates(log_dir, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = logs.setup_logging()
    assert path is not None
    log = logging.getLogger("sage_tui.test")
    for number in range(200):
        log.info("line %d", number)
    files = sorted(log_dir.glob("sage-tui.log*"))
    assert [f.name for f in files] == ["sage-tui.log", *(f"sage-tui.log.{n}" for n in (1, 2, 3))]
    assert all(f.stat().st_size <= 2000 for f in files)
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)  # owner only
    assert log_dir.stat().st_mode & 0o077 == 0


def test_an_unwritable_log_directory_costs_one_warning(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SAGE_TUI_LOG_DIR", str(blocker / "logs"))  # under a file: no mkdir
    assert logs.setup_logging() is None
    logging.getLogger("sage_tui.imap.pool").warning("circuit opened")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not writing a log file" in err and "a-file" in err
    assert "circuit opened" not in err  # nothing printed over the app


def test_importing_writes_nothing(tmp_path):
    directory = tmp_path / "never"
    code = "import sage_tui.cli, sage_tui.imap, sage_tui.doctor, sage_tui.logs"
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "SAGE_TUI_LOG_DIR": str(directory)})
    assert not directory.exists()
