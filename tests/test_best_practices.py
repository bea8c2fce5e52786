"""The seed library's practice guide runs on our engine with only its import lines changed.

Every ``.. code-block:: python`` of ``tests/data/best-practices.rst`` (a copy of
``shared/reference/best-practices.rst``) is executed in order in one namespace, as a reader
following the guide would, against the test Dovecot:

- ``from sage_imap.<module> import X`` becomes ``from sage_tui.imap import X``; nothing else in
  the code is touched.
- The guide's host, user and password (``imap.example.com``, ``user@example.com``,
  ``password``) are made real: a Dovecot user ``user`` with password ``password`` (Dovecot drops
  the domain), ``imap.example.com:993`` is routed to the Dovecot TLS port, and the test CA is
  trusted through ``SSL_CERT_FILE``, so the guide's defaults (implicit TLS on 993, certificate
  verification on) are exercised, not bypassed.
- Names the guide leaves to the reader (``logger``, ``mailbox``, ``message_set``,
  ``process_single_message``, ``load_config``, ``your_config_manager``...) are supplied.

One block is not run: "Mock External Dependencies", whose advice (mock the server) this project
does not follow. Its neighbour "Integration Testing" runs against the real server instead.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest

import sage_tui.imap as engine
from tests.support.seed import make_message, seed_folder

GUIDE = Path(__file__).parent / "data" / "best-practices.rst"
NOT_RUN = {"Mock External Dependencies": "mocks the server; we test against a real one"}


def guide_blocks() -> list[tuple[str, str]]:
    """(section title, code) for every python block, in order."""
    text = GUIDE.read_text()
    blocks = []
    title = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and re.fullmatch(r"[~\-=]{3,}", lines[i + 1]) and line.strip():
            title = line.strip()
        if line.strip() == ".. code-block:: python":
            body = []
            for follow in lines[i + 2:]:
                if follow.strip() and not follow.startswith("   "):
                    break
                body.append(follow)
            blocks.append((title, textwrap.dedent("\n".join(body))))
    return blocks


def port_imports(code: str) -> str:
    """The only change to the guide's code: its package name."""
    return re.sub(r"^(\s*)from sage_imap(\.[\w.]+)? import ", r"\1from sage_tui.imap import ",
                  code, flags=re.MULTILINE)


def test_every_block_is_either_run_or_named_as_not_run():
    titles = [title for title, _ in guide_blocks()]
    assert len(titles) == 20
    assert set(NOT_RUN) <= set(titles)


@pytest.fixture
def guide_world(dovecot, monkeypatch, tmp_path):
    """Make the guide's example account real, and route its host to the test server."""
    user = dovecot.add_user("user", "password")
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                [make_message(i, sender="Important <important@example.com>" if i % 3 == 0
                              else None) for i in range(250)])
    real_create_connection = socket.create_connection

    def routed(address, *args, **kwargs):
        host, port = address[0], address[1]
        if host == "imap.example.com":
            address = (dovecot.host, dovecot.tls_port if port == 993 else dovecot.port)
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", routed)
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))
    for prefix in ("IMAP", "TEST_IMAP"):
        monkeypatch.setenv(f"{prefix}_HOST", "imap.example.com")
        monkeypatch.setenv(f"{prefix}_USERNAME", "user@example.com")
        monkeypatch.setenv(f"{prefix}_PASSWORD", "password")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "production.yaml").write_text(
        "imap:\n  host: imap.example.com\n  username: user@example.com\n"
        "  password: password\n  timeout: 10.0\n"
    )
    monkeypatch.chdir(tmp_path)
    yield user
    engine.close_all()


def test_the_guide_runs_on_our_engine(guide_world, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    processed = []
    config = engine.ConnectionConfig(host="imap.example.com", username="user@example.com",
                                     password="password")
    your_config_manager = types.ModuleType("your_config_manager")
    your_config_manager.get_secure_config = lambda name: config  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "your_config_manager", your_config_manager)

    with engine.IMAPClient(config=config) as client:
        reader_mailbox = engine.IMAPMailboxService(client)
        reader_mailbox.select("INBOX")
        uids = reader_mailbox.search()
    # The guide's code runs as a module of its own (its dataclasses look themselves up there).
    module = types.ModuleType("guide")
    monkeypatch.setitem(sys.modules, "guide", module)
    namespace: dict[str, object] = module.__dict__
    namespace.update({name: getattr(engine, name) for name in engine.__all__})
    namespace.update(
        logger=logging.getLogger("guide"),
        process_single_message=processed.append,
        message_set=engine.MessageSet(uids[:20]),
        needs_full_content=True,
        load_config=lambda name: config,
        process_emails=lambda: processed.append("circuit-breaker call"),
    )

    inbox = _mailbox_on(config, "INBOX")
    for title, code in guide_blocks():
        if title in NOT_RUN:
            continue
        if title == "Use Efficient Search Criteria":
            # The block's "bad" half filters search results by ``.sender``; search returns
            # UIDs (as the guide itself shows under "Implement Comprehensive Logging"), so that
            # line can only hold for an empty folder: run it on one.
            namespace["mailbox"] = _mailbox_on(config, "Drafts")
        else:
            namespace["mailbox"] = inbox
        if title == "Graceful Shutdown":
            _run_with_sigterm(port_imports(code), namespace)
        else:
            exec(compile(port_imports(code), f"guide: {title}", "exec"), namespace)
        _follow_up(title, namespace, processed)

    assert isinstance(namespace["messages"], list)
    assert "Performance metrics" in caplog.text
    metrics = namespace["metrics"]
    for field in ("connection_attempts", "successful_connections", "failed_connections",
                  "average_response_time", "total_operations", "failed_operations"):
        assert isinstance(getattr(metrics, field), int | float)
    assert "circuit-breaker call" in processed


def _mailbox_on(config: engine.ConnectionConfig, folder: str) -> engine.IMAPMailboxService:
    mailbox = engine.IMAPMailboxService(engine.IMAPClient(config=config))
    mailbox.select(folder)
    return mailbox


def _follow_up(title: str, ns: dict, processed: list) -> None:
    """Call what a block only defines, the way the guide's prose says to use it."""
    if title == "Implement Retry Logic":
        assert isinstance(ns["messages"], list) and all(isinstance(u, int) for u in ns["messages"])
    elif title == "Batch Operations":
        mailbox = ns["mailbox"]
        uids = mailbox.search()
        before = len(processed)
        ns["process_messages_in_batches"](mailbox, uids, batch_size=100)
        assert len(processed) - before == len(uids) == 250
    elif title == "Fetch Only Required Fields":
        assert len(ns["messages"]) == 20 and ns["messages"][0].subject
        assert all(m.raw for m in ns["full_messages"])
    elif title == "Implement Comprehensive Logging":
        class Processor(ns["IMAPProcessor"]):  # the guide leaves this method to the reader
            def process_single_message(self, message: object) -> None:
                processed.append(message)

        before = len(processed)
        Processor(ns["config"]).process_messages()
        assert len(processed) - before == 250  # every unseen message, fetched one by one
        assert all(m.sender for m in processed[before:])
    elif title == "Implement Circuit Breaker Pattern":
        ns["process_emails_with_circuit_breaker"]()
        assert ns["circuit_breaker"].state.value == "closed"
    elif title == "Use Dependency Injection":
        assert ns["processor"] is not None
    elif title == "Integration Testing":
        ns["test_real_imap_connection"]()
    elif title == "Configuration Management":
        assert ns["imap_config"].host == "imap.example.com"
    elif title == "Health Checks":
        with ns["app"].app_context():
            response = ns["imap_health_check"]()
        assert response.get_json()["status"] == "healthy"
        assert "IMAP4REV1" in response.get_json()["capabilities"]


def _run_with_sigterm(code: str, namespace: dict) -> None:
    """The guide's service loops until SIGTERM; send it one, and restore the handlers after."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        exec(compile(code, "guide: Graceful Shutdown", "exec"), namespace)
    finally:
        timer.cancel()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert namespace["service"].running is False
