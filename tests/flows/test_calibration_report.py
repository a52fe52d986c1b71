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


def test_holdouts_give_the_lift_and_the_report_has_every_section(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        alerts = intent_alerts(store.ledger(kind="slack_alert"), store.tier_states("account"))
        alerted = sorted({a.account_id for a in alerts})
        others = sorted({a.id for a in store.accounts("hubspot")} - set(alerted))[:3]
        assert len(alerted) >= 1 and len(others) == 3
        for account in others:  # recorded as the Intent playbook records a held-out play
            key = f"intent:{account}:1:holdout"
            store.ledger_begin(key, "slack_alert", {"kind": "slack_alert", "key": key, "play": f"intent:{account}:1"})
            store.ledger_done(key, "holdout")
        store.ledger_begin(f"intent:{others[0]}:2:draft:holdout", "slack_alert", {})  # drafts never count
        store.ledger_done(f"intent:{others[0]}:2:draft:holdout", "holdout")
        held_at = max(e.updated_at for e in store.ledger() if e.key.endswith(":holdout"))
        first = min(alerts, key=lambda a: a.alerted_at)
        store.upsert_opportunities("hubspot", [
            CrmOpportunity("won-played", first.account_id, "Upgrade", "closedwon", 9_000,
                           first.alerted_at + timedelta(days=3), is_won=True),
            CrmOpportunity("won-held", others[0], "Upgrade", "closedwon", 4_000, held_at + timedelta(days=3),
                           is_won=True),
        ])
        assert all(a.first_signal_at is not None for a in alerts)  # the current episode: entered Intent at NOW

    now = held_at + timedelta(days=100)  # every decision is older than the 90-day window
    state = calibration_report(database_block=d.params["database_block"], now=now, holdout_share=0.1,
                               replay_days=200, return_state=True)

    result = state.result()
    lift = result["holdout"]
    assert (lift["played"], lift["held"]) == (len(alerted), 3)
    assert lift["rate_played"] == 1 / len(alerted) and lift["rate_held"] == 1 / 3
    assert lift["difference"] == 1 / len(alerted) - 1 / 3 and lift["ci_low"] < lift["ci_high"]
    assert lift["still_needed"] is None or lift["still_needed"] > 0  # a handful of accounts proves nothing
    assert result["median_signal_to_play_seconds"] > 0 and result["dormant_share_below"] is not None
    text = artifact(state, ARTIFACT_KEY)
    for section in ("| False-positive rate (accounts) |", "| False-negative rate", "| Median signal-to-play |",
                    "| Dormant members below 25 points |", "| tier | accounts | share | target | floor |",
                    "## Holdout lift", "| held out | 3 |", "Accounts still needed", "## Backtest",
                    "| intent floor |", "## Recommendations"):
        assert section in text, section
