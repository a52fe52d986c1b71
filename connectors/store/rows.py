"""Records ⇄ table rows: the only place that knows both shapes.

Columns carry the records' field names, so one pair of functions converts every record;
a table's extra columns (crm, kind, updated_at, ...) are passed in as keywords.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Row

__all__ = ["from_row", "to_row"]

R = TypeVar("R")


@cache
def _names(cls: type) -> tuple[str, ...]:
    """The field names of a record class (``fields`` is slow enough to matter per row)."""
    return tuple(f.name for f in fields(cls))


def to_row(record: Any, **extra: Any) -> dict[str, Any]:
    """A record's fields as column values, plus the table's own columns."""
    return {name: getattr(record, name) for name in _names(type(record))} | extra


def from_row(cls: type[R], row: Row[Any]) -> R:
    """A record of ``cls`` from the row's columns of the same names."""
    mapping = row._mapping
    return cls(**{name: mapping[name] for name in _names(cls)})  # type: ignore[arg-type]
