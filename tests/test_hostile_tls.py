"""TLS against servers that lie: wrong names, self-signed certificates, stripped or refused
STARTTLS, PREAUTH before encryption, bytes injected before the handshake.

A password leaves the machine in plain text only when the account says ``tls = "none"``: every
test here that expects encryption asserts that the (fake) server never received LOGIN unencrypted.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from sage_tui.account import Account
from sage_tui.imap import ConnectionConfig, IMAPClient, IMAPMailboxService, IMAPTLSError
from sage_tui.imap.connection import make_ssl_context
from sage_tui.widgets.account_bar import AccountBar
from tests.support.app import main_screen, make_app, settle
from tests.support.fake_server import FakeIMAPServer, Received, Session
from tests.support.seed import make_message


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def self_signed_context(ca: trustme.CA) -> ssl.SSLContext:
    """The CA's own certificate as the server's: self-signed, and valid for no host name."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*_pem_files(ca))
    return context


def _pem_files(ca: trustme.CA) -> tuple[str, str]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="selfsigned"))
    cert, key = folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


@pytest.fixture
def serve() -> Iterator:
    servers: list[FakeIMAPServer] = []

    def start(**options: object) -> FakeIMAPServer:
        server = FakeIMAPServer(**options).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors


def config(server: FakeIMAPServer, tls: str, **overrides: object) -> ConnectionConfig:
    fields: dict[str, object] = {
        "host": server.host, "port": server.port, "username": "user", "password": "hunter2",
        "use_ssl": tls == "implicit", "starttls": tls == "starttls", "timeout": 3.0,
        "max_retries": 0,
    }
    fields.update(overrides)
    return ConnectionConfig(**fields)  # type: ignore[arg-type]


def logins(server: FakeIMAPServer) -> list[Received]:
    return [item for item in server.received if item.verb == "LOGIN"]


# -- verification is on by default ------------------------------------------------------


def test_verification_is_on_by_default():
    defaults = ConnectionConfig(host="imap.example.com", username="me")
    assert defaults.use_ssl and defaults.ssl_verify
    context = make_ssl_context(defaults)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_a_certificate_for_the_right_host_from_a_trusted_ca_works(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"), implicit_tls=True)
    client = IMAPClient(config(server, "implicit", ca_file=ca_file))
    assert client.health_check()["tls"] in ("TLSv1.2", "TLSv1.3")
    assert logins(server) and all(item.encrypted for item in logins(server))


def test_a_wrong_host_certificate_names_the_problem_and_the_opt_out(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "mail.elsewhere.example"), implicit_tls=True)
    with pytest.raises(IMAPTLSError) as info:
        IMAPClient(config(server, "implicit", ca_file=ca_file)).connect()
    message = str(info.value)
    assert "could not be verified" in message
    assert "the certificate is for a different host, not for 127.0.0.1" in message
    assert "ssl_verify = false" in message and "--insecure" in message
    assert not logins(server)


def test_a_self_signed_certificate_names_the_problem_and_the_opt_out(serve, ca):
    server = serve(tls_context=self_signed_context(ca), implicit_tls=True)
    with pytest.raises(IMAPTLSError) as info:
        IMAPClient(config(server, "implicit")).connect()
    message = str(info.value)
    assert "self-signed" in message
    assert "ssl_verify = false" in message and "--insecure" in message
    assert not logins(server)


def test_the_opt_out_connects_to_a_self_signed_server(serve, ca):
    server = serve(tls_context=self_signed_context(ca), implicit_tls=True)
    client = IMAPClient(config(server, "implicit", ssl_verify=False))
    assert client.health_check()["status"] == "healthy"


# -- STARTTLS never falls back to plain text ----------------------------------------------


def test_a_server_without_starttls_gets_no_login(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"), starttls=False)
    with pytest.raises(IMAPTLSError, match="does not offer STARTTLS"):
        IMAPClient(config(server, "starttls", ca_file=ca_file)).connect()
    assert not logins(server)


def test_a_refused_starttls_gets_no_login(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"),
                   handlers={"STARTTLS": b"{tag} NO STARTTLS is broken today\r\n"})
    with pytest.raises(IMAPTLSError, match="refused STARTTLS") as info:
        IMAPClient(config(server, "starttls", ca_file=ca_file)).connect()
    assert "nothing was sent unencrypted" in str(info.value)
    assert not logins(server)


def test_a_starttls_with_a_bad_certificate_gets_no_login(serve, ca):
    server = serve(tls_context=server_context(ca, "127.0.0.1"))
    with pytest.raises(IMAPTLSError, match="could not be verified"):
        IMAPClient(config(server, "starttls")).connect()  # the test CA is not trusted
    assert not logins(server)


def test_a_preauth_greeting_on_a_starttls_connection_is_refused(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"),
                   greeting=b"* PREAUTH [CAPABILITY {caps}] you are in, no questions asked\r\n")
    with pytest.raises(IMAPTLSError, match="PREAUTH"):
        IMAPClient(config(server, "starttls", ca_file=ca_file)).connect()
    assert server.verbs() in ([], ["CAPABILITY"])  # nothing but (maybe) asking what it can do


def test_starttls_upgrades_and_logs_in_encrypted(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"))
    client = IMAPClient(config(server, "starttls", ca_file=ca_file))
    assert client.health_check()["tls"] in ("TLSv1.2", "TLSv1.3")
    assert logins(server) and all(item.encrypted for item in logins(server))


def _next_tag(tag: str) -> str:
    prefix, number = re.fullmatch(r"(\D+)(\d+)", tag).groups()  # type: ignore[union-attr]
    return f"{prefix}{int(number) + 1}"


INJECTED = "* CAPABILITY IMAP4rev1 AUTH=PLAIN INJECTED\r\n{next} OK [CAPABILITY INJECTED] ok\r\n"


def test_bytes_injected_with_the_starttls_ok_are_discarded(serve, ca, ca_file):
    """The classic STARTTLS injection: plain-text responses ride in the same packet as the OK,
    hoping to be read after the handshake as if they had come encrypted."""

    def inject(session: Session, tag: str, args: str) -> None:
        session.send(f"{tag} OK Begin TLS negotiation now\r\n"
                     + INJECTED.format(next=_next_tag(tag)))
        session.starttls()

    server = serve(tls_context=server_context(ca, "127.0.0.1"), handlers={"STARTTLS": inject})
    client = IMAPClient(config(server, "starttls", ca_file=ca_file))
    client.connect()
    assert "INJECTED" not in client.capabilities
    assert "IDLE" in client.capabilities  # what the real server said, over TLS
    assert logins(server) and all(item.encrypted for item in logins(server))
    assert IMAPMailboxService(client).list_folders() == ["INBOX"]


def test_bytes_injected_after_the_starttls_ok_break_the_handshake(serve, ca, ca_file):
    """Sent as a separate packet, the injected bytes reach the TLS layer, which refuses them."""

    def inject_late(session: Session, tag: str, args: str) -> None:
        session.send(f"{tag} OK Begin TLS negotiation now\r\n")
        time.sleep(0.2)  # the client is in its handshake now
        session.send(INJECTED.format(next=_next_tag(tag)))
        session.starttls()

    server = serve(tls_context=server_context(ca, "127.0.0.1"),
                   handlers={"STARTTLS": inject_late})
    with pytest.raises(IMAPTLSError):
        IMAPClient(config(server, "starttls", ca_file=ca_file)).connect()
    assert not logins(server)


# -- plain text only when the account says so, and then the header says so --------------


def test_plain_text_login_only_with_tls_none(serve):
    server = serve()
    IMAPClient(config(server, "none")).connect()
    assert [item.encrypted for item in logins(server)] == [False]
    assert b"hunter2" in logins(server)[0].line  # it really went in the clear: that is "none"


def _header(app) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    bar = main_screen(app).query_one(AccountBar)
    text = bar.render()
    warned = any("red" in str(span.style) for span in text.spans)
    return text.plain, warned


async def test_the_header_warns_when_a_remote_server_is_unencrypted(serve):
    server = serve(host="127.0.0.2", messages=[make_message(1, subject="hello")])
    app = make_app(config(server, "none"))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, lambda: main_screen(app).loaded)
        plain, warned = _header(app)
    assert "⚠ unencrypted" in plain and warned
    assert not Account(config(server, "none"), "x").loopback


async def test_the_header_warns_when_the_certificate_is_not_verified(serve, ca):
    server = serve(tls_context=self_signed_context(ca), implicit_tls=True,
                   messages=[make_message(1, subject="hello")])
    app = make_app(config(server, "implicit", ssl_verify=False))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, lambda: main_screen(app).loaded)
        plain, warned = _header(app)
        assert main_screen(app).model.total == 1
    assert "⚠ TLS, certificate NOT verified" in plain and warned


async def test_the_header_shows_plain_tls_without_a_warning(serve, ca, ca_file):
    server = serve(tls_context=server_context(ca, "127.0.0.1"), implicit_tls=True,
                   messages=[make_message(1, subject="hello")])
    app = make_app(config(server, "implicit", ca_file=ca_file))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, lambda: main_screen(app).loaded)
        plain, warned = _header(app)
    assert "·  TLS  ·" in plain and not warned and "⚠" not in plain
