"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timezone-aware timestamp, PostgreSQL hands `timestamptz` back in the
session's zone: storing UTC and re-attaching UTC on the way out makes both backends
return identical, comparable, timezone-aware values.

Text is the other difference: PostgreSQL refuses NUL in ``text`` and ``\u0000`` in
``jsonb``, and no driver can encode a lone surrogate. The connectors clean what they read
(`connectors.sanitize`); `CleanString`, `CleanText` and `JSONDocument` clean again on the
way in, as the last line, so one stray character can never fail a whole transaction.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from connectors.sanitize import clean_json, clean_text

__all__ = ["CleanJSON", "CleanString", "CleanText", "JSONDocument", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware in UTC.

    Naive datetimes are refused: guessing their zone is how off-by-hours bugs are born.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: pass a timezone-aware one"
            )
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            # SQLite stores text; a fixed naive-UTC format keeps ordering and comparison right.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class CleanString(TypeDecorator[str]):
    """``VARCHAR`` that stores strings without NULs and with lone surrogates replaced."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return clean_text(value) if isinstance(value, str) else value


class CleanText(CleanString):
    """``TEXT`` with the cleaning of `CleanString`."""

    impl = Text
    cache_ok = True


class CleanJSON(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact); every string cleaned."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return clean_json(value)


#: The type of the JSON payload columns.
JSONDocument = CleanJSON()
