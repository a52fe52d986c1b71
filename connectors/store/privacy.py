"""Privacy: forget a person on request, keep them out afterwards, and let old raw text go.

**Forgetting** (`forget`) erases one member (by member key) or every member with one email
(the person across sources), in one transaction; `FORGET_RULES` says what happens to each
table. The action ledger keeps its entries - it is the record of what was done - with the
person's names, emails and texts replaced by `PLACEHOLDER` (`connectors.store.redact`).

**The opt-out list** (``privacy_opt_outs``) keeps a forgotten person out of every later
write: the store's save paths (`admit_members`, `admit_activities`, `admit_contacts`) drop
their records, so pulls, the Slack events receiver and anything else that stores through
`Store` honour it, and scoring never sees them. The list holds only SHA-256 digests
(`digest`) of the normalised email, member key or thread title: a forgotten value can be
recognised when it comes back, but the list cannot be read back into names. A member who
arrives later under a new key with an opted-out email is dropped, and their key's digest is
added, so their activities (which carry only the key) are dropped too. Others' later
replies to a thread the person started carry its title: it is stored as `PLACEHOLDER`.

**Retention** (`purge_raw_text`): activity titles and excerpts, and quarantined payloads,
older than a cut-off are blanked; scores need neither.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy import Connection, Table, and_, delete, func, or_, select, update

from scoring.records import Activity, CrmContact, Member

from . import tables as t
from . import threads as _threads
from .dml import insert_ignore
from .redact import PLACEHOLDER, Redactor
from .rows import from_row

__all__ = [
    "FORGET_RULES",
    "PURGED",
    "ForgetReport",
    "OptOut",
    "admit_activities",
    "admit_contacts",
    "admit_members",
    "digest",
    "forget",
    "opt_outs",
    "opted_out_keys",
    "purge_raw_text",
]

Kind = Literal["email", "member", "title"]

#: What a retention purge leaves of a quarantined payload.
PURGED = "[purged: raw text retention]"

#: What `forget` does to each table. The privacy tests fail for a table missing here: a
#: new table must say how it forgets.
FORGET_RULES: Mapping[str, str] = {
    "members": "their rows deleted",
    "activities": "their rows deleted; mentions of them, and titles of threads they started, replaced in others' rows",
    "identity_matches": "their rows deleted",
    "identity_unmatched": "their rows deleted",
    "identity_overrides": "their rows deleted; mentions in other notes replaced",
    "identity_people": "rows of them, or naming them as the person, deleted (the next sync resolves again)",
    "tier_state": "their member rows deleted",
    "signal_state": "their member rows deleted",
    "crm_contacts": "forgetting an email: cached contacts with it deleted and kept out (the CRM itself is untouched)",
    "action_ledger": "entries kept; their names, emails and texts in payloads and errors replaced",
    "quarantine": "rows mentioning them keep source and reason; the payload is replaced, ref and reason redacted",
    "privacy_opt_outs": "digests of their email, member keys and thread titles added",
    "inbound_events": "nothing personal (source and event id)",
    "sync_cursors": "nothing personal (read positions)",
    "crm_owners": "nothing of theirs (the company's users)",
    "crm_accounts": "nothing of theirs (companies)",
    "crm_opportunities": "nothing of theirs (deals)",
    "crm_writeback": "nothing of theirs (scores written onto companies)",
    "held_events": "their held replies deleted; others' keep a title of theirs until placed, then stored as a placeholder",
    "thread_owners": "the threads they started keep no starter (later replies there count as plain replies)",
}


def digest(kind: Kind, value: str) -> str:
    """The opt-out list's one-way form of an email (case-insensitive), a member key or a title."""
    normal = value.strip().lower() if kind == "email" else value.strip()
    return hashlib.sha256(f"community-scoring:{kind}:{normal}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class OptOut:
    """One entry of the opt-out list: a digest, what was hashed, the operator's reason."""

    digest: str
    kind: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class ForgetReport:
    """What one `forget` did: digests added, and per table how many rows went or were redacted."""

    digests: tuple[str, ...]
    members: int
    deleted: dict[str, int] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)


def _listed(conn: Connection) -> frozenset[str]:
    return frozenset(conn.execute(select(t.privacy_opt_outs.c.digest)).scalars())


def _add(conn: Connection, entries: Iterable[tuple[str, Kind]], reason: str, now: datetime) -> None:
    rows = [{"digest": d, "kind": k, "reason": reason, "created_at": now} for d, k in entries]
    insert_ignore(conn, t.privacy_opt_outs, rows, conflict=["digest"])


def opt_outs(conn: Connection) -> list[OptOut]:
    """The opt-out list, oldest first."""
    query = select(t.privacy_opt_outs).order_by(t.privacy_opt_outs.c.created_at, t.privacy_opt_outs.c.digest)
    return [OptOut(r.digest, r.kind, r.reason, r.created_at) for r in conn.execute(query)]


# -- the save paths ----------------------------------------------------------------------

def admit_members(conn: Connection, members: Iterable[Member], now: datetime) -> list[Member]:
    """``members`` without opted-out ones; a new key with an opted-out email is listed too."""
    members = list(members)
    listed = _listed(conn)
    if not listed:
        return members
    kept, learned = [], []
    for member in members:
        key_out = digest("member", member.key) in listed
        email_out = bool(member.email) and digest("email", member.email or "") in listed
        if email_out and not key_out:
            learned.append((digest("member", member.key), "member"))
        if not (key_out or email_out):
            kept.append(member)
    if learned:
        _add(conn, learned, "same email as a forgotten person", now)
    return kept


def admit_activities(conn: Connection, activities: Iterable[Activity]) -> Iterable[Activity]:
    """``activities`` without those of opted-out members; titles of forgotten threads replaced."""
    listed = _listed(conn)
    if not listed:
        return activities
    seen: dict[tuple[str, str], bool] = {}

    def out(kind: Kind, value: str) -> bool:
        if (kind, value) not in seen:
            seen[kind, value] = digest(kind, value) in listed
        return seen[kind, value]

    return [replace(a, title=PLACEHOLDER) if a.title and out("title", a.title) else a
            for a in activities if not out("member", a.member_key)]


C = TypeVar("C")


def admit_contacts(conn: Connection, contacts: Iterable[C]) -> Iterable[C]:
    """CRM contacts without those whose email was forgotten."""
    listed = _listed(conn)
    if not listed:
        return contacts
    return [c for c in contacts if not (isinstance(c, CrmContact) and c.email and digest("email", c.email) in listed)]


def opted_out_keys(conn: Connection, member_keys: Iterable[str]) -> set[str]:
    """Which of ``member_keys`` are opted out, by key or by the stored member's email."""
    listed = _listed(conn)
    if not listed:
        return set()
    keys = set(member_keys)
    found = {k for k in keys if digest("member", k) in listed}
    emails = conn.execute(select(t.members.c.key, t.members.c.email)
                          .where(t.members.c.email.is_not(None))).all()
    return found | {k for k, e in emails if k in keys and digest("email", e) in listed}


# -- forgetting --------------------------------------------------------------------------

def _subjects(conn: Connection, member_keys: Collection[str], emails: Collection[str]) -> list[Member]:
    """The stored members to forget: by key, and every member with one of ``emails``."""
    m = t.members.c
    lowered = [e.strip().lower() for e in emails]
    query = select(t.members).where(or_(m.key.in_(list(member_keys)), func.lower(m.email).in_(lowered)))
    return [from_row(Member, r) for r in conn.execute(query)]


def _own_titles(conn: Connection, keys: Collection[str]) -> set[str]:
    """Titles of threads they started: the earliest activity with the title is theirs."""
    a = t.activities.c
    theirs = set(conn.execute(select(a.title).where(a.member_key.in_(keys), a.title.is_not(None))).scalars())
    if not theirs:
        return set()
    first: dict[str, tuple[datetime, str]] = {}
    rows = conn.execute(select(a.title, a.occurred_at, a.member_key).where(a.title.in_(theirs)))
    for title, at, key in rows:
        if title not in first or (at, key) < first[title]:
            first[title] = (at, key)
    return {title for title, (_, key) in first.items() if key in keys}


def _redactor(conn: Connection, subjects: list[Member], keys: Collection[str], emails: Collection[str],
              titles: Collection[str]) -> Redactor:
    """Their identifiers, and the texts they wrote: excerpts and the titles of their threads."""
    a = t.activities.c
    excerpts = conn.execute(select(a.excerpt).where(a.member_key.in_(keys), a.excerpt.is_not(None))).scalars()
    identifiers = [*keys, *emails] + [v for s in subjects for v in (s.email, s.username, s.name)]
    return Redactor(identifiers, [*excerpts, *titles])


def _redact_activities(conn: Connection, redactor: Redactor, keys: Collection[str], titles: Collection[str]) -> int:
    """Others' activities that mention them or carry a title of theirs (found in SQL first)."""
    a = t.activities.c
    columns = (a.title, a.excerpt, a.url)
    mentions = [func.lower(c).contains(i.lower(), autoescape=True) for c in columns for i in redactor.identifiers]
    if titles:
        mentions.append(a.title.in_(list(titles)))
    if not mentions:
        return 0
    rows = conn.execute(select(a.id, *columns).where(a.member_key.not_in(list(keys)), or_(*mentions))).all()
    for row in rows:
        values = {c.name: (redactor.text(v) if v else v) for c, v in zip(columns, row[1:])}
        conn.execute(update(t.activities).where(a.id == row.id).values(**values))
    return len(rows)


def _redact_ledger(conn: Connection, redactor: Redactor) -> int:
    led = t.action_ledger.c
    changed = 0
    for key, payload, error in conn.execute(select(led.key, led.payload, led.error)).all():
        new_payload, new_error = redactor.json(payload), (redactor.text(error) if error else error)
        if new_payload != payload or new_error != error:
            conn.execute(update(t.action_ledger).where(led.key == key).values(payload=new_payload, error=new_error))
            changed += 1
    return changed


def _redact_quarantine(conn: Connection, redactor: Redactor) -> int:
    q = t.quarantine.c
    changed = 0
    for row in conn.execute(select(q.id, q.ref, q.reason, q.payload)).all():
        if redactor.text(row.payload) != row.payload or (row.ref and redactor.text(row.ref) != row.ref) \
                or redactor.text(row.reason) != row.reason:
            conn.execute(update(t.quarantine).where(q.id == row.id).values(
                payload=PLACEHOLDER, ref=redactor.text(row.ref) if row.ref else row.ref,
                reason=redactor.text(row.reason)))
            changed += 1
    return changed


def _redact_notes(conn: Connection, redactor: Redactor) -> int:
    o = t.identity_overrides.c
    changed = 0
    for key, note in conn.execute(select(o.member_key, o.note)).all():
        if note and redactor.text(note) != note:
            conn.execute(update(t.identity_overrides).where(o.member_key == key).values(note=redactor.text(note)))
            changed += 1
    return changed


def forget(conn: Connection, *, member_keys: Collection[str] = (), emails: Collection[str] = (),
           reason: str = "", now: datetime) -> ForgetReport:
    """Erase the members named by key or email (see the module docstring) and opt them out."""
    emails = sorted({e.strip().lower() for e in emails if e and e.strip()})
    subjects = _subjects(conn, member_keys, emails)
    keys = sorted(set(member_keys) | {s.key for s in subjects})
    titles = _own_titles(conn, keys)
    redactor = _redactor(conn, subjects, keys, emails, titles)
    redacted = {"activities": _redact_activities(conn, redactor, keys, titles)}
    deleted: dict[str, int] = defaultdict(int)

    def drop(table: Table, *where: object) -> None:
        deleted[table.name] += conn.execute(delete(table).where(*where)).rowcount

    drop(t.activities, t.activities.c.member_key.in_(keys))
    drop(t.members, t.members.c.key.in_(keys))
    for table in (t.identity_matches, t.identity_unmatched, t.identity_overrides):
        drop(table, table.c.member_key.in_(keys))
    people = t.identity_people.c
    drop(t.identity_people, or_(people.member_key.in_(keys), people.person_key.in_(keys)))
    drop(t.tier_state, and_(t.tier_state.c.kind == "member", t.tier_state.c.entity_id.in_(keys)))
    drop(t.signal_state, t.signal_state.c.entity_id.in_(keys))
    deleted[t.held_events.name] += _threads.forget(conn, keys)
    if emails:
        drop(t.crm_contacts, func.lower(t.crm_contacts.c.email).in_(emails))
    if redactor:
        redacted["action_ledger"] = _redact_ledger(conn, redactor)
        redacted["quarantine"] = _redact_quarantine(conn, redactor)
        redacted["identity_overrides"] = _redact_notes(conn, redactor)
    entries: list[tuple[str, Kind]] = [(digest("member", k), "member") for k in keys]
    entries += [(digest("email", e), "email") for e in emails]
    _add(conn, entries + [(digest("title", title), "title") for title in sorted(titles)], reason, now)
    return ForgetReport(tuple(d for d, _ in entries), len(subjects), dict(deleted),
                        {k: v for k, v in redacted.items() if v})


# -- retention ---------------------------------------------------------------------------

def purge_raw_text(conn: Connection, before: datetime) -> dict[str, int]:
    """Blank activity titles/excerpts that occurred, and quarantine payloads kept, before ``before``."""
    a, q = t.activities.c, t.quarantine.c
    activities = conn.execute(
        update(t.activities).where(a.occurred_at < before, or_(a.title.is_not(None), a.excerpt.is_not(None)))
        .values(title=None, excerpt=None)
    ).rowcount
    quarantined = conn.execute(
        update(t.quarantine).where(q.created_at < before, q.payload != PURGED).values(payload=PURGED)
    ).rowcount
    return {"activities": activities, "quarantine": quarantined}
