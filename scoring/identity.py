"""Identity resolution, first cut: member → CRM contact → account.

Layers, strongest first: exact email (case and whitespace normalised) to a contact with an
account, then the corporate email domain (or a parent of it) to an account domain. Free-mail
domains never match by domain. Ambiguity is reported, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scoring.records import CrmAccount, CrmContact, Match, Member, Resolution

__all__ = ["FREE_MAIL_DOMAINS", "normalize_email", "normalize_domain", "resolve"]

#: Common free-mail providers; a member at one of these is not matched by domain.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.ru",
        "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com",
    }
)

EMAIL_CONFIDENCE = 1.0
DOMAIN_CONFIDENCE = 0.8


def normalize_email(email: str | None) -> str | None:
    """Lower-case, trimmed email, or None when it is not an address."""
    if not email:
        return None
    email = email.strip().lower()
    return email if email.count("@") == 1 and not email.startswith("@") else None


def normalize_domain(domain: str | None) -> str | None:
    """A bare host name from a domain or website value ("https://www.Acme.com/" → "acme.com")."""
    if not domain:
        return None
    host = domain.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host or None


def _parents(domain: str) -> list[str]:
    """The domain and its parents with at least two labels: eu.acme.com, acme.com."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def resolve(
    members: Iterable[Member],
    contacts: Iterable[CrmContact],
    accounts: Iterable[CrmAccount],
    *,
    free_mail_domains: frozenset[str] = FREE_MAIL_DOMAINS,
) -> Resolution:
    """Match each member to an account, or say why not."""
    contact_by_email: dict[str, list[CrmContact]] = defaultdict(list)
    for contact in contacts:
        email = normalize_email(contact.email)
        if email and contact.account_id:
            contact_by_email[email].append(contact)
    accounts_by_domain: dict[str, list[CrmAccount]] = defaultdict(list)
    for account in accounts:
        domain = normalize_domain(account.domain)
        if domain:
            accounts_by_domain[domain].append(account)

    matches: dict[str, Match] = {}
    unmatched: dict[str, str] = {}
    for member in members:
        if member.is_staff or member.is_bot:
            unmatched[member.key] = "team member" if member.is_staff else "bot"
            continue
        email = normalize_email(member.email)
        if email is None:
            unmatched[member.key] = "no email address"
            continue
        found = contact_by_email.get(email, [])
        account_ids = {c.account_id for c in found}
        if len(account_ids) == 1:
            contact = found[0]
            matches[member.key] = Match(
                member.key, contact.account_id, "email", EMAIL_CONFIDENCE, contact.id  # type: ignore[arg-type]
            )
            continue
        if len(account_ids) > 1:
            unmatched[member.key] = f"ambiguous: email {email} on contacts of {len(account_ids)} accounts"
            continue
        domain = email.split("@", 1)[1]
        if domain in free_mail_domains:
            unmatched[member.key] = f"free-mail domain {domain}"
            continue
        candidates = next(
            (accounts_by_domain[d] for d in _parents(domain) if d in accounts_by_domain), []
        )
        if len(candidates) == 1:
            matches[member.key] = Match(member.key, candidates[0].id, "domain", DOMAIN_CONFIDENCE)
        elif candidates:
            unmatched[member.key] = f"ambiguous: {len(candidates)} accounts with domain {domain}"
        else:
            unmatched[member.key] = f"no contact or account for {domain}"
    return Resolution(matches=matches, unmatched=unmatched)
