"""Connection settings for one IMAP account.

A ``ConnectionConfig`` is the identity of a connection pool: every ``IMAPClient`` built from an
equal config shares one pool. Equality therefore covers *every* field, credentials included, so a
client with a wrong password can never be handed a connection that another client logged in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class ConnectionConfig:
    """Where and how to connect, and how hard to try.

    Attributes:
        host: Server name or address.
        username: Login name.
        password: Login secret. Never shown by ``repr`` and never put into error messages.
        port: TCP port; 993 is implicit TLS, 143 is plain text or STARTTLS.
        use_ssl: Implicit TLS from the first byte (the safe default).
        starttls: Upgrade a plain connection with STARTTLS; the upgrade failing is an error,
            never a silent fall back to plain text.
        ssl_verify: Verify the server certificate and host name. Turning this off is an explicit,
            visible opt-out for self-signed servers.
        ca_file: Extra CA bundle (PEM) to trust, for servers with a private CA.
        timeout: Seconds for connect and for every read; a stalled server fails instead of hanging.
        max_connections: Upper bound of the shared pool for this config.
        keepalive_interval: Connections idle longer than this are NOOP-checked before reuse.
        max_retries: Retries of a transiently failed operation (0 = try once).
        retry_delay: First backoff delay in seconds.
        retry_exponential_backoff: Double the delay after each failed attempt.
        max_retry_delay: Cap of any single backoff delay.
        enable_monitoring: Keep counters, latencies and events (off saves the bookkeeping).
        circuit_failure_threshold: Consecutive transient failures that open the circuit.
        circuit_recovery_timeout: Seconds the circuit stays open before one probe is let through.
    """

    host: str
    username: str
    password: str = field(default="", repr=False)
    port: int = 993
    use_ssl: bool = True
    starttls: bool = False
    ssl_verify: bool = True
    ca_file: str | None = None
    timeout: float = 30.0
    max_connections: int = 5
    keepalive_interval: float = 300.0
    max_retries: int = 3
    retry_delay: float = 1.0
    retry_exponential_backoff: bool = True
    max_retry_delay: float = 30.0
    enable_monitoring: bool = True
    circuit_failure_threshold: int = 5
    circuit_recovery_timeout: float = 60.0

    def __post_init__(self) -> None:
        _require(
            isinstance(self.host, str) and self.host.strip() != "", "host", "must not be empty"
        )
        _require(isinstance(self.username, str), "username", "must be a string")
        _require(isinstance(self.password, str), "password", "must be a string")
        _require(
            _is_int(self.port) and 1 <= self.port <= 65535, "port", "must be between 1 and 65535"
        )
        _require(
            not (self.use_ssl and self.starttls),
            "starttls",
            "cannot be combined with use_ssl (implicit TLS already encrypts)",
        )
        for name in (
            "timeout",
            "keepalive_interval",
            "retry_delay",
            "max_retry_delay",
            "circuit_recovery_timeout",
        ):
            value = getattr(self, name)
            _require(
                _is_number(value) and value >= 0 and math.isfinite(value),
                name,
                "must be a finite number >= 0",
            )
        _require(self.timeout > 0, "timeout", "must be greater than 0")
        _require(
            _is_int(self.max_connections) and self.max_connections >= 1,
            "max_connections",
            "must be at least 1",
        )
        _require(_is_int(self.max_retries) and self.max_retries >= 0, "max_retries", "must be >= 0")
        _require(
            _is_int(self.circuit_failure_threshold) and self.circuit_failure_threshold >= 1,
            "circuit_failure_threshold",
            "must be at least 1",
        )

    @property
    def tls_mode(self) -> str:
        """``"implicit"``, ``"starttls"`` or ``"none"``: the words the command line uses."""
        if self.use_ssl:
            return "implicit"
        return "starttls" if self.starttls else "none"

    @property
    def display_name(self) -> str:
        """``user@host`` for messages; never includes the password."""
        return f"{self.username}@{self.host}" if self.username else self.host

    @classmethod
    def coerce(cls, value: object) -> ConnectionConfig:
        """A config from a ``ConnectionConfig``, a mapping, or any object with such attributes.

        The seed library's guide builds its own settings dataclass and passes it as
        ``IMAPClient(config=...)``; unknown attributes are ignored.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            source = dict(value)
        else:
            source = {name: getattr(value, name) for name in cls.field_names()
                      if hasattr(value, name)}
        return cls(**{name: source[name] for name in cls.field_names() if name in source})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names accepted as keyword arguments (``IMAPClient(host=..., **fields)``)."""
        return tuple(f.name for f in fields(cls))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require(condition: bool, name: str, problem: str) -> None:
    if not condition:
        raise ValueError(f"ConnectionConfig.{name} {problem}")
