"""Opening, migrating and locating the state database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from connectors.store import Store, StoreError, default_database_url
from connectors.store.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from connectors.store.tables import metadata
from scoring.records import Activity

TABLES = {
    "members",
    "activities",
    "crm_owners",
    "crm_accounts",
    "crm_contacts",
    "identity_matches",
    "identity_unmatched",
    "identity_overrides",
    "identity_people",
    "crm_opportunities",
    "inbound_events",
    "sync_cursors",
    "tier_state",
    "action_ledger",
    "quarantine",
}

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_migrations_create_every_table(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert TABLES <= names
    assert "alembic_version" in names
    with store.engine.connect() as conn:
        assert current_revision(conn) == head_revision() == "0009"


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrated_schema_matches_the_runtime_tables(store: Store) -> None:
    """``tables.py`` and the hand-written revisions must describe the same schema."""
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def _index_names(store: Store, table: str) -> set[str]:
    """Index names from the catalogue (SQLAlchemy cannot reflect SQLite expression indexes)."""
    if store.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE tablename = :t"
    with store.engine.connect() as conn:
        return set(conn.execute(text(query), {"t": table}).scalars())


def test_indexes_exist(store: Store) -> None:
    assert {"ix_activities_member_key", "ix_activities_occurred_at"} <= _index_names(
        store, "activities"
    )
    assert "ix_crm_accounts_domain" in _index_names(store, "crm_accounts")
    assert "ix_crm_contacts_email_lower" in _index_names(store, "crm_contacts")
    assert "ix_action_ledger_status" in _index_names(store, "action_ledger")
    assert "ix_members_sso_id" in _index_names(store, "members")
    assert "ix_crm_contacts_sso_id" in _index_names(store, "crm_contacts")
    assert "ix_identity_people_person_key" in _index_names(store, "identity_people")


def test_reopening_a_migrated_database_is_a_no_op(database_url: str) -> None:
    activity = Activity("discourse", "1", "discourse:1", "reply", T0)
    with Store.open(database_url) as first:
        first.add_activities([activity])
        first.set_cursor("discourse:posts", "42")
    with Store.open(database_url) as again:
        assert again.count_activities() == 1
        assert again.get_cursor("discourse:posts") == "42"
        upgrade(again.engine)  # once more, explicitly
        with again.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v for (v,) in versions] == [head_revision()]


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0002_identity_layers.py").is_file()


def test_default_url_comes_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "state.db"
    monkeypatch.setenv("COMMUNITY_SCORING_DATABASE_URL", f"sqlite:///{target}")
    assert default_database_url() == f"sqlite:///{target}"
    with Store.open() as store:
        assert store.count_activities() == 0
    assert target.is_file()


def test_default_url_is_a_file_in_the_home_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COMMUNITY_SCORING_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".community-scoring" / "state.db"
    assert default_database_url() == f"sqlite:///{expected}"
    with Store.open():
        pass
    assert expected.is_file()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'wal.db'}") as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_unreachable_postgres_error_hides_the_password() -> None:
    url = "postgresql+psycopg://u:secret@127.0.0.1:1/x"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert "secret" not in message
    assert "127.0.0.1:1" in message and "u:***@" in message
    assert "secret" not in str(caught.value.__cause__)


@pytest.mark.parametrize(
    "url",
    ["not a url at all", "mysql://u:secret@localhost/x", "nosuchdb+driver://u:secret@h/x"],
)
def test_bad_urls_raise_store_error_without_password(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert "secret" not in str(caught.value)


def test_bare_postgresql_scheme_uses_psycopg(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    bare = database_url.replace("postgresql+psycopg://", "postgresql://")
    with Store.open(bare) as store:
        assert store.engine.dialect.driver == "psycopg"


def test_concurrent_first_opens_migrate_once(database_url: str) -> None:
    """Several workers opening a brand-new database at once must not trip over each other."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        stores = list(pool.map(lambda _: Store.open(database_url), range(4)))
    try:
        with stores[0].engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        for s in stores:
            s.close()


def test_connections_switching_a_new_sqlite_file_to_wal_at_once_all_succeed(tmp_path: Path) -> None:
    """The cause of the once-seen failure of the test above: two connections switching a
    brand-new file to WAL at the same moment, where SQLite says "database is locked" at once
    (no busy wait). The connections are lined up on a barrier just before their set-up
    pragmas, so the race happens on many of the files."""
    import threading

    from sqlalchemy import event

    from connectors.store.engine import make_engine

    workers, failures = 4, []
    for attempt in range(80):
        engines = [make_engine(f"sqlite:///{tmp_path / f'race{attempt}.db'}") for _ in range(workers)]
        barrier = threading.Barrier(workers)
        for engine in engines:
            event.listen(engine, "connect", lambda *_: barrier.wait(), insert=True)

        def connect(engine) -> None:
            try:
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            except Exception as exc:  # noqa: BLE001 - collected, asserted below
                failures.append(exc)

        threads = [threading.Thread(target=connect, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.dispose()
    assert failures == []


def test_a_database_from_a_newer_release_is_refused_clearly(database_url: str) -> None:
    with Store.open(database_url) as store:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="9999"):
        Store.open(database_url)
