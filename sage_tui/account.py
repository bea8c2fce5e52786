"""The account the app runs on: connection settings plus what the header says about them."""

from __future__ import annotations

from dataclasses import dataclass

from .imap.config import ConnectionConfig


@dataclass(frozen=True)
class Account:
    """One account as the UI shows it.

    Attributes:
        config: The engine's connection settings (the password lives only here, in memory).
        label: What the header calls the account ("demo", "me@example.com").
        default_folder: The folder opened first.
    """

    config: ConnectionConfig
    label: str
    default_folder: str = "INBOX"

    @property
    def security(self) -> str:
        """How the connection is protected, in words for the header."""
        mode = self.config.tls_mode
        if mode == "none":
            return "unencrypted (local)" if self.loopback else "unencrypted"
        words = "TLS" if mode == "implicit" else "STARTTLS"
        return words if self.config.ssl_verify else f"{words}, certificate NOT verified"

    @property
    def insecure(self) -> bool:
        """True when the header must warn: plain text, or TLS without verification."""
        if self.config.tls_mode == "none":
            return not self.loopback
        return not self.config.ssl_verify

    @property
    def loopback(self) -> bool:
        """The server is on this machine (the demo, a local bridge): nothing crosses a network."""
        return self.config.host in ("127.0.0.1", "::1", "localhost")
