"""Every foreign error maps onto the engine's tree, with plain words and no secrets."""

from __future__ import annotations

import imaplib
import socket
import ssl

import pytest
from imapclient import exceptions as imapclient_errors

from sage_tui.imap import (
    IMAPAuthenticationError,
    IMAPCapabilityError,
    IMAPConnectionError,
    IMAPError,
    IMAPSearchError,
    IMAPTLSError,
)
from sage_tui.imap.errors import scrub, translate


@pytest.mark.parametrize(
    ("exc", "kind", "transient", "words"),
    [
        (imapclient_errors.LoginError("b'[AUTHENTICATIONFAILED] failed'"),
         IMAPAuthenticationError, False, "Authentication failed for alice@host"),
        (ssl.SSLCertVerificationError("certificate verify failed"), IMAPTLSError, False,
         "ssl_verify = false"),
        (ssl.CertificateError("hostname mismatch"), IMAPTLSError, False, "could not be verified"),
        (ssl.SSLEOFError("EOF occurred"), IMAPConnectionError, True, "closed"),
        (ssl.SSLError("wrong version number"), IMAPTLSError, False, "TLS failed"),
        (TimeoutError("timed out"), IMAPConnectionError, True, "did not answer in time"),
        (socket.gaierror("Name or service not known"), IMAPConnectionError, True,
         "could not be resolved"),
        (ConnectionRefusedError(111, "refused"), IMAPConnectionError, True, "refused"),
        (ConnectionResetError(104, "reset"), IMAPConnectionError, True, "broke"),
        (imaplib.IMAP4.abort("socket error: EOF"), IMAPConnectionError, True, "broke"),
        (imapclient_errors.CapabilityError("MOVE"), IMAPCapabilityError, False, "cannot do"),
        (imaplib.IMAP4.error("SEARCH command error: BAD [b'Error in IMAP command']"),
         IMAPSearchError, False, "refused"),
        (ValueError("odd"), IMAPError, False, "Unexpected error"),
    ],
)
def test_translation(exc: Exception, kind: type, transient: bool, words: str) -> None:
    error = translate(exc, what="alice@host", kind=IMAPSearchError)
    assert type(error) is kind
    assert error.transient is transient
    assert words in str(error)
    assert error.__cause__ is exc


def test_bytes_reprs_are_cleaned_up() -> None:
    error = translate(imaplib.IMAP4.error("FETCH command error: BAD [b'Too long']"),
                      what="fetching")
    assert "b'" not in str(error)


def test_secrets_are_scrubbed() -> None:
    exc = imaplib.IMAP4.error("LOGIN alice s3cr3t-pw failed")
    error = translate(exc, what="login", secrets=["s3cr3t-pw"])
    assert "s3cr3t-pw" not in str(error)
    assert scrub("a s3cr3t b", ["s3cr3t", ""]) == "a *** b"


def test_engine_errors_pass_through() -> None:
    original = IMAPSearchError("bad")
    assert translate(original, what="x") is original
