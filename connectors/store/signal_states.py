"""Which signals hold now (churn risk, fast-rising, champion, re-emerged), per entity.

Kept so that a signal's Prefect event fires when the signal starts, not on every sync while
it holds: an automation on ``community.account.churn-risk`` should run once per episode.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_

from .dml import insert_ignore
from .tables import signal_state

__all__ = ["SignalKey", "replace_active", "starts"]

#: (signal, entity id), e.g. ("churn-risk", "acme").
SignalKey = tuple[str, str]


def replace_active(connection: Connection, current: Iterable[SignalKey], now: datetime) -> set[SignalKey]:
    """Make ``current`` the signals that hold; return the ones that were not holding before."""
    wanted = set(current)
    stored = {(r.signal, r.entity_id) for r in connection.execute(select(signal_state))}
    ended = stored - wanted
    started = wanted - stored
    if ended:
        connection.execute(delete(signal_state).where(
            tuple_(signal_state.c.signal, signal_state.c.entity_id).in_(sorted(ended))))
    if started:
        insert_ignore(connection, signal_state,
                      [{"signal": s, "entity_id": e, "started_at": now} for s, e in sorted(started)],
                      conflict=["signal", "entity_id"])
    return started


def starts(connection: Connection, signal: str) -> dict[str, datetime]:
    """entity id → when ``signal`` started holding for it (for the signals holding now)."""
    rows = connection.execute(select(signal_state).where(signal_state.c.signal == signal))
    return {r.entity_id: r.started_at for r in rows}
