"""``calibration_report``: did the Intent alerts come before upgrades, and how should the model move?

The alerts are the live Intent plays the ledger holds as sent (``intent:<account>:<episode>:slack``,
done; drafts left out); the upgrades are the CRM's won opportunities with a close date. The
backtest and its recommendations are `scoring.attribution`'s; this flow only gathers the
inputs from the store and publishes the result as a markdown artifact.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import State
from pydantic import Field

from connectors.store import LedgerEntry
from flows.params import CrmName
from flows.preflight import ends_cleanly, open_store, preflight
from scoring.attribution import (
    Calibration,
    IntentAlert,
    Upgrade,
    attribute_upgrades,
    calibrate,
)
from scoring.model import ScoringModel
from scoring.records import TIERS, CrmOpportunity

__all__ = ["calibration_report", "intent_alerts", "upgrades"]

ARTIFACT_KEY = "community-calibration"


def intent_alerts(entries: list[LedgerEntry]) -> list[IntentAlert]:
    """Live Intent alerts that went out: done ``intent:<account>:<episode>:slack`` entries, at their send time."""
    found = []
    for entry in entries:
        key = entry.key
        if entry.status != "done" or ":draft:" in key or not (key.startswith("intent:") and key.endswith(":slack")):
            continue
        account, _, episode = key[len("intent:"):-len(":slack")].rpartition(":")
        if account and episode.isdigit():
            found.append(IntentAlert(account, entry.updated_at))
    return found


def upgrades(opportunities: list[CrmOpportunity]) -> list[Upgrade]:
    """Won opportunities with an account and a close date."""
    return [Upgrade(o.account_id, o.closed_at, o.amount, o.id)
            for o in opportunities if o.is_won and o.account_id and o.closed_at is not None]


@task(name="calibrate", cache_policy=NO_CACHE)
def calibrate_from_store(database_block: str | None, crm: str, model: ScoringModel, now: datetime,
                         window_days: float) -> dict[str, Any]:
    """Alerts, upgrades and tiers from the store, through the backtest."""
    with open_store(database_block) as store:
        alerts = intent_alerts(store.ledger(kind="slack_alert"))
        won = upgrades(store.opportunities(crm))
        tiers = {k: s.tier for k, s in store.tier_states("account").items()}
        names = {a.id: a.name for a in store.accounts(crm)}
    result = calibrate(alerts, won, tiers, model, now, window_days=window_days)
    influenced = [{"account": names.get(a.upgrade.account_id, a.upgrade.account_id),
                   "upgraded": a.upgrade.upgraded_at.date().isoformat(), "amount": a.upgrade.amount,
                   "alerted": a.alert.alerted_at.date().isoformat()}
                  for a in attribute_upgrades(alerts, won, window_days=window_days) if a.upgrade.upgraded_at <= now]
    return {"calibration": result, "influenced": influenced}


def _rate(value: float | None) -> str:
    return "n/a (nothing to measure yet)" if value is None else f"{value:.0%}"


def report_markdown(c: Calibration, influenced: list[dict[str, Any]], model: ScoringModel, crm: str,
                    now: datetime) -> str:
    """The artifact: metrics, tier shape, recommendations, influenced upgrades."""
    lag = "n/a" if c.median_signal_to_alert is None else str(c.median_signal_to_alert)
    lines = [f"# Calibration of model `{model.version}`", "",
             f"As of {now.date().isoformat()}, {crm}, attribution window {c.window_days:g} days.", "",
             "| metric | value |", "|---|---:|",
             (f"| Intent alerts sent | {c.alerts} to {c.alerted_accounts} accounts ({c.judged_accounts} first "
              f"alerted before the window, {c.pending_accounts} since) |"),
             (f"| False-positive rate (accounts) | {_rate(c.false_positive_rate)} ({c.false_positive_accounts} "
              f"of {c.judged_accounts}) |"),
             (f"| Upgrades | {c.upgrades} by {c.upgraded_accounts} accounts ({c.influenced_upgrades} within the "
              "window after an alert) |"),
             (f"| Recall (accounts alerted before an upgrade) | {_rate(c.recall)} ({c.recalled_accounts} of "
              f"{c.upgraded_accounts}) |"),
             (f"| False-negative rate (accounts never alerted before upgrading) | {_rate(c.false_negative_rate)} "
              f"({c.missed_accounts} of {c.upgraded_accounts}) |"),
             f"| Community-influenced revenue | {c.influenced_revenue:,.0f} |",
             f"| Median signal-to-alert | {lag} |", "",
             "| tier | accounts | share | floor |", "|---|---:|---:|---:|"]
    lines += [f"| {t} | {c.tiers.counts[t]} | {c.tiers.shares[t]:.0%} | {model.tier_floors[t]:g} |" for t in TIERS]
    lines += ["", "## Recommendations", ""]
    lines += [f"- {r}" for r in c.recommendations] or ["- None: the model is within its targets."]
    if influenced:
        lines += ["", "## Community-influenced upgrades", "", "| account | upgraded | amount | alerted |",
                  "|---|---|---:|---|"]
        lines += [f"| {r['account']} | {r['upgraded']} | {r['amount']:,.0f} | {r['alerted']} |" for r in influenced]
    return "\n".join(lines)


@flow(name="calibration-report", log_prints=True)
@ends_cleanly
def calibration_report(
    model_block: str | None = None,
    database_block: str | None = None,
    crm: CrmName = "hubspot",
    window_days: Annotated[float, Field(gt=0, le=730)] = 90,
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """Backtest the live Intent alerts against the CRM's upgrades and recommend model changes.

    Args:
        model_block: Community Scoring Model block with the published model; empty = the defaults.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        crm: Whose opportunities are the upgrades: hubspot or salesforce (the CRM the sync uses).
        window_days: An upgrade this many days after an alert of its account counts as community-influenced.
        now: Report as of this moment (leave empty: now).
    """
    logger = get_run_logger()
    now = now or datetime.now(timezone.utc)
    settings = preflight({}, database_block=database_block, model_block=model_block)
    model = settings.model
    found = calibrate_from_store(database_block, crm, model, now, window_days)
    result: Calibration = found["calibration"]
    create_markdown_artifact(report_markdown(result, found["influenced"], model, crm, now), key=ARTIFACT_KEY,
                             description="Intent alerts against upgrades: false positives, recall, tier shape")
    logger.info("Calibration: %d alerts, %d upgrades, false-positive rate %s, recall %s, %d recommendations",
                result.alerts, result.upgrades, _rate(result.false_positive_rate), _rate(result.recall),
                len(result.recommendations))
    return {"alerts": result.alerts, "upgrades": result.upgrades, "alerted_accounts": result.alerted_accounts,
            "upgraded_accounts": result.upgraded_accounts, "false_positive_rate": result.false_positive_rate,
            "recall": result.recall, "false_negative_rate": result.false_negative_rate,
            "influenced_upgrades": result.influenced_upgrades,
            "influenced_revenue": result.influenced_revenue, "tiers": dict(result.tiers.counts),
            "recommendations": list(result.recommendations)}
