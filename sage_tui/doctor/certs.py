"""What a server's certificate says, in the few words a person checks: who, by whom, until when.

With verification on, ``ssl`` hands over the decoded certificate. With ``--insecure`` it hands
over only the raw DER bytes: they are decoded with ``cryptography`` when it is installed (it is
not a dependency of sage-tui), so an unverified certificate is shown rather than trusted blind.
"""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime
from typing import Any

from .model import TLSInfo

_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "emailAddress": "E",
}


def describe(sock: ssl.SSLSocket, mode: str, *, verified: bool) -> TLSInfo:
    """The protocol, cipher and certificate of an established TLS connection."""
    cipher = sock.cipher()
    info = TLSInfo(mode, version=sock.version(), cipher=cipher[0] if cipher else None,
                   verified=verified)
    decoded = sock.getpeercert() if verified else None
    if decoded:
        _from_decoded(info, decoded)
    else:
        der = sock.getpeercert(binary_form=True)
        if der:
            _from_der(info, der)
    return info


def _from_decoded(info: TLSInfo, cert: dict[str, Any]) -> None:
    info.subject = _distinguished_name(cert.get("subject", ()))
    info.issuer = _distinguished_name(cert.get("issuer", ()))
    info.names = [str(value) for _kind, value in cert.get("subjectAltName", ())]
    not_after = cert.get("notAfter")
    if isinstance(not_after, str):
        _set_expiry(info, datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC))


def _distinguished_name(name: Any) -> str:
    return ", ".join(
        f"{_SHORT_NAMES.get(key, key)}={value}" for part in name for key, value in part
    )


def _from_der(info: TLSInfo, der: bytes) -> None:
    """Best effort: a certificate that cannot be decoded leaves the fields unknown."""
    try:
        from cryptography import x509
    except ImportError:
        return
    try:
        cert = x509.load_der_x509_certificate(der)
        info.subject = ", ".join(part.rfc4514_string() for part in cert.subject)
        info.issuer = ", ".join(part.rfc4514_string() for part in cert.issuer)
        try:
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            info.names = [*alt.get_values_for_type(x509.DNSName),
                          *(str(ip) for ip in alt.get_values_for_type(x509.IPAddress))]
        except x509.ExtensionNotFound:
            info.names = []
        _set_expiry(info, cert.not_valid_after_utc)
    except Exception:  # a malformed certificate is the server's problem, not a crash of ours
        return


def _set_expiry(info: TLSInfo, not_after: datetime) -> None:
    info.not_after = not_after.date().isoformat()
    info.days_left = int((not_after.timestamp() - time.time()) // 86400)
