"""The immediate plays of ``community_sync`` beside Intent - nurture and re-emergence - on both CRMs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.testing import HubSpotEmulator
from flows.community_sync import community_sync

from .conftest import NOW, Deployment, make_deployment


@pytest.fixture(params=["hubspot", "salesforce"])
def deployment_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    yield from make_deployment(tmp_path, crm=request.param)


def nurture_settings(d: Deployment) -> dict[str, Any]:
    crm = d.box.crm
    if isinstance(crm, HubSpotEmulator):
        sender = d.community.owners[0]
        return {"nurture_hubspot_list_id": crm.nurture_list_id, "nurture_hubspot_sequence_id": crm.nurture_sequence_id,
                "nurture_hubspot_sender_email": sender.email, "nurture_hubspot_sender_user_id": str(sender.user_id)}
    return {"nurture_salesforce_campaign_id": crm.nurture_campaign_id}


def nurtured(d: Deployment) -> list[str]:
    crm = d.box.crm
    if isinstance(crm, HubSpotEmulator):
        return crm.list_members(crm.nurture_list_id)
    return sorted(m["ContactId"] for m in crm.records("CampaignMember") if m["CampaignId"] == crm.nurture_campaign_id)


def test_nurture_and_reemergence_live_reach_the_crm_once(deployment_of: Deployment) -> None:
    d = deployment_of
    params = {**d.params, "nurture_mode": "live", "reemergence_mode": "live", **nurture_settings(d)}
    first = community_sync(**params, now=NOW)
    plays = first["scored"]["plays"]
    assert plays.get("nurture", 0) > 0 and plays.get("reemergence", 0) > 0 and first["actions"]["failed"] == []
    assert len(nurtured(d)) == plays["nurture"]
    if isinstance(d.box.crm, HubSpotEmulator):
        assert len(d.box.crm.enrollments()) == plays["nurture"]
    notes = [t for t in d.box.crm_tasks() if "Back in the community" in str(t)]
    assert len(notes) == plays["reemergence"]

    again = community_sync(**params, now=NOW)
    assert again["scored"]["planned"] == [] and again["actions"]["done"] == []
    assert len(nurtured(d)) == plays["nurture"]
    assert len([t for t in d.box.crm_tasks() if "Back in the community" in str(t)]) == plays["reemergence"]


def test_drafts_touch_no_crm_list_and_live_still_plays(deployment_of: Deployment) -> None:
    d = deployment_of
    params = {**d.params, "intent_mode": "off", "nurture_mode": "draft", "reemergence_mode": "draft"}
    drafts = community_sync(**params, now=NOW)
    assert drafts["scored"]["plays"].get("nurture", 0) > 0 and nurtured(d) == [] and d.box.crm_tasks() == []
    live = community_sync(**{**params, "nurture_mode": "live", **nurture_settings(d)}, now=NOW)
    assert live["scored"]["plays"]["nurture"] == drafts["scored"]["plays"]["nurture"] == len(nurtured(d))


def test_a_live_nurture_without_its_list_fails_before_any_pull(deployment_of: Deployment) -> None:
    state = community_sync(**{**deployment_of.params, "nurture_mode": "live"}, now=NOW, return_state=True)
    assert state.is_failed() and "nurture_" in state.message
    assert deployment_of.forum.requests == []


def test_hubspot_tasks_once_when_the_portal_refuses_a_unique_task_property(tmp_path: Path) -> None:
    for d in make_deployment(tmp_path, crm="hubspot"):
        d.crm.refuse_unique_task_property = True
        params = {**d.params, "reemergence_mode": "live"}
        first = community_sync(**params, now=NOW)
        planned_tasks = [k for k in first["scored"]["planned"] if k.endswith(":task")]
        assert first["actions"]["failed"] == [] and len(d.crm.tasks()) == len(planned_tasks) > 0
        assert community_sync(**params, now=NOW)["actions"]["done"] == []
        keys = [t["properties"]["community_action_key"] for t in d.crm.tasks()]
        assert len(keys) == len(set(keys))


def test_held_out_intent_plays_are_recorded_not_sent_and_the_report_counts_them(tmp_path: Path) -> None:
    from connectors.store import Store
    from flows.calibration_report import holdouts

    for d in make_deployment(tmp_path, crm="hubspot"):
        params = {**d.params, "intent_holdout_share": 0.5}
        first = community_sync(**params, now=NOW)
        held = first["scored"]["held_out"]
        played = {k.split(":")[1] for k in first["scored"]["planned"] if k.endswith(":slack")}
        assert held and played and first["actions"]["failed"] == []
        held_accounts = {k.split(":")[1] for k in held}
        assert held_accounts.isdisjoint(played)
        alerts = d.slack.messages("community-alerts")
        assert len(alerts) == len(played)  # nothing reached Slack for a held-out account
        assert len(d.crm.tasks()) == len(played)
        with Store.open(d.database_url) as store:
            entries = store.ledger()
            assert {e.key: e.external_id for e in entries if e.key in held} == dict.fromkeys(held, "holdout")
            assert {account for account, _ in holdouts(entries)} == held_accounts
        again = community_sync(**params, now=NOW)
        assert again["scored"]["planned"] == [] and again["scored"]["held_out"] == []
