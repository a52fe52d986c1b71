"""calibration_report on a synced store: live alerts from the ledger against the CRM's won deals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connectors.store import Store
from flows.calibration_report import ARTIFACT_KEY, calibration_report, intent_alerts
from flows.community_sync import community_sync
from scoring.records import CrmOpportunity
from tests.flows.artifacts import artifact
from tests.flows.conftest import NOW, Deployment


def test_runs_with_defaults_and_publishes_the_report(deployment: Deployment) -> None:
    d = deployment
    synced = community_sync(**d.params, now=NOW)
    entered = synced["scored"]["entered_intent"]
    assert entered

    state = calibration_report(database_block=d.params["database_block"], return_state=True)

    result = state.result()
    won = [deal for deal in d.crm.deals if deal.stage == "closedwon" and deal.company_id]
    assert won and result["alerts"] == len(entered) and result["upgrades"] == len(won)  # HubSpot's won deals
    assert sum(result["tiers"].values()) > 0
    text = artifact(state, ARTIFACT_KEY)
    assert "# Calibration of model `default`" in text and f"| Intent alerts sent | {len(entered)} " in text


def test_an_upgrade_after_an_alert_counts_as_influenced_and_drafts_do_not_count(deployment: Deployment) -> None:
    d = deployment
    community_sync(**{**d.params, "intent_mode": "draft"}, now=NOW)
    with Store.open(d.database_url) as store:
        assert store.ledger(kind="slack_alert") and intent_alerts(store.ledger(kind="slack_alert")) == []
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        alerts = intent_alerts(store.ledger(kind="slack_alert"))
        account = alerts[0].account_id
        name = next(a.name for a in store.accounts("hubspot") if a.id == account)
        store.upsert_opportunities("hubspot", [
            CrmOpportunity("deal-1", account, "Upgrade", "closedwon", 12_000, alerts[0].alerted_at + timedelta(days=1),
                           is_won=True),
            CrmOpportunity("deal-2", account, "Lost", "closedlost", 5_000, alerts[0].alerted_at, is_won=False),
        ])

    now = datetime.now(timezone.utc) + timedelta(days=2)
    state = calibration_report(database_block=d.params["database_block"], now=now, return_state=True)

    result = state.result()
    seeded = [deal.company_id for deal in d.crm.deals if deal.stage == "closedwon" and deal.company_id]
    assert result["alerts"] == len(alerts) and result["upgrades"] == len(seeded) + 1
    assert result["influenced_upgrades"] == 1 and result["influenced_revenue"] == 12_000
    upgraded = set(seeded) | {account}
    assert result["upgraded_accounts"] == len(upgraded)
    assert result["recall"] == 1 / len(upgraded)  # per account; the seeded deals closed before any alert
    text = artifact(state, ARTIFACT_KEY)
    assert "## Community-influenced upgrades" in text and name in text
