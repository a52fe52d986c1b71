"""Shared fixtures: a state database on each backend (SQLite file, throwaway PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

#: The local PostgreSQL; each test gets its own database created next to this one.
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin(url):
    """An autocommit psycopg connection to ``url``; skip (fail on CI) if it is down."""
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL not reachable at {url.render_as_string()} ({exc}). Start it with: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty state database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    from sqlalchemy.engine import make_url

    admin_url = make_url(PG_URL)
    name = f"cs_{uuid.uuid4().hex[:16]}"
    with _pg_admin(admin_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin(admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(database_url: str):
    """`Store.open(database_url)`, closed afterwards."""
    from connectors.store import Store

    with Store.open(database_url) as opened:
        yield opened


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The end-to-end tests run last.

    They start a Prefect server of their own and point this process's Prefect client at it
    for a while; run before the flow tests, Prefect's log worker in this process stays tied
    to that server after it stops, and the flow tests' harness then waits minutes for logs
    it can no longer deliver.
    """
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))
