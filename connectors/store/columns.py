"""Stored activities as columns for scoring: a million rows read without a Python object each.

A sync scores every stored activity. As `Activity` records that is about 1.9 KB a row and
most of a run's time; scoring needs only who, what and when. Timestamps come back as whole
microseconds (PostgreSQL computes them, SQLite's text is parsed by numpy), so the seconds
are exactly ``occurred_at.timestamp()`` of the record.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import BigInteger, Connection, String, cast, func, select, type_coerce

from scoring.errors import ScoringError
from scoring.frame import ActivityFrame
from scoring.records import ACTIVITY_TYPES

from . import tables as t

__all__ = ["read_activity_frame"]

#: Rows fetched per round trip (and converted per numpy call).
CHUNK = 100_000
_TYPE_INDEX = {name: i for i, name in enumerate(ACTIVITY_TYPES)}


def read_activity_frame(conn: Connection) -> ActivityFrame:
    """Every stored activity as an `ActivityFrame`; member keys numbered in sorted order (stable across runs)."""
    column = t.activities.c.occurred_at
    postgres = conn.dialect.name == "postgresql"
    when = cast(func.extract("epoch", column) * 1_000_000, BigInteger) if postgres else type_coerce(column, String)
    query = select(t.activities.c.member_key, t.activities.c.type, when)
    index: dict[str, int] = {}
    members, kinds, micros = [], [], []
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    for chunk in result.partitions():
        keys, types, stamps = zip(*chunk)
        members.append(np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int32,
                                   count=len(keys)))
        kinds.append(np.fromiter((_type_index(name) for name in types), dtype=np.int8, count=len(types)))
        micros.append(np.array(stamps, dtype=np.int64) if postgres
                      else np.array(stamps, dtype="datetime64[us]").astype(np.int64))
    keys = sorted(index)
    renumber = np.empty(len(index), dtype=np.int32)
    renumber[[index[k] for k in keys]] = np.arange(len(keys), dtype=np.int32)
    member = renumber[np.concatenate(members)] if members else np.zeros(0, dtype=np.int32)
    seconds = np.concatenate(micros) / 1e6 if micros else np.zeros(0)
    kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8)
    return ActivityFrame.from_arrays(keys, member, kind, seconds)


def _type_index(name: str) -> int:
    found = _TYPE_INDEX.get(name)
    if found is None:
        raise ScoringError(f"a stored activity has unknown type {name!r}; use one of {list(ACTIVITY_TYPES)}")
    return found
