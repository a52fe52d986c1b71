"""``daily_signals`` end to end on both CRMs, in a real Prefect run: draft, live, SLA, and re-runs that do nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.store import Store
from connectors.testing import HubSpotEmulator
from flows.community_sync import community_sync
from flows.daily_signals import daily_signals

from .conftest import NOW, Deployment, make_deployment

DAILY_BLOCKS = ("database_block", "crm", "hubspot_block", "salesforce_block", "slack_block", "discourse_block")
ALL_OFF = {"champion_mode": "off", "churn_mode": "off", "newsletter_mode": "off", "writeback_mode": "off",
           "sla_mode": "off"}


@pytest.fixture(params=["hubspot", "salesforce"])
def synced(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A deployment of either CRM after one live sync (Intent tasks exist)."""
    for d in make_deployment(tmp_path, crm=request.param):
        community_sync(**d.params, now=NOW)
        yield d


def daily(d: Deployment, **params: Any) -> dict[str, Any]:
    return daily_signals(**{k: v for k, v in d.params.items() if k in DAILY_BLOCKS}, **params)


def newsletter_target(d: Deployment) -> dict[str, str]:
    if isinstance(d.box.crm, HubSpotEmulator):
        return {"newsletter_hubspot_list_id": d.box.crm.newsletter_list_id}
    return {"newsletter_salesforce_campaign_id": d.box.crm.newsletter_campaign_id}


def newsletter_members(d: Deployment) -> list[str]:
    if isinstance(d.box.crm, HubSpotEmulator):
        return d.box.crm.list_members(d.box.crm.newsletter_list_id)
    campaign = d.box.crm.newsletter_campaign_id
    return sorted(m["ContactId"] for m in d.box.crm.records("CampaignMember") if m["CampaignId"] == campaign)


def written_scores(d: Deployment) -> dict[str, Any]:
    """account id → the community score the CRM shows."""
    if isinstance(d.box.crm, HubSpotEmulator):
        return {c.id: v["community_score"] for c in d.community.companies
                if "community_score" in (v := d.box.crm.company_values(c.id))}
    return {a["Id"]: a["Community_Score__c"] for a in d.box.crm.records("Account")
            if a.get("Community_Score__c") is not None}


def channel(d: Deployment, name: str) -> list[dict[str, Any]]:
    return d.slack.messages(name)


def test_live_plays_reach_each_service_once_and_a_second_run_does_nothing(synced: Deployment) -> None:
    d = synced
    tasks_before = len(d.box.crm_tasks())
    later = NOW + timedelta(days=3)
    live = {"champion_mode": "live", "churn_mode": "live", "newsletter_mode": "live", "writeback_mode": "live",
            "sla_mode": "off", **newsletter_target(d)}
    first = daily(d, **live, now=later)
    plays = first["planned"]["plays"]
    assert plays.get("churn", 0) > 0 and plays.get("champion", 0) > 0 and plays.get("newsletter", 0) > 0
    assert first["actions"]["failed"] == [] and first["digest"]["failed"] == []
    churn_alerts = channel(d, "customer-success")
    assert len(churn_alerts) == plays["churn"]
    new_tasks = len(d.box.crm_tasks()) - tasks_before
    assert new_tasks == plays["churn"] + plays["champion"]  # one save task per churn play, one per champion
    assert len(newsletter_members(d)) == plays["newsletter"] > 0
    scores = written_scores(d)
    assert len(scores) == first["writeback"]["written"] == len(d.community.companies)
    digest = [m for m in channel(d, "community-team") if "digest" in m["text"]]
    assert len(digest) == 1

    second = daily(d, **live, now=later)  # a re-run (a retry, a second worker): nothing is done twice
    assert second["planned"]["planned"] == [] and second["actions"]["done"] == []
    assert second["writeback"]["written"] == 0 and second["writeback"]["changed"] == 0
    assert len(channel(d, "customer-success")) == len(churn_alerts)
    assert len(d.box.crm_tasks()) - tasks_before == new_tasks
    assert len([m for m in channel(d, "community-team") if "digest" in m["text"]]) == 1  # once a day


def test_drafts_write_nothing_to_the_crm_and_going_live_still_plays(synced: Deployment) -> None:
    d = synced
    tasks_before = len(d.box.crm_tasks())
    later = NOW + timedelta(days=3)
    drafts = daily(d, now=later, **newsletter_target(d))  # every playbook defaults to draft
    plays = drafts["planned"]["plays"]
    assert plays.get("churn", 0) > 0 and plays.get("champion", 0) > 0
    assert len(d.box.crm_tasks()) == tasks_before and newsletter_members(d) == [] and written_scores(d) == {}
    assert channel(d, "customer-success") == []
    review = [m for m in channel(d, "community-review") if m["text"].startswith("[DRAFT]")]
    assert len(review) >= plays["churn"] + plays["champion"]
    assert drafts["writeback"] == {"mode": "draft", "changed": len(d.community.companies), "written": 0, "failed": {}}

    live = daily(d, now=later + timedelta(minutes=5), churn_mode="live", champion_mode="live")
    assert live["planned"]["plays"]["churn"] == plays["churn"]
    assert len(channel(d, "customer-success")) == plays["churn"]


def test_an_intent_task_open_past_48_hours_gets_one_reminder(synced: Deployment) -> None:
    d = synced
    with Store.open(d.database_url) as store:
        tasks = [e for e in store.ledger(kind="crm_task") if e.key.startswith("intent:") and e.status == "done"]
    assert len(tasks) >= 2
    d.box.crm.complete_task(tasks[0].external_id)  # one owner did the work
    at = datetime.now(UTC) + timedelta(hours=49)
    first = daily(d, **{**ALL_OFF, "sla_mode": "live"}, now=at)
    sla = first["planned"]["sla"]
    assert (sla["checked"], sla["closed"], sla["reminded"]) == (len(tasks), 1, len(tasks) - 1)
    reminders = [m for m in channel(d, "community-alerts") if m["text"].startswith("Reminder")]
    assert len(reminders) == len(tasks) - 1

    second = daily(d, **{**ALL_OFF, "sla_mode": "live"}, now=at + timedelta(hours=24))
    assert second["planned"]["sla"]["reminded"] == 0
    assert len([m for m in channel(d, "community-alerts") if m["text"].startswith("Reminder")]) == len(tasks) - 1


def test_a_live_newsletter_without_its_list_fails_before_doing_anything(synced: Deployment) -> None:
    state = daily_signals(**{k: v for k, v in synced.params.items() if k in DAILY_BLOCKS},
                          newsletter_mode="live", return_state=True, now=NOW)
    assert state.is_failed() and "newsletter_" in state.message


def add_won_deal(d: Deployment, account_id: str, closed: datetime) -> str:
    """A deal won at ``closed`` for ``account_id`` in the CRM emulator; its id."""
    crm = d.box.crm
    if isinstance(crm, HubSpotEmulator):
        from connectors.testing._hubspot_objects import Deal

        deal = Deal(id="7799000001", name="Upgrade after the community alert", stage="closedwon", amount=24_000,
                    close_date=closed, company_id=account_id, created_at=closed - timedelta(days=30),
                    modified_at=datetime.now(UTC))
        crm.deals.append(deal)
        return deal.id
    return crm.data.insert("Opportunity", {
        "AccountId": account_id, "Name": "Upgrade after the community alert", "StageName": "Closed Won",
        "Amount": 24_000.0, "CloseDate": closed.date().isoformat(), "IsClosed": True, "IsWon": True,
        "Community_Influenced__c": False})


def influenced_in_crm(d: Deployment) -> set[str]:
    crm = d.box.crm
    if isinstance(crm, HubSpotEmulator):
        return {deal.id for deal in crm.deals if crm.deal_values(deal.id).get("community_influenced") == "true"}
    return {o["Id"] for o in crm.records("Opportunity") if o.get("Community_Influenced__c")}


def flag_calls(d: Deployment) -> int:
    crm = d.box.crm
    if isinstance(crm, HubSpotEmulator):
        return sum(1 for r in crm.requests if r.path.endswith("/objects/deals/batch/update"))
    return sum(1 for r in crm.requests if r.path.endswith("/composite/sobjects") and r.method == "PATCH"
               and b"Opportunity" in (r.body or b""))


def test_a_deal_won_after_an_intent_alert_is_flagged_community_influenced_once(synced: Deployment) -> None:
    d = synced
    with Store.open(d.database_url) as store:
        alerted = sorted({e.key.split(":")[1] for e in store.ledger(kind="slack_alert")
                          if e.key.startswith("intent:") and e.status == "done"})
    assert alerted
    # won the day after the alert went out (the ledger's clock); Salesforce close dates are whole days
    deal = add_won_deal(d, alerted[0], datetime.now(UTC) + timedelta(days=1))
    later = datetime.now(UTC) + timedelta(days=2)
    community_sync(**d.params, now=NOW)  # pulls the new deal
    before = influenced_in_crm(d)
    assert deal not in before

    draft = daily(d, **{**ALL_OFF, "attribution_mode": "draft"}, now=later)
    assert [i["opportunity"] for i in draft["planned"]["influenced"]] == [deal]
    assert draft["attribution"]["flagged"] == 0 and influenced_in_crm(d) == before and flag_calls(d) == 0

    live = daily(d, **{**ALL_OFF, "attribution_mode": "live"}, now=later)
    assert live["attribution"] == {"mode": "live", "found": 1, "flagged": 1, "failed": {}}
    assert influenced_in_crm(d) == before | {deal} and flag_calls(d) == 1
    with Store.open(d.database_url) as store:
        assert {o.id for o in store.opportunities(d.params["crm"]) if o.community_influenced} >= {deal}

    again = daily(d, **{**ALL_OFF, "attribution_mode": "live"}, now=later)
    assert again["planned"]["influenced"] == [] and flag_calls(d) == 1  # flagged once, never sent again
    community_sync(**d.params, now=NOW)  # the CRM's flag read back keeps it that way
    assert daily(d, **{**ALL_OFF, "attribution_mode": "live"}, now=later)["planned"]["influenced"] == []
