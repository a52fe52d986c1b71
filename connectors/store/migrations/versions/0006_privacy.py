"""Privacy: the opt-out list that every pull and playbook honours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

- ``privacy_opt_outs``: one row per forgotten email, member key or thread title, holding
  only the SHA-256 digest of the value (`connectors.store.privacy.digest`), never the value
  itself, so the list that keeps a person out stores nothing about them. ``kind`` says what
  was hashed (``email``, ``member`` or ``title``); ``reason`` is the operator's note (a
  ticket number, not personal data).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_opt_outs",
        sa.Column("digest", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('email', 'member', 'title')", name="ck_privacy_opt_outs_kind"),
    )


def downgrade() -> None:
    op.drop_table("privacy_opt_outs")
