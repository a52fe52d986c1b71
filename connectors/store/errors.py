"""The one exception the state store raises for problems a caller can act on.

Driver and SQLAlchemy errors are too varied to catch upstream; flows catch `StoreError`
and read its message, which names the database without its password.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError

__all__ = ["StoreError", "is_transient"]


class StoreError(Exception):
    """The state database could not be reached, opened, migrated or written as asked."""


def is_transient(err: StoreError) -> bool:
    """True when the database could not be used (retry later), False when it refused the data."""
    cause = err.__cause__
    if isinstance(cause, DBAPIError):
        return cause.connection_invalidated or isinstance(cause, (OperationalError, InterfaceError))
    return not isinstance(cause, StatementError)  # a value that could not be bound: the data
