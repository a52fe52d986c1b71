"""The action ledger: every external action is written here before it is attempted.

This is what makes "nothing twice" hold across crashes and concurrent runs: an action's
deterministic key is inserted as ``pending`` first (insert-or-skip, so two runs racing on
the same key both end up reading the one stored row), then marked ``done`` with the
external id or ``failed`` with the error. The next run skips what is done and knows what
was left pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from .dml import insert_ignore
from .errors import StoreError
from .rows import from_row
from .tables import LEDGER_STATUSES, action_ledger

__all__ = ["LedgerEntry", "begin", "done_keys", "entries", "entry", "mark_done", "mark_failed"]


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


def _update(connection: Connection, key: str, values: dict[str, Any]) -> None:
    result = connection.execute(
        update(action_ledger).where(action_ledger.c.key == key).values(**values)
    )
    if result.rowcount == 0:
        raise StoreError(f"no ledger entry with key {key!r}: call ledger_begin first")


def mark_done(connection: Connection, key: str, external_id: str | None, now: datetime) -> None:
    """The action happened; keep the external id so it can be found and never redone."""
    _update(
        connection,
        key,
        {"status": "done", "external_id": external_id, "error": None, "updated_at": now},
    )


def mark_failed(connection: Connection, key: str, error: str, now: datetime) -> None:
    """The action failed; count the attempt and keep the error for the operator."""
    _update(
        connection,
        key,
        {
            "status": "failed",
            "error": error,
            "attempts": action_ledger.c.attempts + 1,
            "updated_at": now,
        },
    )


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
