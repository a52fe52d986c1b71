"""CRM opportunities (attribution) and inbound events (real-time capture, deduplicated).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

- ``crm_opportunities``: deals per CRM, the upgrades that attribution ties to Intent alerts.
- ``inbound_events``: one row per event id a receiver (Slack Events API, webhooks) has
  accepted, so a retried delivery is stored once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_opportunities",
        sa.Column("crm", sa.String(), primary_key=True),
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String()),
        sa.Column("name", sa.String()),
        sa.Column("stage", sa.String()),
        sa.Column("amount", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("is_won", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("community_influenced", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_crm_opportunities_account_id", "crm_opportunities", ["account_id"])
    op.create_table(
        "inbound_events",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("event_id", sa.String(), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_events")
    op.drop_index("ix_crm_opportunities_account_id", table_name="crm_opportunities")
    op.drop_table("crm_opportunities")
