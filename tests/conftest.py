"""Fixtures: a real Dovecot per test session, a fresh user per test, real faults by proxy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import imapclient
import keyring
import pytest

from sage_tui.imap import close_all
from sage_tui.logs import forget_secrets, shutdown_logging
from tests.support.dovecot import DOVECOT, DovecotServer, DovecotUser
from tests.support.memory_keyring import MemoryKeyring
from tests.support.proxy import FaultProxy
from tests.support.seed import generated_messages, seed_folder


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (shutil.which("dovecot") or os.path.exists(DOVECOT)):
        raise pytest.UsageError(
            "Dovecot is not installed: apt-get install -y dovecot-imapd "
            "(the engine tests run against a real server)"
        )


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        yield server


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> DovecotUser:
    """A new user with empty mailboxes: tests never share server state."""
    return dovecot.add_user()


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory, monkeypatch) -> None:
    """Saved searches and other files go to a fresh directory, never the developer's."""
    monkeypatch.setenv("SAGE_TUI_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch) -> None:
    """The header cache starts empty in a fresh directory, never the developer's."""
    monkeypatch.setenv("SAGE_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _private_log_dir(tmp_path_factory, monkeypatch) -> Iterator[None]:
    """Log files go to a fresh directory, never the developer's; the handler goes afterwards."""
    monkeypatch.setenv("SAGE_TUI_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
    yield
    shutdown_logging()
    forget_secrets()


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch) -> Iterator[MemoryKeyring]:
    """Passwords go to an in-memory keyring, never the developer's (subprocesses get none)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _close_pools() -> Iterator[None]:
    """Pools are process-wide; each test starts and ends without pooled connections."""
    yield
    close_all()


@pytest.fixture
def raw_imap(dovecot: DovecotServer) -> Iterator[Callable[[DovecotUser], imapclient.IMAPClient]]:
    """Plain imapclient connections for hand-written raw IMAP next to the engine."""
    opened: list[imapclient.IMAPClient] = []

    def connect(user: DovecotUser) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
        client.login(user.name, user.password)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        try:
            client.logout()
        except Exception:
            client.shutdown()


@pytest.fixture(scope="session")
def big_mailbox(dovecot: DovecotServer) -> DovecotUser:
    """A user whose INBOX holds 20,000 generated messages (seeded once per session)."""
    user = dovecot.add_user()
    seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                generated_messages(20_000, seed=20_000), batch=1000)
    return user


@pytest.fixture
def fault_proxy(dovecot: DovecotServer) -> Iterator[Callable[..., FaultProxy]]:
    """Factory: ``fault_proxy(port=None)`` -> a started proxy in front of Dovecot."""
    proxies: list[FaultProxy] = []

    def make(port: int | None = None) -> FaultProxy:
        proxy = FaultProxy(dovecot.host, port or dovecot.port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def private_dovecot() -> Iterator[DovecotServer]:
    """A separate server for tests that stop or restart it."""
    with DovecotServer() as server:
        yield server


@pytest.fixture
def demo():
    """The embedded demo server (pymap) with the generated mailbox, for snapshot tests."""
    from sage_tui.demo import DemoServer

    server = DemoServer().start()
    yield server
    server.stop()


@pytest.fixture
def plain_environment(monkeypatch):
    """Snapshots draw in colour whatever the developer's NO_COLOR says."""
    monkeypatch.delenv("NO_COLOR", raising=False)
