"""Records that could not be parsed: kept whole for a human, never silently dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from .rows import from_row
from .tables import quarantine

__all__ = ["QuarantineEntry", "add", "entries"]


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A rejected record: where it came from, why it was refused, and the raw payload."""

    id: int
    source: str
    ref: str | None
    reason: str
    payload: str
    created_at: datetime


def add(
    connection: Connection,
    source: str,
    ref: str | None,
    reason: str,
    payload: str | dict[str, Any],
    now: datetime,
) -> None:
    """Keep ``payload`` as text (dicts as JSON, unicode unescaped so it reads as received)."""
    if not isinstance(payload, str):
        payload = json.dumps(payload, ensure_ascii=False, default=str)
    connection.execute(
        insert(quarantine).values(
            source=source, ref=ref, reason=reason, payload=payload, created_at=now
        )
    )


def entries(connection: Connection) -> list[QuarantineEntry]:
    """Every quarantined record, oldest first."""
    rows = connection.execute(select(quarantine).order_by(quarantine.c.id))
    return [from_row(QuarantineEntry, row) for row in rows]
