"""Identity layers: SSO ids, manual overrides, people.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-01

- ``members.sso_id`` and ``crm_contacts.sso_id`` (nullable, indexed): the SSO layer's key.
- ``identity_overrides``: the operator's member_key → account_id (NULL: never match).
- ``identity_people``: member_key → person_key of the last resolution (the same person on
  Discourse and Slack), replaced with the matches by ``Store.save_resolution``.

Hand-written like 0001; column types spelled out so later edits to ``tables.py`` cannot
change history. Plain ``ADD COLUMN`` / ``DROP COLUMN`` (SQLite 3.35+) on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("members", sa.Column("sso_id", sa.String(), nullable=True))
    op.create_index("ix_members_sso_id", "members", ["sso_id"])
    op.add_column("crm_contacts", sa.Column("sso_id", sa.String(), nullable=True))
    op.create_index("ix_crm_contacts_sso_id", "crm_contacts", ["sso_id"])

    op.create_table(
        "identity_overrides",
        sa.Column("member_key", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String()),
        sa.Column("note", sa.Text(), nullable=False, server_default=sa.text("''")),
        _ts("created_at"),
    )

    op.create_table(
        "identity_people",
        sa.Column("member_key", sa.String(), primary_key=True),
        sa.Column("person_key", sa.String(), nullable=False),
        _ts("updated_at"),
    )
    op.create_index("ix_identity_people_person_key", "identity_people", ["person_key"])


def downgrade() -> None:
    op.drop_table("identity_people")
    op.drop_table("identity_overrides")
    # Native DROP COLUMN (SQLite 3.35+), not batch mode: recreating crm_contacts would
    # lose its expression index, which SQLite reflection cannot see.
    op.drop_index("ix_crm_contacts_sso_id", table_name="crm_contacts")
    op.drop_column("crm_contacts", "sso_id")
    op.drop_index("ix_members_sso_id", table_name="members")
    op.drop_column("members", "sso_id")
