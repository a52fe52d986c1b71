"""The action ledger: every external action is written here before it is attempted.

This is what makes "nothing twice" hold across crashes and concurrent runs:

1. ``begin``: an action's deterministic key is inserted as ``pending`` (insert-or-skip, so
   two runs racing on the same key both end up reading the one stored row).
2. ``claim``: before performing it, a run takes the entry with one conditional UPDATE
   (``pending``/``failed``/expired ``in_flight`` -> ``in_flight``, with its owner id and a
   lease). The database lets exactly one UPDATE change the row - SQLite serialises writers,
   PostgreSQL re-checks the WHERE clause on the row a concurrent transaction committed - so
   only the run whose UPDATE counted a row performs the action. A crashed run's claim runs
   out with its lease; the run taking it over is told (`LedgerClaim.taken_over`) so it
   looks for the action on the service before doing it again.
3. ``mark_done`` / ``mark_failed`` record the outcome and release the claim:

   - *done* is a fact about the outside world, so it is accepted from the holder and from
     a run whose lease ran out meanwhile - unless the entry is done already (the first
     external id stays). Refusing it would only hide an action that happened.
   - *failed* is accepted only from the current holder: a run whose lease expired must not
     turn an entry that another run has since taken over (or finished) back into a failure.

   Called without an owner (tools, tests), both write unconditionally, as before claims.

Leases assume the clocks of the hosts sharing a database agree to well within the lease,
and that one action (with its retries) ends within it; the default lease in
`playbooks.execute` is far longer than the retry policy's worst case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, not_, or_, select, update

from .dml import insert_ignore
from .errors import StoreError
from .rows import from_row
from .tables import LEDGER_STATUSES, action_ledger

__all__ = [
    "LedgerClaim",
    "LedgerEntry",
    "begin",
    "claim",
    "done_keys",
    "entries",
    "entry",
    "mark_done",
    "mark_failed",
    "mark_unsettled",
]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One action as the ledger knows it: what, its state, and what the outside world said."""

    key: str
    kind: str
    status: str
    payload: dict[str, Any]
    external_id: str | None
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    claimed_by: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class LedgerClaim:
    """A run's hold on one entry, as the winning UPDATE left it.

    ``taken_over``: the entry was ``in_flight`` under a lease that ran out - the run that
    held it may have reached the service before it died, so look before acting again.
    ``maybe_sent_at``: the latest moment an earlier attempt may have reached the service
    (the expired lease's end, or when the failed attempt was recorded); None when no
    attempt was ever made. A lookup that lags its writes (HubSpot search) uses it to tell
    "not there" from "not indexed yet".
    """

    entry: LedgerEntry
    taken_over: bool
    maybe_sent_at: datetime | None = None


def _entry(row: Row[Any]) -> LedgerEntry:
    return from_row(LedgerEntry, row)


def entry(connection: Connection, key: str) -> LedgerEntry | None:
    """The stored entry for ``key``, if any."""
    row = connection.execute(select(action_ledger).where(action_ledger.c.key == key)).first()
    return _entry(row) if row is not None else None


def begin(
    connection: Connection, key: str, kind: str, payload: dict[str, Any], now: datetime
) -> LedgerEntry:
    """Record ``key`` as pending unless it is already known; return the entry as stored."""
    insert_ignore(
        connection,
        action_ledger,
        [
            {
                "key": key,
                "kind": kind,
                "status": "pending",
                "payload": payload,
                "external_id": None,
                "attempts": 0,
                "error": None,
                "created_at": now,
                "updated_at": now,
            }
        ],
        conflict=["key"],
    )
    stored = entry(connection, key)
    if stored is None:  # cannot happen short of a concurrent delete; say so rather than guess
        raise StoreError(f"ledger entry {key!r} vanished right after it was recorded")
    return stored


def _claimable(now: datetime, max_attempts: int | None) -> Any:
    """Open (pending, failed, or in flight) and held by no one whose lease still runs."""
    c = action_ledger.c
    condition = and_(
        c.status.in_(("pending", "failed", "in_flight")),
        or_(c.lease_until.is_(None), c.lease_until <= now),
    )
    if max_attempts is not None:
        condition = and_(condition, not_(and_(c.status == "failed", c.attempts >= max_attempts)))
    return condition


def claim(
    connection: Connection,
    key: str,
    owner: str,
    now: datetime,
    lease_until: datetime,
    *,
    max_attempts: int | None = None,
) -> LedgerClaim | None:
    """Take ``key`` for ``owner`` until ``lease_until``; None when another run has it.

    The conditional UPDATE decides (its row count); the row is read first under
    ``FOR UPDATE`` (PostgreSQL; SQLite's write transaction already holds the database) only
    to know whether a run's expired claim is being taken over. ``max_attempts`` leaves
    failed entries that used up their attempts alone.
    """
    before = connection.execute(
        select(action_ledger.c.status, action_ledger.c.lease_until, action_ledger.c.updated_at,
               action_ledger.c.attempts)
        .where(action_ledger.c.key == key).with_for_update()
    ).first()
    if before is None:
        raise StoreError(f"no ledger entry with key {key!r}: call ledger_begin first")
    result = connection.execute(
        update(action_ledger)
        .where(action_ledger.c.key == key, _claimable(now, max_attempts))
        .values(status="in_flight", claimed_by=owner, lease_until=lease_until, updated_at=now)
    )
    if result.rowcount != 1:
        return None
    claimed = entry(connection, key)
    assert claimed is not None  # the row was locked and updated in this transaction
    if before.status == "in_flight":
        maybe_sent_at = before.lease_until
    elif before.status == "failed" or before.attempts:
        maybe_sent_at = before.updated_at
    else:
        maybe_sent_at = None
    return LedgerClaim(claimed, taken_over=before.status == "in_flight", maybe_sent_at=maybe_sent_at)


def _update(connection: Connection, key: str, values: dict[str, Any], *conditions: Any) -> bool:
    """Apply ``values`` when ``conditions`` hold; False when they did not, StoreError if no key."""
    result = connection.execute(
        update(action_ledger).where(action_ledger.c.key == key, *conditions).values(**values)
    )
    if result.rowcount == 1:
        return True
    if entry(connection, key) is None:
        raise StoreError(f"no ledger entry with key {key!r}: call ledger_begin first")
    return False


_RELEASED = {"claimed_by": None, "lease_until": None}


def mark_done(
    connection: Connection,
    key: str,
    external_id: str | None,
    now: datetime,
    owner: str | None = None,
) -> bool:
    """The action happened; keep the external id so it can be found and never redone.

    With ``owner``: accepted unless the entry is already done (then False, the first
    external id kept) - also from a run whose lease expired, because the action did happen.
    """
    values = {"status": "done", "external_id": external_id, "error": None, "updated_at": now}
    conditions = [] if owner is None else [action_ledger.c.status != "done"]
    return _update(connection, key, values | _RELEASED, *conditions)


def mark_failed(
    connection: Connection, key: str, error: str, now: datetime, owner: str | None = None
) -> bool:
    """The action failed; count the attempt and keep the error for the operator.

    With ``owner``: only while ``owner`` still holds the claim (False otherwise: another
    run took the entry over after the lease ran out, or finished it).
    """
    values = {
        "status": "failed",
        "error": error,
        "attempts": action_ledger.c.attempts + 1,
        "updated_at": now,
    }
    conditions = [] if owner is None else [
        action_ledger.c.status == "in_flight", action_ledger.c.claimed_by == owner
    ]
    return _update(connection, key, values | _RELEASED, *conditions)


def mark_unsettled(connection: Connection, key: str, error: str, now: datetime, owner: str) -> bool:
    """An attempt may have reached the service and a lookup cannot tell yet: leave it open.

    The entry stays ``in_flight`` with its lease ending now, so the next claim is a
    take-over that looks the action up again (with ``maybe_sent_at`` = now), and no
    attempt is counted: not knowing yet is not a failure. Only from the claim's holder.
    """
    values = {"error": error, "lease_until": now, "claimed_by": None, "updated_at": now}
    return _update(connection, key, values, action_ledger.c.status == "in_flight",
                   action_ledger.c.claimed_by == owner)


def entries(
    connection: Connection, status: str | None = None, kind: str | None = None
) -> list[LedgerEntry]:
    """Entries, oldest first, optionally only one status and/or kind."""
    if status is not None and status not in LEDGER_STATUSES:
        raise StoreError(f"unknown ledger status {status!r}: expected one of {LEDGER_STATUSES}")
    query = select(action_ledger).order_by(action_ledger.c.created_at, action_ledger.c.key)
    if status is not None:
        query = query.where(action_ledger.c.status == status)
    if kind is not None:
        query = query.where(action_ledger.c.kind == kind)
    return [_entry(row) for row in connection.execute(query)]


def done_keys(connection: Connection) -> set[str]:
    """Keys of every action that has been carried out."""
    query = select(action_ledger.c.key).where(action_ledger.c.status == "done")
    return set(connection.execute(query).scalars())
