"""Quarantine once per record: a bad record is kept one time, not once per run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Adds ``quarantine.fingerprint`` (SHA-256 of the record's ref, or of its payload when it has
none) with a unique index on (source, fingerprint), so the store can insert-or-ignore.
Rows already there get their fingerprint here; of duplicates the oldest row is kept.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_INDEX = "uq_quarantine_source_fingerprint"
_BATCH = 1_000

_quarantine = sa.table(
    "quarantine",
    sa.column("id", sa.Integer()),
    sa.column("source", sa.String()),
    sa.column("ref", sa.Text()),
    sa.column("payload", sa.Text()),
    sa.column("fingerprint", sa.String()),
)


def _fingerprint(ref: str | None, payload: str) -> str:
    """Frozen copy of ``connectors.store.quarantine.fingerprint`` (history must not move)."""
    basis = f"ref:{ref}" if ref is not None else f"payload:{payload}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("quarantine", sa.Column("fingerprint", sa.String(), nullable=True))
    q = _quarantine
    rows = bind.execute(sa.select(q.c.id, q.c.source, q.c.ref, q.c.payload).order_by(q.c.id))
    seen: set[tuple[str, str]] = set()
    updates: list[dict[str, object]] = []
    duplicates: list[int] = []
    for row in rows.all():
        key = (row.source, _fingerprint(row.ref, row.payload))
        if key in seen:
            duplicates.append(row.id)
        else:
            seen.add(key)
            updates.append({"row_id": row.id, "fp": key[1]})
    stmt = q.update().where(q.c.id == sa.bindparam("row_id")).values(fingerprint=sa.bindparam("fp"))
    for start in range(0, len(updates), _BATCH):
        bind.execute(stmt, updates[start:start + _BATCH])
    for start in range(0, len(duplicates), _BATCH):
        bind.execute(q.delete().where(q.c.id.in_(duplicates[start:start + _BATCH])))
    with op.batch_alter_table("quarantine") as batch:
        batch.alter_column("fingerprint", existing_type=sa.String(), nullable=False)
        batch.create_index(_INDEX, ["source", "fingerprint"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_index(_INDEX)
        batch.drop_column("fingerprint")
