"""TLS is on and verified by default; failures are clear and never fall back to plain text."""

from __future__ import annotations

import pytest

from sage_tui.imap import IMAPClient, IMAPMailboxService, IMAPTLSError
from tests.support.engine import plain_config


def tls_config(dovecot, user, **overrides):
    fields = {"port": dovecot.tls_port, "use_ssl": True, "ca_file": str(dovecot.ca_file)}
    fields.update(overrides)
    return plain_config(dovecot.host, fields.pop("port"), user, **fields)


def test_implicit_tls_verified_with_the_ca(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user))
    assert "INBOX" in IMAPMailboxService(client).list_folders()
    report = client.health_check()
    assert report["status"] == "healthy"
    assert report["tls"] in ("TLSv1.2", "TLSv1.3")


def test_unknown_ca_is_refused_with_a_clear_message(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user, ca_file=None))
    with pytest.raises(IMAPTLSError) as info:
        client.connect()
    message = str(info.value)
    assert "could not be verified" in message and "ssl_verify = false" in message
    assert client.get_metrics().retries == 0  # a bad certificate is not retried


def test_verification_can_be_turned_off_explicitly(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user, ca_file=None, ssl_verify=False))
    assert client.health_check()["status"] == "healthy"


def test_starttls_upgrades_the_plain_port(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user, port=dovecot.port, use_ssl=False,
                                   starttls=True))
    assert client.health_check()["tls"] in ("TLSv1.2", "TLSv1.3")


def test_failed_starttls_never_falls_back_to_plain_text(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user, port=dovecot.port, use_ssl=False,
                                   starttls=True, ca_file=None))
    with pytest.raises(IMAPTLSError):
        client.connect()
    assert "Login: user=<" + imap_user.name + ">" not in dovecot.log_text()


def test_tls_spoken_to_a_plain_port(dovecot, imap_user):
    client = IMAPClient(tls_config(dovecot, imap_user, port=dovecot.port))
    with pytest.raises(IMAPTLSError, match="TLS failed"):
        client.connect()
