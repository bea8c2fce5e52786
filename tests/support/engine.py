"""Engine-side test helpers: configs pointing at the test Dovecot."""

from __future__ import annotations

from typing import Any

from sage_tui.imap import ConnectionConfig


def plain_config(host: str, port: int, user: Any, **overrides: Any) -> ConnectionConfig:
    """A plain-text config with test-friendly timings (short timeouts, tiny backoff)."""
    fields: dict[str, Any] = {
        "host": host,
        "port": port,
        "username": user.name,
        "password": user.password,
        "use_ssl": False,
        "timeout": 5.0,
        "retry_delay": 0.01,
        "max_retry_delay": 0.05,
        "circuit_recovery_timeout": 0.5,
    }
    fields.update(overrides)
    return ConnectionConfig(**fields)
