"""Stored activities read back: as columns for scoring (a million rows without a Python object
each), and as records for the few a play shows.

A sync scores every stored activity. As `Activity` records that is about 1.9 KB a row and
most of a run's time; scoring needs only who, what and when. PostgreSQL numbers the members
and types itself and sends the rows packed into one binary value, read by numpy in one call; SQLite's rows
are converted a chunk at a time. Timestamps are whole microseconds either way (PostgreSQL
computes them, SQLite's UTC text is parsed by numpy), so the seconds are exactly
``occurred_at.timestamp()`` of the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, String, func, select, type_coerce

from scoring.errors import ScoringError
from scoring.frame import ActivityFrame
from scoring.records import ACTIVITY_TYPES, Activity

from . import tables as t
from .dml import KEYS_PER_QUERY, chunks
from .rows import from_row

__all__ = ["read_activities", "read_activity_frame"]

#: Rows fetched per round trip (and converted per numpy call).
CHUNK = 100_000
_TYPE_INDEX = {name: i for i, name in enumerate(ACTIVITY_TYPES)}


def read_activity_frame(conn: Connection) -> ActivityFrame:
    """Every stored activity as an `ActivityFrame`; member keys numbered in sorted order (stable across runs)."""
    if conn.dialect.name == "postgresql":
        return _postgres_frame(conn)
    index: dict[str, int] = {}
    members, kinds, micros = [], [], []
    query = select(t.activities.c.member_key, t.activities.c.type, type_coerce(t.activities.c.occurred_at, String))
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    for chunk in result.partitions():
        keys, types, stamps = zip(*chunk)
        members.append(np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int32,
                                   count=len(keys)))
        kinds.append(np.fromiter((_type_index(name) for name in types), dtype=np.int8, count=len(types)))
        micros.append(np.array(stamps, dtype="datetime64[us]").astype(np.int64))  # SQLite keeps UTC text
    keys = sorted(index)
    renumber = np.empty(len(index), dtype=np.int32)
    renumber[[index[k] for k in keys]] = np.arange(len(keys), dtype=np.int32)
    member = renumber[np.concatenate(members)] if members else np.zeros(0, dtype=np.int32)
    seconds = np.concatenate(micros) / 1e6 if micros else np.zeros(0)
    kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8)
    return ActivityFrame.from_arrays(keys, member, kind, seconds)


#: One row of `_POSTGRES_ROWS`, as PostgreSQL's ``int4send``/``int2send``/``int8send`` write it: big-endian.
_PACKED_ROW = np.dtype([("member", ">i4"), ("type", ">i2"), ("micros", ">i8")])
#: Activity ids per `_POSTGRES_ROWS` value: at most 14 bytes a row keeps each value far below bytea's 1 GB.
ID_SPAN = 20_000_000
_POSTGRES_KEYS = 'SELECT member_key FROM activities GROUP BY member_key ORDER BY member_key COLLATE "C"'
#: Member index by the sorted keys, type index by ACTIVITY_TYPES (-1: unknown, refused by the frame) and
#: microseconds of the activities of one id range, packed into one bytea: one value to read, where COPY
#: sends a message per row that psycopg hands over one Python call at a time (most of the read).
_POSTGRES_ROWS = """SELECT string_agg(int4send(k.idx::int4)
                         || int2send(coalesce(array_position(%(types)s::text[], a.type) - 1, -1)::int2)
                         || int8send((extract(epoch FROM a.occurred_at) * 1000000)::int8), ''::bytea)
    FROM activities a JOIN (
        SELECT member_key, (row_number() OVER (ORDER BY member_key COLLATE "C") - 1) AS idx
        FROM (SELECT DISTINCT member_key FROM activities) d
    ) k USING (member_key)
    WHERE a.id >= %(low)s AND a.id < %(high)s"""


def _postgres_frame(conn: Connection) -> ActivityFrame:
    """The frame in statements of one snapshot: the sorted keys, then the rows packed per id range (no row objects)."""
    conn = conn.execution_options(isolation_level="REPEATABLE READ")
    parts: list[bytes] = []
    with conn.begin():
        keys = [key for (key,) in conn.exec_driver_sql(_POSTGRES_KEYS)]
        low, high = conn.exec_driver_sql("SELECT min(id), max(id) FROM activities").one()
        with conn.connection.driver_connection.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            for start in range(low or 0, (high or -1) + 1, ID_SPAN):
                cursor.execute(_POSTGRES_ROWS, {"types": list(ACTIVITY_TYPES), "low": start, "high": start + ID_SPAN})
                packed = cursor.fetchone()[0]  # type: ignore[index]
                if packed is not None:  # no row in the range
                    parts.append(packed)
    rows = np.frombuffer(b"".join(parts), dtype=_PACKED_ROW)
    kind = rows["type"]
    unknown = kind < 0
    if unknown.any():
        raise ScoringError(f"{int(unknown.sum())} stored activities have an unknown type; "
                           f"use one of {list(ACTIVITY_TYPES)}")
    return ActivityFrame.from_arrays(keys, rows["member"].astype(np.int32), kind.astype(np.int8),
                                     rows["micros"].astype(np.int64) / 1e6)


def read_activities(conn: Connection, since: datetime | None = None, member_keys: Iterable[str] | None = None, *,
                    types: Iterable[str] | None = None, latest: int | None = None) -> list[Activity]:
    """Activities as records in time order; see `Store.activities`."""
    a = t.activities
    query = select(a)
    if since is not None:
        query = query.where(a.c.occurred_at >= since)
    if types is not None:
        query = query.where(a.c.type.in_(sorted(set(types))))
    if member_keys is None:
        return [from_row(Activity, r) for r in conn.execute(query.order_by(a.c.occurred_at, a.c.id))]
    found: list[Activity] = []
    for keys in chunks(sorted(set(member_keys)), KEYS_PER_QUERY):
        part = query.where(a.c.member_key.in_(keys))
        if latest is not None:  # each member's latest: a busy member's whole history is not read
            rank = func.row_number().over(partition_by=a.c.member_key,
                                          order_by=(a.c.occurred_at.desc(), a.c.id.desc()))
            ranked = part.add_columns(rank.label("recency")).subquery()
            part = select(*(ranked.c[c.name] for c in a.c)).where(ranked.c.recency <= latest)
        found += (from_row(Activity, r) for r in conn.execute(part))
    found.sort(key=lambda activity: activity.occurred_at)
    return found


def _type_index(name: str) -> int:
    found = _TYPE_INDEX.get(name)
    if found is None:
        raise ScoringError(f"a stored activity has unknown type {name!r}; use one of {list(ACTIVITY_TYPES)}")
    return found
