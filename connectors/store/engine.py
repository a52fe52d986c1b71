"""Where the state database lives and how we connect to it.

SQLite is the zero-setup default, so it gets the settings that let a Prefect task thread
and the flow thread share one file (WAL, a busy timeout, write transactions that take the
write lock up front); PostgreSQL URLs are steered to the psycopg 3 driver we ship.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    StatementError,
)
from sqlalchemy.pool import StaticPool

from .errors import StoreError

__all__ = [
    "DATABASE_URL_ENV",
    "SQLITE_BUSY_TIMEOUT_S",
    "WRITE_OPTION",
    "default_database_url",
    "make_engine",
    "redact",
    "translate_errors",
]

#: Environment variable naming the state database; unset means the SQLite file below.
DATABASE_URL_ENV = "COMMUNITY_SCORING_DATABASE_URL"

#: How long a SQLite writer waits for another one before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0

#: Execution option a connection carries when it is about to write (see `_sqlite_begin`).
WRITE_OPTION = "community_scoring_write"

_SUPPORTED = ("sqlite", "postgresql")


def default_database_url() -> str:
    """The URL to use when none is given: the env var, else ``~/.community-scoring/state.db``."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{Path.home() / '.community-scoring' / 'state.db'}"


def redact(url: str | URL) -> str:
    """The URL as it is safe to show in logs and errors: never with its password."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparseable: hide anything between "user:" and "@" ourselves.
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _normalise(url: URL) -> URL:
    """Point bare ``postgresql://``/``postgres://`` URLs at psycopg 3, the driver installed."""
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        backend = "postgresql"
        url = url.set(drivername=f"postgresql+{driver or 'psycopg'}")
    if backend not in _SUPPORTED:
        raise StoreError(
            f"unsupported state database {redact(url)}: use sqlite:///path or postgresql://..."
        )
    return url


def _sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory/URI databases."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def make_engine(url: str) -> Engine:
    """An engine for ``url``, creating a SQLite file's directory; bad URLs raise `StoreError`."""
    try:
        parsed = _normalise(make_url(url))
    except ArgumentError as exc:
        raise StoreError(f"invalid state database URL {redact(url)}: {exc}") from None

    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the directory of the state database {redact(parsed)}: {exc}"
                ) from exc
            parsed = parsed.set(database=str(path))
        elif parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database, not one per thread
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}

    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot use state database {redact(parsed)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL + busy timeout on every connection, and transactions SQLAlchemy really controls."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit,
        # DML-only one, so DDL is transactional and writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _use_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # A deferred transaction that reads then writes cannot wait for the lock (SQLite
        # reports "database is locked" at once); writers ask for it at BEGIN instead.
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _use_wal(cursor: Any) -> None:
    """Put the file in WAL mode (it stays so), waiting for a concurrent switch to finish.

    Switching a new file to WAL takes an exclusive lock, and when two connections switch at
    once (workers opening a brand-new database together) SQLite answers "database is
    locked" at once instead of calling the busy handler, since waiting there could
    deadlock. So: read the mode first (WAL already: nothing to do), and on a busy switch
    retry with a short backoff until the busy timeout, re-reading what the other
    connection has meanwhile set.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.002
    while True:
        try:
            mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode in ("wal", "memory"):  # memory: an in-memory database has no WAL
                return
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Re-raise database errors as `StoreError`, naming the database but never its password.

    Callers (flows, playbooks) then need to know one exception type, not SQLAlchemy's and
    each driver's; the original stays chained as ``__cause__`` for debugging.
    """
    try:
        yield
    except DBAPIError as exc:
        where = redact(engine.url)
        detail = _scrub(str(exc.orig) if exc.orig is not None else str(exc), engine.url).strip()
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
            raise StoreError(f"cannot use the state database {where}: {detail}") from exc
        raise StoreError(f"the state database {where} refused the operation: {detail}") from exc
    except StatementError as exc:  # a value could not be bound, e.g. a naive datetime
        raise StoreError(f"cannot store a value in {redact(engine.url)}: {exc.orig}") from exc


def _scrub(message: str, url: URL) -> str:
    """Belt and braces: a driver message must not leak the password either."""
    if url.password:
        message = message.replace(str(url.password), "***")
    return message
