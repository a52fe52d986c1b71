"""Identity resolution: community member → (person) → CRM contact → CRM account, in layers.

Members are first grouped into people (`link_people`: shared email or SSO id), and each
person is resolved as a whole, so Discourse and Slack accounts of one human always land on
the same account. Layers, strongest first; the first that gives one account wins:

=========  ==========================================================  ==============
method     evidence                                                    confidence
=========  ==========================================================  ==============
manual     ``overrides[member_key]`` (``None``: never match)           1.0
sso        member ``sso_id`` == contact ``sso_id`` (contact has        1.0
           an account)
email      canonical email == a contact's (contact has an account)     1.0, or 0.95 when
                                                                       equal only once
                                                                       ``+tag`` is dropped
domain     corporate email domain, or a parent of it, == an account    0.8
           domain / website host; free-mail domains never count
name       profile ``company`` ~ account name (`identity_names`)       similarity/100 × 0.7
=========  ==========================================================  ==============

A manual override also carries to the member's linked members that have none of their own
(conflicting overrides within a person leave those members ambiguous).

Ambiguity is reported, never guessed: when a strong layer (manual, sso, email) points at
several accounts the person is "ambiguous: ..." and weaker layers are not consulted. When
the domain layer finds several accounts sharing the domain, only the name layer may still
pick one *of those* (a subsidiary named in the profile); otherwise it is ambiguous too.
Team members and bots (any member of the person flagged) are left out with that reason,
and every unmatched member gets a reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from scoring.errors import ScoringError
from scoring.identity_keys import (
    FREE_MAIL_DOMAINS,
    canonical_email,
    normalize_domain,
    normalize_email,
    parent_domains,
)
from scoring.identity_names import NameIndex
from scoring.identity_people import link_people, people_of, sso_key
from scoring.records import CrmAccount, CrmContact, Match, Member, Resolution

__all__ = [
    "DEFAULT_NAME_MARGIN",
    "DEFAULT_NAME_THRESHOLD",
    "DOMAIN_CONFIDENCE",
    "EMAIL_CONFIDENCE",
    "FREE_MAIL_DOMAINS",
    "MANUAL_CONFIDENCE",
    "NAME_CONFIDENCE_WEIGHT",
    "PLUS_EMAIL_CONFIDENCE",
    "REASON_KINDS",
    "SSO_CONFIDENCE",
    "link_people",
    "normalize_domain",
    "normalize_email",
    "reason_kind",
    "resolve",
]

MANUAL_CONFIDENCE = 1.0
SSO_CONFIDENCE = 1.0
EMAIL_CONFIDENCE = 1.0
#: The addresses are the same mailbox only after dropping a ``+tag`` (gmail.com and co.).
PLUS_EMAIL_CONFIDENCE = 0.95
DOMAIN_CONFIDENCE = 0.8
#: Name confidence = similarity (0–100) / 100 × this: 0.63–0.7 at the default threshold,
#: always below a domain match, because a profile's company field is free text.
NAME_CONFIDENCE_WEIGHT = 0.7
#: Minimum similarity (0–100) of company field and account name.
DEFAULT_NAME_THRESHOLD = 90.0
#: How far (similarity points) the runner-up account name must trail the best one.
DEFAULT_NAME_MARGIN = 5.0

#: The kinds of unmatched reasons, for counting them (`reason_kind`); most specific first.
REASON_KINDS: tuple[str, ...] = (
    "team member",
    "bot",
    "manual override",
    "ambiguous",
    "no email address and no company",
    "no email address",
    "free-mail domain",
    "no contact or account",
)


#: account_id → (contact_id, confidence) of the evidence a layer found for it.
_Candidates = dict[str, tuple[str | None, float]]


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What one layer found for a person: candidate accounts, or a note why none."""

    method: str
    #: account_id → (contact_id, confidence); one entry is a match, several are ambiguous.
    candidates: _Candidates = field(default_factory=dict)
    #: Words for the report: why nothing was found, or what the ambiguity is.
    note: str | None = None


class _Indexes:
    """Contacts and accounts indexed by each layer's key; built once per `resolve`."""

    def __init__(
        self,
        contacts: Iterable[CrmContact],
        accounts: Iterable[CrmAccount],
        free_mail_domains: frozenset[str],
    ) -> None:
        #: key → (account_id, contact_id, normalised email) of contacts with an account.
        self.by_sso: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        self.by_email: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        for contact in contacts:
            if not contact.account_id:
                continue
            entry = (contact.account_id, contact.id, normalize_email(contact.email))
            if sso := sso_key(contact.sso_id):
                self.by_sso[sso].append(entry)
            if email := canonical_email(contact.email):
                self.by_email[email].append(entry)
        accounts = list(accounts)
        by_domain: dict[str, set[str]] = defaultdict(set)
        for account in accounts:
            if domain := normalize_domain(account.domain):
                by_domain[domain].add(account.id)
        self.by_domain = {d: tuple(sorted(ids)) for d, ids in by_domain.items()}
        self.names = NameIndex((a.id, a.name) for a in accounts)
        self.free_mail = free_mail_domains


def _best(candidates: _Candidates, account_id: str, found: tuple[str | None, float]) -> None:
    """Keep, per account, the most confident evidence (then the smallest contact id)."""
    held = candidates.get(account_id)
    if held is None or (-found[1], found[0] or "") < (-held[1], held[0] or ""):
        candidates[account_id] = found


def _accounts(candidates: Mapping[str, object]) -> str:
    """"2 accounts (a1, a2)"."""
    return f"{len(candidates)} accounts ({', '.join(sorted(candidates))})"


def _plural(word: str, values: Sequence[str]) -> str:
    return f"{word}{'s' if len(values) > 1 else ''} {', '.join(values)}"


def _sso_layer(people: Sequence[Member], index: _Indexes) -> _Evidence:
    ids = sorted({k for m in people if (k := sso_key(m.sso_id))})
    candidates: _Candidates = {}
    for sso in ids:
        for account_id, contact_id, _ in index.by_sso.get(sso, ()):
            _best(candidates, account_id, (contact_id, SSO_CONFIDENCE))
    note = None
    if len(candidates) > 1:
        note = f"{_plural('sso id', ids)} on contacts of {_accounts(candidates)}"
    return _Evidence("sso", candidates, note)


def _email_layer(people: Sequence[Member], index: _Indexes) -> _Evidence:
    candidates: _Candidates = {}
    emails = set()
    for member in people:
        email = canonical_email(member.email)
        if email is None:
            continue
        emails.add(email)
        typed = normalize_email(member.email)
        for account_id, contact_id, contact_email in index.by_email.get(email, ()):
            confidence = EMAIL_CONFIDENCE if contact_email == typed else PLUS_EMAIL_CONFIDENCE
            _best(candidates, account_id, (contact_id, confidence))
    note = None
    if len(candidates) > 1:
        listed = sorted(emails)
        note = f"{_plural('email', listed)} on contacts of {_accounts(candidates)}"
    return _Evidence("email", candidates, note)


def _domain_layer(people: Sequence[Member], index: _Indexes) -> _Evidence:
    domains = sorted({e.partition("@")[2] for m in people if (e := normalize_email(m.email))})
    if not domains:
        return _Evidence("domain", note="no email address")
    candidates: _Candidates = {}
    notes, matched = [], []
    for domain in domains:
        parents = parent_domains(domain)
        if any(p in index.free_mail for p in parents):
            notes.append(f"free-mail domain {domain}")
            continue
        found = next((index.by_domain[p] for p in parents if p in index.by_domain), ())
        if not found:
            notes.append(f"no contact or account for {domain}")
        matched += [domain] if found else []
        for account_id in found:
            _best(candidates, account_id, (None, DOMAIN_CONFIDENCE))
    if len(candidates) > 1:
        ids = ", ".join(sorted(candidates))
        notes = [f"{len(candidates)} accounts with {_plural('domain', matched)} ({ids})"]
    return _Evidence("domain", candidates, "; ".join(notes) or None)


def _name_layer(
    people: Sequence[Member],
    index: _Indexes,
    within: frozenset[str] | None,
    threshold: float,
    margin: float,
) -> _Evidence:
    companies = sorted({m.company.strip() for m in people if m.company and m.company.strip()})
    candidates: _Candidates = {}
    notes = []
    for company in companies:
        result = index.names.search(company, threshold=threshold, margin=margin, within=within)
        confidence = round(result.similarity / 100 * NAME_CONFIDENCE_WEIGHT, 4)
        for account_id in result.account_ids:
            _best(candidates, account_id, (None, confidence))
        if len(result.account_ids) != 1:
            notes.append(result.note)
    if len(candidates) > 1 and not notes:
        listed = ", ".join(map(repr, companies))
        notes = [f"companies {listed} name {_accounts(candidates)}"]
    return _Evidence("name", candidates, "; ".join(notes) or None)


def _manual(
    keys: Sequence[str], overrides: Mapping[str, str | None]
) -> tuple[dict[str, Match], dict[str, str]] | None:
    """The operator's word for a person, when any of its members has an override.

    A member's own override always applies to it; linked members without one follow the
    person's overrides when they agree, and are ambiguous when they do not.
    """
    own = {k: overrides[k] for k in keys if k in overrides}
    if not own:
        return None
    values = set(own.values())
    matches: dict[str, Match] = {}
    unmatched: dict[str, str] = {}
    for key in keys:
        if key not in own and len(values) > 1:
            listed = ", ".join(f"{k} → {v}" for k, v in sorted(own.items()))
            unmatched[key] = f"ambiguous: conflicting manual overrides of linked members ({listed})"
            continue
        account_id = own[key] if key in own else next(iter(values))
        via = "" if key in own else f" (via linked member {min(own)})"
        if account_id is None:
            unmatched[key] = f"manual override: never match{via}"
        else:
            matches[key] = Match(key, account_id, "manual", MANUAL_CONFIDENCE)
    return matches, unmatched


def _unique_members(members: Iterable[Member]) -> dict[str, Member]:
    unique: dict[str, Member] = {}
    for member in members:
        held = unique.setdefault(member.key, member)
        if held != member:
            raise ScoringError(f"member key {member.key!r} given twice with different data")
    return unique


def resolve(
    members: Iterable[Member],
    contacts: Iterable[CrmContact],
    accounts: Iterable[CrmAccount],
    *,
    overrides: Mapping[str, str | None] | None = None,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    name_margin: float = DEFAULT_NAME_MARGIN,
    free_mail_domains: frozenset[str] = FREE_MAIL_DOMAINS,
) -> Resolution:
    """Match each member to one CRM account, or say why not (see the module docstring).

    ``overrides``: member_key → account_id, or None to never match that member.
    ``name_threshold`` / ``name_margin``: the company-name layer's minimum similarity
    (0–100) and the lead the best account name needs over the runner-up.
    The result does not depend on the order of the inputs.
    """
    by_key = _unique_members(members)
    index = _Indexes(contacts, accounts, frozenset(free_mail_domains))
    overrides = overrides or {}
    person_of = link_people(by_key.values())
    matches: dict[str, Match] = {}
    unmatched: dict[str, str] = {}
    for keys in people_of(person_of).values():
        people = [by_key[k] for k in keys]
        if any(m.is_staff for m in people):
            unmatched.update(dict.fromkeys(keys, "team member"))
            continue
        if any(m.is_bot for m in people):
            unmatched.update(dict.fromkeys(keys, "bot"))
            continue
        manual = _manual(keys, overrides)
        if manual is not None:
            matches.update(manual[0])
            unmatched.update(manual[1])
            continue
        found, reason = _resolve_person(people, index, name_threshold, name_margin)
        for key in keys:
            if found is None:
                unmatched[key] = reason
            else:
                account_id, (contact_id, confidence), method = found
                matches[key] = Match(key, account_id, method, confidence, contact_id)
    return Resolution(matches=matches, unmatched=unmatched, person_of=person_of)


def _resolve_person(
    people: Sequence[Member], index: _Indexes, threshold: float, margin: float
) -> tuple[tuple[str, tuple[str | None, float], str] | None, str]:
    """(account_id, (contact_id, confidence), method) for the person, or None and why."""
    for layer in (_sso_layer, _email_layer):
        evidence = layer(people, index)
        if len(evidence.candidates) == 1:
            [(account_id, found)] = evidence.candidates.items()
            return (account_id, found, evidence.method), ""
        if evidence.candidates:
            return None, f"ambiguous: {evidence.note}"
    domain = _domain_layer(people, index)
    if len(domain.candidates) == 1:
        [(account_id, found)] = domain.candidates.items()
        return (account_id, found, domain.method), ""
    within = frozenset(domain.candidates) if domain.candidates else None
    name = _name_layer(people, index, within, threshold, margin)
    if len(name.candidates) == 1:
        [(account_id, found)] = name.candidates.items()
        return (account_id, found, name.method), ""
    if within is not None:
        return None, "; ".join(filter(None, [f"ambiguous: {domain.note}", name.note]))
    if name.candidates:
        return None, f"ambiguous: {name.note}"
    if domain.note == "no email address" and name.note is None:
        return None, "no email address and no company"
    return None, "; ".join(filter(None, [domain.note, name.note]))


def reason_kind(reason: str) -> str:
    """The `REASON_KINDS` entry an unmatched reason starts with ("other" if none), to count
    reasons in reports without the per-member details (domains, company names)."""
    return next((kind for kind in REASON_KINDS if reason.startswith(kind)), "other")
