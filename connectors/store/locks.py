"""Named leases in the state database: one run pulls at a time, whatever started it.

A deployment's concurrency limit covers its own runs only; a backfill, the scheduled sync
and a ``community-scoring sync`` from a shell all pull into the same database and spend
the same API budget. Each takes the ``pull`` lease first; a run that cannot have it
stands aside. The lease is a row of ``sync_cursors`` (``lock:<name>``) whose value is
``<expiry>|<owner>``: the fixed-width UTC expiry compares as text, so taking an expired
or own lease is one conditional UPDATE on both databases. A holder renews it while it
works; a crashed holder's lease simply runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, delete, or_, select, update

from .dml import insert_ignore
from .tables import sync_cursors

__all__ = ["acquire", "holder", "release"]

_PREFIX = "lock:"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def acquire(connection: Connection, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
    """Take or renew lease ``name`` for ``owner`` until ``now + ttl``; False if another holds it."""
    if "|" in owner:
        raise ValueError(f"lease owner {owner!r} must not contain '|'")
    key, value = _PREFIX + name, f"{_stamp(now + ttl)}|{owner}"
    insert_ignore(connection, sync_cursors, [{"name": key, "value": value, "updated_at": now}], conflict=["name"])
    taken = connection.execute(
        update(sync_cursors)
        .where(sync_cursors.c.name == key,
               or_(sync_cursors.c.value < _stamp(now), sync_cursors.c.value.endswith(f"|{owner}")))
        .values(value=value, updated_at=now)
    )
    return taken.rowcount == 1


def release(connection: Connection, name: str, owner: str) -> None:
    """Give the lease back if ``owner`` still holds it."""
    connection.execute(delete(sync_cursors).where(
        sync_cursors.c.name == _PREFIX + name, sync_cursors.c.value.endswith(f"|{owner}")))


def holder(connection: Connection, name: str, now: datetime) -> str | None:
    """Who holds lease ``name`` now, if anyone."""
    value = connection.execute(select(sync_cursors.c.value).where(sync_cursors.c.name == _PREFIX + name)).scalar()
    if value is None or value < _stamp(now):
        return None
    return value.split("|", 1)[1]
