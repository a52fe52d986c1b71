"""Identity resolution in the store: saving a resolution as a diff, and the fingerprint of its inputs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from scoring.records import Resolution

from . import tables as t
from .dml import KEYS_PER_QUERY, chunks, upsert
from .rows import to_row

__all__ = ["inputs_fingerprint", "save_resolution"]


def save_resolution(conn: Connection, resolution: Resolution, now: datetime) -> None:
    """Make the stored matches, unmatched reasons and people ``resolution``'s, writing only what changed."""
    wanted = {
        t.identity_matches: {key: to_row(m) for key, m in resolution.matches.items()},
        t.identity_unmatched: {key: {"member_key": key, "reason": reason}
                               for key, reason in resolution.unmatched.items()},
        t.identity_people: {key: {"member_key": key, "person_key": person}
                            for key, person in resolution.person_of.items()},
    }
    for table, rows in wanted.items():
        columns = [c for c in table.c if c.name != "updated_at"]
        stored = {r.member_key: dict(r._mapping) for r in conn.execute(select(*columns))}
        for gone in chunks((key for key in stored if key not in rows), KEYS_PER_QUERY):
            conn.execute(delete(table).where(table.c.member_key.in_(gone)))
        upsert(conn, table, (row | {"updated_at": now} for key, row in rows.items() if stored.get(key) != row))


def inputs_fingerprint(conn: Connection, crm: str) -> str:
    """Row counts and latest write times of members, the CRM's contacts and accounts, and overrides."""
    sources = ((t.members, t.members.c.updated_at, None), (t.crm_contacts, t.crm_contacts.c.updated_at, crm),
               (t.crm_accounts, t.crm_accounts.c.updated_at, crm),
               (t.identity_overrides, t.identity_overrides.c.created_at, None))
    parts = []
    for table, written, only in sources:
        query = select(func.count(), func.max(written)).select_from(table)
        if only is not None:
            query = query.where(table.c.crm == only)
        count, latest = conn.execute(query).one()
        parts.append(f"{count}@{latest.isoformat() if latest else '-'}")
    return " ".join(parts)
