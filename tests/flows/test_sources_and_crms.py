"""community_sync with Slack as a source, Salesforce as the CRM, and both sources at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.store import Store
from connectors.testing.salesforce import SalesforceEmulator
from flows.community_sync import community_sync
from scoring import ScoringModel, score_members
from tests.flows.conftest import NOW, Deployment, make_deployment


@pytest.fixture
def slack_salesforce(tmp_path: Path) -> Iterator[Deployment]:
    yield from make_deployment(tmp_path, sources=("slack",), crm="salesforce")


@pytest.fixture
def both_sources(tmp_path: Path) -> Iterator[Deployment]:
    yield from make_deployment(tmp_path, sources=("discourse", "slack"), crm="hubspot")


def test_slack_and_salesforce_end_to_end_and_rerun(slack_salesforce: Deployment) -> None:
    d = slack_salesforce
    first = community_sync(**d.params, now=NOW)
    entered = first["scored"]["entered_intent"]
    assert first["slack"]["new_activities"] > 0 and first["salesforce"]["accounts"] == len(d.community.companies)
    assert first["salesforce"]["webinar_activities"] > 0 and not first["actions"]["failed"]
    assert entered, "the synthetic community should put some accounts into Intent"
    assert len(d.box.alert_messages()) == len(entered)
    tasks = d.box.crm_tasks()
    assert sorted(t["WhatId"] for t in tasks) == sorted(entered)

    again = community_sync(**d.params, now=NOW)
    assert again["slack"]["new_activities"] == 0 and again["actions"]["done"] == []
    assert len(d.box.alert_messages()) == len(entered) and len(d.box.crm_tasks()) == len(tasks)


def test_salesforce_request_limit_stops_cleanly_and_resumes(slack_salesforce: Deployment) -> None:
    d = slack_salesforce
    sf = d.box.crm
    assert isinstance(sf, SalesforceEmulator)
    sf.faults.add(path="/services/data", status=403, after=3, times=1)  # limit hit after a few reads
    first = community_sync(**d.params, now=NOW)
    assert "daily API limit" in first["salesforce"]["stopped"]
    with Store.open(d.database_url) as store:
        partial = len(store.accounts("salesforce"))
        cursors = {k: store.get_cursor(f"salesforce:{k}") for k in ("owners", "accounts", "contacts")}
    second = community_sync(**d.params, now=NOW)
    assert "stopped" not in second["salesforce"]
    with Store.open(d.database_url) as store:
        assert len(store.accounts("salesforce")) == len(d.community.companies) >= partial
        assert store.get_cursor("salesforce:opportunities") is not None
    assert any(cursors.values())  # what was read before the limit kept its cursor


def test_a_person_on_discourse_and_slack_is_scored_once(both_sources: Deployment) -> None:
    d = both_sources
    summary = community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        people = store.people()
        activities = store.activities()
    active_on: dict[str, set[str]] = {}
    for activity in activities:
        active_on.setdefault(people.get(activity.member_key, activity.member_key), set()).add(activity.source)
    both = sorted(p for p, sources in active_on.items() if {"discourse", "slack"} <= sources)
    assert both, "people active on both Discourse and Slack should be linked into one"
    person = both[0]
    keys = {k for k, p in people.items() if p == person}
    own = [a for a in activities if a.member_key in keys]
    separately = score_members(own, ScoringModel(), NOW)
    assert len(separately) >= 2  # unlinked, the person would count as two members
    with Store.open(d.database_url) as store:
        member_states = store.tier_states("member")
    assert member_states[person].score == pytest.approx(sum(separately.values()))
    assert not (keys - {person}) & set(member_states)
    assert summary["scored"]["members_scored"] < len({a.member_key for a in activities})
