"""What score write-back last put on each CRM account, so a run writes only changed values.

A row is saved only for the accounts the CRM accepted: an account a batch refused (deleted,
field-level security) is written again by the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_

from scoring.records import AccountScoreUpdate

from .dml import insert_ignore
from .tables import crm_writeback

__all__ = ["save_written", "written"]


def written(connection: Connection, crm: str) -> dict[str, AccountScoreUpdate]:
    """account id → the values last written onto it in ``crm``."""
    rows = connection.execute(select(crm_writeback).where(crm_writeback.c.crm == crm))
    return {r.account_id: AccountScoreUpdate(r.account_id, r.score, r.tier, r.velocity, r.last_activity_at)
            for r in rows}


def save_written(connection: Connection, crm: str, rows: Iterable[AccountScoreUpdate], now: datetime) -> int:
    """Remember ``rows`` as written onto ``crm`` (replacing what was remembered for those accounts)."""
    values = [{"crm": crm, "account_id": r.account_id, "score": r.score, "tier": r.tier, "velocity": r.velocity,
               "last_activity_at": r.last_activity_at, "written_at": now} for r in rows]
    if not values:
        return 0
    keys = sorted({(crm, v["account_id"]) for v in values})
    for start in range(0, len(keys), 500):
        connection.execute(delete(crm_writeback).where(
            tuple_(crm_writeback.c.crm, crm_writeback.c.account_id).in_(keys[start:start + 500])))
    insert_ignore(connection, crm_writeback, values, conflict=["crm", "account_id"])
    return len(values)
