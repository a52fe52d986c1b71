"""Ledger claims: an owner and a lease per in-flight action, so two runs never perform one key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

- ``action_ledger.claimed_by`` (the run performing the action) and ``lease_until`` (until
  when it may; past that a crashed run's claim can be taken over), both nullable.
- ``in_flight`` joins the statuses the CHECK constraint allows.

Batch mode: SQLite cannot alter a CHECK constraint, so there the table is recreated (the
named constraint and the status index are reflected and carried over; no other table
refers to ``action_ledger``). PostgreSQL gets plain ALTER TABLE statements.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CHECK = "ck_action_ledger_status"


def upgrade() -> None:
    with op.batch_alter_table("action_ledger") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(_CHECK, type_="check")
        batch.create_check_constraint(_CHECK, "status IN ('pending', 'in_flight', 'done', 'failed')")


def downgrade() -> None:
    # An action still in flight is put back to pending: its run may or may not have
    # reached the service, and pending entries from an earlier run are looked up first.
    op.execute(
        "UPDATE action_ledger SET status = 'pending' WHERE status = 'in_flight'"
    )
    with op.batch_alter_table("action_ledger") as batch:
        batch.drop_constraint(_CHECK, type_="check")
        batch.create_check_constraint(_CHECK, "status IN ('pending', 'done', 'failed')")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
