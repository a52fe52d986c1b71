"""The one exception the state store raises for problems a caller can act on.

Driver and SQLAlchemy errors are too varied to catch upstream; flows catch `StoreError`
and read its message, which names the database without its password.
"""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(Exception):
    """The state database could not be reached, opened, migrated or written as asked."""
