"""ConnectionConfig validation, equality and secrecy."""

from __future__ import annotations

import pytest

from sage_tui.imap import ConnectionConfig


def test_defaults_are_safe() -> None:
    config = ConnectionConfig(host="imap.example.com", username="me")
    assert (config.port, config.use_ssl, config.ssl_verify, config.tls_mode) == (
        993, True, True, "implicit")
    assert (config.max_connections, config.max_retries, config.circuit_failure_threshold) == (
        5, 3, 5)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": 0}, "timeout"),
        ({"max_connections": 0}, "max_connections"),
        ({"host": ""}, "host"),
        ({"host": "   "}, "host"),
        ({"max_retries": -1}, "max_retries"),
        ({"retry_delay": float("nan")}, "retry_delay"),
        ({"circuit_failure_threshold": 0}, "circuit_failure_threshold"),
        ({"starttls": True}, "starttls"),
        ({"port": True}, "port"),
    ],
)
def test_invalid_values_name_the_field(fields: dict, name: str) -> None:
    values = {"host": "imap.example.com", "username": "me", **fields}
    with pytest.raises(ValueError, match=name):
        ConnectionConfig(**values)


def test_repr_never_shows_the_password() -> None:
    config = ConnectionConfig(host="h", username="me", password="hunter2-secret")
    assert "hunter2-secret" not in repr(config)
    assert "hunter2-secret" not in str(config)


def test_equality_includes_credentials() -> None:
    a = ConnectionConfig(host="h", username="me", password="right")
    b = ConnectionConfig(host="h", username="me", password="wrong")
    assert (a != b and hash(a) != hash(b)) or a != b
    assert a == ConnectionConfig(host="h", username="me", password="right")


def test_tls_modes() -> None:
    assert ConnectionConfig(host="h", username="u", use_ssl=False, port=143).tls_mode == "none"
    assert ConnectionConfig(host="h", username="u", use_ssl=False, starttls=True,
                            port=143).tls_mode == "starttls"
