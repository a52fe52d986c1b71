"""Records that could not be used: kept whole for a human, never silently dropped, kept once.

Every sync re-reads what is still in its window, so the same bad record comes back run after
run. Each row carries a fingerprint, the SHA-256 of the record's ``ref`` (or of its payload
text when it has no ref), unique per source: adding a record already kept is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from connectors.sanitize import clean_text

from .dml import insert_ignore
from .rows import from_row
from .tables import quarantine

__all__ = ["QuarantineEntry", "add", "entries", "fingerprint", "payload_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A rejected record: where it came from, why it was refused, and the raw payload."""

    id: int
    source: str
    ref: str | None
    reason: str
    payload: str
    created_at: datetime


def payload_text(payload: Any) -> str:
    """The payload as storable text: strings cleaned, anything else as JSON.

    JSON keeps unicode unescaped so it reads as received; NULs come out as ``\\u0000`` and
    lone surrogates are written as their ``\\udXXX`` escapes, so the text still says exactly
    what was received and every database can store it.
    """
    if isinstance(payload, str):
        return clean_text(payload)
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fingerprint(ref: str | None, payload: str) -> str:
    """What makes a quarantined record the same record again: its ref, else its payload.

    Migration 0005 holds a frozen copy of this function for the rows it backfills.
    """
    basis = f"ref:{ref}" if ref is not None else f"payload:{payload}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def add(
    connection: Connection,
    source: str,
    ref: str | None,
    reason: str,
    payload: Any,
    now: datetime,
) -> bool:
    """Keep a rejected record unless it is kept already; True when a row was added."""
    text = payload_text(payload)
    ref = clean_text(ref) if ref is not None else None
    row = {
        "source": source,
        "ref": ref,
        "reason": clean_text(reason),
        "payload": text,
        "created_at": now,
        "fingerprint": fingerprint(ref, text),
    }
    return insert_ignore(connection, quarantine, [row], conflict=["source", "fingerprint"]) == 1


def entries(connection: Connection) -> list[QuarantineEntry]:
    """Every quarantined record, oldest first."""
    rows = connection.execute(select(quarantine).order_by(quarantine.c.id))
    return [from_row(QuarantineEntry, row) for row in rows]
