"""Identity layers in the store: SSO ids, manual overrides, people; migration 0001 → 0002."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text

from connectors.store import Store
from connectors.store.engine import make_engine
from connectors.store.migrate import current_revision, head_revision, upgrade
from scoring.identity import resolve
from scoring.records import CrmAccount, CrmContact, Match, Member, Resolution

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_sso_ids_round_trip_on_members_and_contacts(store: Store) -> None:
    members = [
        Member("discourse:1", "discourse", "1", "ann", "ann@acme.test", sso_id="okta|1"),
        Member("slack:U1", "slack", "U1", "ann", None),
    ]
    store.upsert_members(members)
    assert store.members() == members
    contacts = [CrmContact("c1", "ann@acme.test", "a1", "Ann", sso_id="okta|1"), CrmContact("c2")]
    store.upsert_contacts("hubspot", contacts)
    assert store.contacts("hubspot") == contacts


def test_overrides_set_replace_remove(store: Store) -> None:
    assert store.overrides() == {}
    store.set_override("discourse:1", "a1", note="confirmed by the SDR")
    store.set_override("slack:U2", None)
    assert store.overrides() == {"discourse:1": "a1", "slack:U2": None}

    store.set_override("discourse:1", "a2")
    store.remove_override("slack:U2")
    store.remove_override("never-set")
    assert store.overrides() == {"discourse:1": "a2"}
    with store.engine.connect() as conn:
        note, created_at = conn.execute(
            text("SELECT note, created_at FROM identity_overrides WHERE member_key = 'discourse:1'")
        ).one()
    assert note == ""
    assert created_at is not None


def test_people_are_replaced_with_the_resolution(store: Store) -> None:
    first = Resolution(
        matches={"discourse:1": Match("discourse:1", "a1", "email", 1.0, "c1")},
        unmatched={"slack:U1": "bot"},
        person_of={"discourse:1": "discourse:1", "slack:U1": "discourse:1", "slack:U2": "slack:U2"},
    )
    store.save_resolution(first)
    assert store.people() == first.person_of
    store.save_resolution(Resolution())
    assert store.people() == {}


def test_a_new_resolution_replaces_the_old_and_rewrites_only_what_changed(store: Store) -> None:
    first = Resolution(
        matches={"d:1": Match("d:1", "a1", "email", 1.0, "c1"), "d:2": Match("d:2", "a2", "domain", 0.7),
                 "d:3": Match("d:3", "a3", "domain", 0.7)},
        unmatched={"d:4": "free-mail domain", "d:5": "bot"},
        person_of={"d:1": "d:1", "s:1": "d:1", "d:2": "d:2"},
    )
    second = Resolution(
        matches={"d:1": Match("d:1", "a1", "email", 1.0, "c1"), "d:2": Match("d:2", "a9", "email", 1.0, "c9"),
                 "d:4": Match("d:4", "a4", "sso", 1.0)},
        unmatched={"d:5": "bot", "d:3": "no company domain"},
        person_of={"d:1": "d:1", "d:2": "d:1"},
    )
    store.save_resolution(first)
    with store.engine.begin() as conn:  # mark every row, to see which ones the second save rewrites
        for table in ("identity_matches", "identity_unmatched", "identity_people"):
            conn.execute(text(f"UPDATE {table} SET updated_at = :at"), {"at": T0})

    store.save_resolution(second)

    assert store.matches() == second.matches
    assert store.unmatched() == second.unmatched
    assert store.people() == second.person_of
    with store.engine.connect() as conn:
        untouched = {(table, key) for table in ("identity_matches", "identity_unmatched", "identity_people")
                     for (key,) in conn.execute(text(f"SELECT member_key FROM {table} WHERE updated_at = :at"),
                                                {"at": T0})}
    assert untouched == {("identity_matches", "d:1"), ("identity_unmatched", "d:5"), ("identity_people", "d:1")}


def test_flow_round_trip_with_overrides(store: Store) -> None:
    """What the resolve task does: read, resolve with the stored overrides, save, read back."""
    store.upsert_members(
        [
            Member("discourse:1", "discourse", "1", "ann", "Ann@acme.test"),
            Member("slack:U1", "slack", "U1", "ann", "ann@acme.test"),
            Member("slack:U2", "slack", "U2", "bo", "bo@gmail.com", company="Globex"),
            Member("slack:U3", "slack", "U3", "cy", None, sso_id="okta|3"),
        ]
    )
    store.upsert_accounts("hubspot", [CrmAccount("a1", "Acme", "acme.test"), CrmAccount("a2", "Globex")])
    store.upsert_contacts("hubspot", [CrmContact("c3", None, "a2", sso_id="okta|3")])
    store.set_override("slack:U2", None, note="student, not Globex")

    resolution = resolve(
        store.members(), store.contacts("hubspot"), store.accounts("hubspot"), overrides=store.overrides()
    )
    store.save_resolution(resolution)

    assert {k: (m.account_id, m.method) for k, m in store.matches().items()} == {
        "discourse:1": ("a1", "domain"),
        "slack:U1": ("a1", "domain"),
        "slack:U3": ("a2", "sso"),
    }
    assert store.unmatched() == {"slack:U2": "manual override: never match"}
    assert store.people()["slack:U1"] == "discourse:1"


def test_migrating_0001_data_to_head_keeps_it(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO members (key, source, external_id, username, email, is_staff,"
                    " is_bot, updated_at) VALUES ('discourse:1', 'discourse', '1', 'ann',"
                    " 'ann@acme.test', false, false, :t)"
                ),
                {"t": T0},
            )
            conn.execute(
                text(
                    "INSERT INTO crm_contacts (crm, id, email, account_id, updated_at)"
                    " VALUES ('hubspot', 'c1', 'ann@acme.test', 'a1', :t)"
                ),
                {"t": T0},
            )
        upgrade(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()
    with Store.open(database_url) as store:
        assert store.members() == [Member("discourse:1", "discourse", "1", "ann", "ann@acme.test")]
        assert store.contacts("hubspot") == [CrmContact("c1", "ann@acme.test", "a1")]


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_downgrade_to_0001_and_back(database_url: str) -> None:
    from alembic import command

    from connectors.store.migrate import alembic_config

    with Store.open(database_url) as store:
        store.set_override("discourse:1", "a1")
        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        names = set(inspect(store.engine).get_table_names())
        assert not {"identity_overrides", "identity_people"} & names
        assert "sso_id" not in {c["name"] for c in inspect(store.engine).get_columns("members")}
        if store.engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'crm_contacts'"
            with store.engine.connect() as conn:
                assert "ix_crm_contacts_email_lower" in set(conn.execute(text(query)).scalars())
        upgrade(store.engine)
        assert store.overrides() == {}


def test_the_identity_inputs_change_with_every_write_resolution_reads(store: Store) -> None:
    store.upsert_members([Member("discourse:1", "discourse", "1", "ann", "ann@acme.test")])
    store.upsert_accounts("hubspot", [CrmAccount("a1", "Acme", "acme.test")])
    seen = [store.identity_inputs("hubspot")]
    assert store.identity_inputs("hubspot") == seen[0]  # nothing written: the same

    for write in (lambda: store.upsert_contacts("hubspot", [CrmContact("c1", "ann@acme.test", "a1")]),
                  lambda: store.upsert_accounts("hubspot", [CrmAccount("a2", "Globex", "globex.test")]),
                  lambda: store.upsert_members([Member("discourse:2", "discourse", "2", "bob", "bob@globex.test")]),
                  lambda: store.set_override("discourse:2", "a1"),
                  lambda: store.remove_override("discourse:2"),
                  lambda: store.forget(member_key="discourse:2")):
        write()
        seen.append(store.identity_inputs("hubspot"))

    # each write changes it (a write that restores earlier data exactly may restore its fingerprint too)
    assert all(before != after for before, after in zip(seen, seen[1:])), "\n".join(seen)
    store.upsert_contacts("salesforce", [CrmContact("003X", "carl@initech.test")])
    assert store.identity_inputs("hubspot") == seen[-1]  # another CRM's contacts are not this resolution's
