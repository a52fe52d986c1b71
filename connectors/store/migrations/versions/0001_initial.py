"""Initial schema: members, activities, CRM cache, identity, cursors, tiers, ledger, quarantine.

Revision ID: 0001
Revises:
Create Date: 2025-11-23

Hand-written so that what runs in production is exactly what was reviewed; column types
are spelled out here rather than imported, so later edits to ``tables.py`` cannot change
history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("email", sa.String()),
        sa.Column("name", sa.String()),
        sa.Column("company", sa.String()),
        sa.Column("is_staff", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_bot", sa.Boolean(), nullable=False, server_default=sa.false()),
        _ts("updated_at"),
    )

    op.create_table(
        "activities",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("source_event_id", sa.String(), nullable=False),
        sa.Column("member_key", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        _ts("occurred_at"),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("excerpt", sa.Text()),
        _ts("ingested_at"),
        sa.UniqueConstraint("source", "source_event_id", name="uq_activities_source_event"),
    )
    op.create_index("ix_activities_member_key", "activities", ["member_key"])
    op.create_index("ix_activities_occurred_at", "activities", ["occurred_at"])

    op.create_table(
        "crm_owners",
        sa.Column("crm", sa.String(), primary_key=True),
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("email", sa.String()),
        sa.Column("name", sa.String()),
        _ts("updated_at"),
    )

    op.create_table(
        "crm_accounts",
        sa.Column("crm", sa.String(), primary_key=True),
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("domain", sa.String()),
        sa.Column("owner_id", sa.String()),
        sa.Column("plan", sa.String()),
        sa.Column("value", sa.Float(), nullable=False, server_default=sa.text("0")),
        _ts("updated_at"),
    )
    op.create_index("ix_crm_accounts_domain", "crm_accounts", ["domain"])

    op.create_table(
        "crm_contacts",
        sa.Column("crm", sa.String(), primary_key=True),
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("email", sa.String()),
        sa.Column("account_id", sa.String()),
        sa.Column("name", sa.String()),
        _ts("updated_at"),
    )
    op.create_index("ix_crm_contacts_email_lower", "crm_contacts", [sa.text("lower(email)")])

    op.create_table(
        "identity_matches",
        sa.Column("member_key", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("contact_id", sa.String()),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _ts("updated_at"),
    )

    op.create_table(
        "identity_unmatched",
        sa.Column("member_key", sa.String(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("updated_at"),
    )

    op.create_table(
        "sync_cursors",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        _ts("updated_at"),
    )

    op.create_table(
        "tier_state",
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("entity_id", sa.String(), primary_key=True),
        sa.Column("tier", sa.String()),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _ts("since"),
        _ts("updated_at"),
    )

    op.create_table(
        "action_ledger",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("payload", _Json, nullable=False),
        sa.Column("external_id", sa.String()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text()),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name="ck_action_ledger_status"
        ),
    )
    op.create_index("ix_action_ledger_status", "action_ledger", ["status"])

    op.create_table(
        "quarantine",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("ref", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _ts("created_at"),
    )


def downgrade() -> None:
    for table in (
        "quarantine",
        "action_ledger",
        "tier_state",
        "sync_cursors",
        "identity_unmatched",
        "identity_matches",
        "crm_contacts",
        "crm_accounts",
        "crm_owners",
        "activities",
        "members",
    ):
        op.drop_table(table)
