"""Well-known mail providers: their IMAP server from the domain of an address.

Only for providers whose setting is public and stable; anything else leaves the server empty
for the user to fill in (a guess such as ``imap.<domain>`` would too often be wrong). ``note``
says what the provider needs beyond the password, in words the setup screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    host: str
    port: int = 993
    tls: str = "implicit"
    note: str = ""


_APP_PASSWORD = "needs an app password (made in the account's security settings)"

_PROVIDERS: dict[tuple[str, ...], Provider] = {
    ("gmail.com", "googlemail.com"): Provider("Gmail", "imap.gmail.com",
                                              note=f"Gmail {_APP_PASSWORD}"),
    ("outlook.com", "hotmail.com", "live.com", "msn.com"): Provider(
        "Outlook.com", "outlook.office365.com",
        note="Outlook.com may refuse password logins; an app password can help"),
    ("fastmail.com", "fastmail.fm"): Provider("Fastmail", "imap.fastmail.com",
                                              note=f"Fastmail {_APP_PASSWORD}"),
    ("icloud.com", "me.com", "mac.com"): Provider("iCloud", "imap.mail.me.com",
                                                  note=f"iCloud {_APP_PASSWORD}"),
    ("yahoo.com", "ymail.com"): Provider("Yahoo", "imap.mail.yahoo.com",
                                         note=f"Yahoo {_APP_PASSWORD}"),
    ("aol.com",): Provider("AOL", "imap.aol.com", note=f"AOL {_APP_PASSWORD}"),
    ("gmx.net", "gmx.de", "gmx.at", "gmx.ch"): Provider(
        "GMX", "imap.gmx.net", note="GMX needs IMAP turned on in its web settings"),
    ("gmx.com",): Provider("GMX", "imap.gmx.com",
                           note="GMX needs IMAP turned on in its web settings"),
    ("web.de",): Provider("WEB.DE", "imap.web.de",
                          note="WEB.DE needs IMAP turned on in its web settings"),
    ("posteo.de", "posteo.net"): Provider("Posteo", "posteo.de"),
    ("mailbox.org",): Provider("mailbox.org", "imap.mailbox.org"),
    ("zoho.com",): Provider("Zoho", "imap.zoho.com"),
    ("yandex.com", "yandex.ru"): Provider("Yandex", "imap.yandex.com"),
}

PROVIDERS: dict[str, Provider] = {domain: provider for domains, provider in _PROVIDERS.items()
                                  for domain in domains}
"""Domain (lower case) -> provider."""


def domain_of(address: str) -> str:
    """``"Me@Example.COM "`` -> ``"example.com"`` ("" when there is no ``@``)."""
    _, at, domain = address.strip().rpartition("@")
    return domain.strip().lower().rstrip(".") if at else ""


def provider_for(address: str) -> Provider | None:
    return PROVIDERS.get(domain_of(address))


def account_name_for(address: str) -> str:
    """A short name for the account from the address: ``me@work.example`` -> ``work``."""
    domain = domain_of(address)
    provider = PROVIDERS.get(domain)
    if provider is not None:
        base = provider.name.split(".")[0]
    else:
        labels = [label for label in domain.split(".")
                  if label and label not in ("mail", "email", "imap", "mx", "www")]
        base = labels[0] if labels else ""
    name = "".join(c for c in base.lower() if c.isalnum() or c in "-_")
    return name or "mail"
