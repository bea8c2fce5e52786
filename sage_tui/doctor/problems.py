"""Turn what a failed check raised into a ``Problem`` (the exit code) and a sentence that says
what to do.

Each kind of failure a user can fix gets its own words and code: a name that does not resolve,
a port nobody listens on, a server that never answers, a certificate nothing vouches for, a
certificate for another name, a refused password. The engine's wording is reused where it fits
(``certificate_problem``, ``INSECURE_HINT``, ``translate`` for the rest) and every message is
scrubbed of the password.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl

from imapclient import exceptions as imapclient_errors

from ..imap.config import ConnectionConfig
from ..imap.errors import INSECURE_HINT, IMAPError, IMAPTLSError, certificate_problem, scrub
from ..imap.errors import translate as translate_error
from .model import Problem


class CheckFailed(Exception):
    """A check found something wrong that raised nothing (no INBOX, LOGINDISABLED)."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


PORT_HINT = "993 is implicit TLS, 143 is STARTTLS or plain text"


def diagnose(exc: BaseException, doing: str, config: ConnectionConfig) -> tuple[Problem, str]:
    """The problem class and a plain sentence for ``exc``, raised while ``doing`` a check."""
    problem, message = _diagnose(exc, doing, config)
    return problem, scrub(message, (config.password,))


def _diagnose(exc: BaseException, doing: str, config: ConnectionConfig) -> tuple[Problem, str]:
    where = f"{config.host} port {config.port}"
    if isinstance(exc, CheckFailed):
        return exc.problem, exc.message
    if isinstance(exc, socket.gaierror):
        return Problem.DNS, (
            f"The server name {config.host} could not be resolved ({_reason(exc)}). Check the "
            "spelling of --host, and this computer's network and DNS settings."
        )
    if isinstance(exc, ConnectionRefusedError):
        return Problem.REFUSED, (
            f"{where} refused the connection: nothing is listening there. Check --port "
            f"({PORT_HINT}) and that the server is running."
        )
    if isinstance(exc, TimeoutError):
        return Problem.TIMEOUT, _timeout(doing, where, config)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _certificate(exc, config)
    if isinstance(exc, IMAPTLSError):
        return Problem.TLS, str(exc)
    if isinstance(exc, ssl.SSLError):
        return Problem.TLS, _tls(exc, where, config)
    if isinstance(exc, imapclient_errors.LoginError):
        return Problem.LOGIN, (
            f"The server refused the login for {config.username}: {_reason(exc)}. Check the user "
            "name (--user) and the password (SAGE_TUI_PASSWORD or the prompt)."
        )
    if isinstance(exc, imaplib.IMAP4.abort | EOFError):
        return Problem.NETWORK, f"The connection to {where} broke during {doing}: {_reason(exc)}."
    if isinstance(exc, OSError):
        return Problem.NETWORK, (
            f"The network failed during {doing} with {where}: {_reason(exc)}."
        )
    if isinstance(exc, imaplib.IMAP4.error):
        if doing == "the server greeting":
            return Problem.SERVER, f"{where} turned the connection away: {_reason(exc)}."
        return Problem.SERVER, f"The server refused {doing}: {_reason(exc)}."
    error = translate_error(exc, what=doing, secrets=(config.password,))
    problem = Problem.SERVER if type(error) is not IMAPError else Problem.UNEXPECTED
    return problem, str(error)


def _timeout(doing: str, where: str, config: ConnectionConfig) -> str:
    message = (
        f"{where} did not answer within {config.timeout:g} s during {doing}: a firewall may be "
        "dropping the traffic, or the server is overloaded."
    )
    if doing == "the server greeting" and not config.use_ssl:
        message += (
            " A port that expects TLS from the first byte stays silent like this: if it is an "
            "implicit-TLS port (usually 993), use --tls implicit."
        )
    return message


def _certificate(exc: ssl.SSLCertVerificationError, config: ConnectionConfig) -> tuple[Problem,
                                                                                       str]:
    verify = str(getattr(exc, "verify_message", "") or exc)
    if "mismatch" in verify.lower() or getattr(exc, "verify_code", None) in (62, 64):
        return Problem.CERTIFICATE_HOSTNAME, (
            f"Wrong host name: the server's certificate is valid, but for a different name, not "
            f"for {config.host} ({verify}). Connect with a name the certificate lists, or check "
            f"that --host is the server you mean. {INSECURE_HINT}."
        )
    return Problem.CERTIFICATE_UNTRUSTED, (
        f"Untrusted certificate: the server's certificate could not be verified: "
        f"{certificate_problem(exc)}. {INSECURE_HINT}."
    )


def _tls(exc: ssl.SSLError, where: str, config: ConnectionConfig) -> str:
    message = f"TLS could not be set up with {where}: {_reason(exc)}."
    if getattr(exc, "reason", None) == "WRONG_VERSION_NUMBER" and config.use_ssl:
        message += (
            " The port did not answer in TLS: it probably speaks plain text first; "
            f"try --tls starttls ({PORT_HINT})."
        )
    return message


def _reason(exc: BaseException) -> str:
    """Readable words of an exception, without the wrapping the libraries add.

    imaplib puts ``b'...'`` reprs into its messages, ssl ``[SSL: CODE] ... (_ssl.c:1006)``.
    """
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, ssl.SSLError):
        return exc.strerror
    text = str(exc).strip() or type(exc).__name__
    text = _SSL_WRAPPING.sub("", text).strip()
    if text[:2] in ("b'", 'b"'):
        text = text[1:]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return text.rstrip(" .") or type(exc).__name__


_SSL_WRAPPING = re.compile(r"^\[SSL(?:: [A-Z0-9_]+)?\]\s*|\s*\(_ssl\.c:\d+\)$")
