"""Bulk insert-or-skip and insert-or-update that read the same on SQLite and PostgreSQL.

Both dialects speak ``INSERT … ON CONFLICT``; only the construct that builds it differs.
Rows go in chunks through SQLAlchemy's "insertmanyvalues" batching, which is what makes
tens of thousands of activities per second possible without dropping to raw SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from .errors import StoreError

__all__ = ["CHUNK", "KEYS_PER_QUERY", "chunks", "dialect_insert", "insert_ignore", "upsert"]

#: Rows per statement execution: large enough to amortise, small enough to bound memory.
CHUNK = 5_000
#: Keys per ``IN (...)`` list: well below SQLite's bound-parameter limit.
KEYS_PER_QUERY = 500
T = TypeVar("T")

Row = Mapping[str, Any]


def dialect_insert(connection: Connection) -> Callable[[Table], Any]:
    """The ``insert`` construct that knows ``ON CONFLICT`` for this connection's database."""
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise StoreError(f"unsupported database dialect {name!r}")


def chunks(rows: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` rows, without materialising the whole input."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def insert_ignore(
    connection: Connection, table: Table, rows: Iterable[Row], *, conflict: Sequence[str]
) -> int:
    """Insert ``rows``, skipping any that clash on ``conflict``; return how many went in.

    Counting uses ``RETURNING`` (skipped rows return nothing), the one count both drivers
    report exactly for batched statements.
    """
    pk = list(table.primary_key.columns)
    stmt = (
        dialect_insert(connection)(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*pk)
    )
    inserted = 0
    for chunk in chunks(rows):
        inserted += len(connection.execute(stmt, chunk).all())
    return inserted


def upsert(
    connection: Connection,
    table: Table,
    rows: Iterable[Row],
    *,
    keys: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` or update the existing ones with the same key; return rows written.

    Rows repeating a key within one call keep the last one: PostgreSQL refuses to update the
    same row twice in one statement, and "last wins" is what a caller paging through a
    source expects anyway.
    """
    key_names = list(keys) if keys is not None else [c.name for c in table.primary_key.columns]
    unique: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        unique[tuple(row[k] for k in key_names)] = row
    if not unique:
        return 0
    insert = dialect_insert(connection)(table)
    columns = list(next(iter(unique.values())).keys())
    updates = {name: insert.excluded[name] for name in columns if name not in key_names}
    stmt = (
        insert.on_conflict_do_update(index_elements=key_names, set_=updates)
        if updates
        else insert.on_conflict_do_nothing(index_elements=key_names)
    )
    for chunk in chunks(unique.values()):
        connection.execute(stmt, chunk)
    return len(unique)
