"""Bring a state database to the latest schema with Alembic, from code.

No ``alembic.ini`` ships: the config is built here, pointing at the migrations folder
inside the installed package, and the store's own connection is handed to ``env.py`` so
the upgrade runs in one transaction under a lock (concurrent workers opening the same
PostgreSQL database at once must not both create the tables).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from .engine import WRITE_OPTION, redact, translate_errors
from .errors import StoreError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_revision", "head_revision", "upgrade"]

#: The Alembic script directory, inside the package so it ships with the wheel.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: Arbitrary, fixed key of the PostgreSQL advisory lock held while migrating.
_PG_MIGRATION_LOCK = 0x5C0_12E5


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code; ``connection`` is passed to ``env.py`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the package knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at (None if never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate ``engine``'s database to ``revision``; a no-op if it is already there."""
    with translate_errors(engine):
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                try:
                    command.upgrade(alembic_config(connection), revision)
                except CommandError as exc:
                    # Typically a database migrated by a newer release than this one.
                    raise StoreError(
                        f"cannot migrate the state database {redact(engine.url)}: {exc}"
                    ) from exc
