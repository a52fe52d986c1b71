"""Thread owners learned once ever, and replies held until their thread's starter is known.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_owners",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("thread_id", sa.String(), primary_key=True),
        sa.Column("owner_key", sa.String(), nullable=True),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "held_events",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("source_event_id", sa.String(), primary_key=True),
        sa.Column("thread_id", sa.String(), nullable=False),
        sa.Column("member_key", sa.String(), nullable=False),
        sa.Column("event", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_held_events_thread", "held_events", ["source", "thread_id"])


def downgrade() -> None:
    op.drop_index("ix_held_events_thread", table_name="held_events")
    op.drop_table("held_events")
    op.drop_table("thread_owners")
