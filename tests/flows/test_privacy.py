"""forget_member and purge_raw_text against a synced store, the real Prefect server and the emulators."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from prefect import get_client

from connectors.store import Store
from connectors.store.redact import PLACEHOLDER
from flows.community_sync import community_sync
from flows.privacy import FORGET_KEY, OPT_OUTS_KEY, RETENTION_KEY, forget_member, purge_raw_text
from tests.connectors.store.test_store_privacy import find_text
from tests.flows.artifacts import artifact, run_id
from tests.flows.conftest import NOW, Deployment


def _alerted_person(store: Store):
    """A member named in a sent alert, with a unique name, an email and a CRM contact."""
    members = store.members()
    names = Counter(m.name for m in members)
    contacts = {c.email.lower() for c in store.contacts("hubspot") if c.email}
    alerts = json.dumps([e.payload for e in store.ledger(kind="slack_alert")])
    return next(m for m in members if m.email and m.name and names[m.name] == 1 and m.name in alerts
                and m.email.lower() in contacts and not m.is_staff)


def test_forgetting_a_person_leaves_no_trace_and_a_later_sync_keeps_them_out(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        person = _alerted_person(store)
    user_id = int(person.external_id)
    category = d.community.categories[0].id
    replier = next(p.id for p in d.community.people if p.id > 0 and p.id != user_id and not p.is_staff)
    own = d.community.add_topic(user_id, "Can SAML groups map to workspace roles here?", "we use Okta",
                                category, created_at=NOW + timedelta(minutes=1))
    d.community.add_reply(own.id, replier, "yes, under Settings", created_at=NOW + timedelta(minutes=2))
    community_sync(**d.params, now=NOW + timedelta(minutes=3))
    needles = [person.email, person.username, person.name, person.key, own.title]
    with Store.open(d.database_url) as store:
        ledger_keys = sorted(e.key for e in store.ledger())

    state = forget_member(email=person.email.upper(), reason="ticket 7", database_block=d.params["database_block"],
                          return_state=True)

    with Store.open(d.database_url) as store:
        others = len({a.member_key for a in store.activities()}) - 1
    result = state.result()
    assert result["members"] == 1 and result["deleted"]["activities"] > 0 and result["deleted"]["crm_contacts"] == 1
    assert result["redacted"]["action_ledger"] >= 1
    with Store.open(d.database_url) as store:
        assert find_text(store.engine, needles) == []
        assert sorted(e.key for e in store.ledger()) == ledger_keys
        assert PLACEHOLDER in json.dumps([e.payload for e in store.ledger(kind="slack_alert")])
    with get_client(sync_client=True) as client:  # the run itself keeps only the digest
        parameters = client.read_flow_run(run_id(state)).parameters
    assert parameters["email"].startswith("sha256:") and parameters["reason"] == "ticket 7"
    report = artifact(state, FORGET_KEY)
    assert "| members | 1 | 0 |" in report and person.email.lower() not in report.lower()
    assert set(result["digests"]) <= {r["digest"] for r in artifact(state, OPT_OUTS_KEY)}

    d.community.add_reply(own.id, replier, "still relevant?", created_at=NOW + timedelta(minutes=4))
    d.community.add_topic(user_id, f"Back again, {person.name}", "enterprise pricing?", category,
                          created_at=NOW + timedelta(minutes=5))
    someone = next(p for p in d.community.people if p.id > 0 and p.id != user_id and not p.is_staff)
    d.community.add_topic(someone.id, "A new question about SSO", "pricing?", category,
                          created_at=NOW + timedelta(minutes=6))
    later = community_sync(**d.params, now=NOW + timedelta(hours=1))

    assert later["discourse"]["new_activities"] == 2
    with Store.open(d.database_url) as store:
        assert find_text(store.engine, needles) == []
        assert person.key not in {m.key for m in store.members()}
        keys = {a.member_key for a in store.activities()}
        assert f"discourse:{someone.id}" in keys and len(keys) >= others


def test_with_its_defaults_forget_changes_nothing_and_both_keys_fail(deployment: Deployment) -> None:
    d = deployment
    db = d.params["database_block"]
    forget_member(member_key="discourse:404", reason="ticket 8", database_block=db)
    with Store.open(d.database_url) as store:
        listed = [o.digest for o in store.opt_outs()]
    state = forget_member(database_block=db, return_state=True)
    assert state.is_completed() and state.result()["members"] == 0
    assert [r["digest"] for r in artifact(state, OPT_OUTS_KEY)] == [f"sha256:{x[:16]}" for x in listed]
    both = forget_member(member_key="discourse:1", email="a@b.c", database_block=db, return_state=True)
    assert both.is_failed() and "not both" in both.message


def test_forgetting_one_member_key(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        person = _alerted_person(store)
        members = len(store.members())
    result = forget_member(member_key=person.key, database_block=d.params["database_block"])
    assert result["members"] == 1
    with Store.open(d.database_url) as store:
        assert find_text(store.engine, [person.key, person.username]) == []
        assert len(store.members()) == members - 1
    community_sync(**d.params, now=NOW + timedelta(hours=1))
    with Store.open(d.database_url) as store:
        assert find_text(store.engine, [person.key, person.username]) == []
        assert len(store.members()) == members - 1


def test_purge_raw_text_blanks_old_text_and_keeps_the_activities(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    cutoff = NOW - timedelta(days=30)
    with Store.open(d.database_url) as store:
        before = store.activities()
    old_with_text = sum(1 for a in before if a.occurred_at < cutoff and (a.title or a.excerpt))
    assert old_with_text > 0

    state = purge_raw_text(raw_text_retention_days=30, database_block=d.params["database_block"], now=NOW,
                           return_state=True)

    assert state.result()["activities"] == old_with_text
    with Store.open(d.database_url) as store:
        after = store.activities()
    assert len(after) == len(before)
    assert all(a.title is None and a.excerpt is None for a in after if a.occurred_at < cutoff)
    assert [(a.title, a.excerpt) for a in after if a.occurred_at >= cutoff] == \
        [(a.title, a.excerpt) for a in before if a.occurred_at >= cutoff]
    assert f"{old_with_text} activities" in artifact(state, RETENTION_KEY)
