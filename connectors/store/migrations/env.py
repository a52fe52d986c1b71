"""Alembic environment for the state store.

At runtime `connectors.store.migrate.upgrade` hands over an open connection through
``config.attributes["connection"]`` so migrations run inside the store's own transaction
and lock. Run by hand (``alembic -c <ini>``, e.g. to draft a revision), it falls back to
``sqlalchemy.url`` from the config or to the default database URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from connectors.store.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode recreates tables when needed.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from connectors.store.engine import default_database_url, make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or default_database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    from connectors.store.engine import default_database_url

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or default_database_url(),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
