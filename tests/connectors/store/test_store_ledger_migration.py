"""Migration 0004 (ledger claims) on a database that already holds actions, both ways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from connectors.store import Store
from connectors.store.engine import make_engine
from connectors.store.migrate import alembic_config, upgrade

INSERT = text(
    "INSERT INTO action_ledger (key, kind, status, payload, attempts, created_at, updated_at) "
    "VALUES (:key, 'slack_alert', :status, '{\"channel\": \"#x\"}', 0, "
    "'2025-01-01 00:00:00', '2025-01-01 00:00:00')"
)


def test_entries_recorded_before_claims_survive_and_can_be_claimed(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(INSERT, [{"key": "old-pending", "status": "pending"},
                                  {"key": "old-done", "status": "done"}])
        upgrade(engine)
        store = Store(engine)
        pending = store.ledger_entry("old-pending")
        assert pending is not None
        assert (pending.status, pending.payload, pending.claimed_by, pending.lease_until) == (
            "pending", {"channel": "#x"}, None, None)
        assert store.ledger_claim("old-pending", "run-a", lease=timedelta(minutes=1)) is not None
        assert store.ledger_claim("old-done", "run-a", lease=timedelta(minutes=1)) is None
        with pytest.raises(IntegrityError):  # the CHECK constraint knows in_flight, nothing more
            with engine.begin() as conn:
                conn.execute(text("UPDATE action_ledger SET status = 'sent' WHERE key = 'old-done'"))

        with engine.begin() as conn:  # back to before claims: in flight becomes pending
            command.downgrade(alembic_config(conn), "0003")
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT key, status FROM action_ledger")).all())
            columns = set(conn.execute(text("SELECT * FROM action_ledger")).keys())
        assert rows == {"old-pending": "pending", "old-done": "done"}
        assert "status" in columns and not {"claimed_by", "lease_until"} & columns
    finally:
        engine.dispose()
