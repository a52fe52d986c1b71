"""``community_sync``: pull increments → store → resolve → score → plan → act → report."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from prefect import flow, get_run_logger

from flows.params import SyncParameters
from flows.report import emit_tier_events, publish_sync_report
from flows.pulls import HUBSPOT, SALESFORCE, pull_discourse, pull_hubspot, pull_salesforce, pull_slack
from flows.tasks import execute_actions, resolve_identities, score_and_plan

__all__ = ["community_sync"]


@flow(name="community-sync", log_prints=True)
def community_sync(params: SyncParameters = SyncParameters(), now: datetime | None = None) -> dict[str, Any]:  # noqa: B008
    """One incremental sync. ``now`` defaults to the current time (set it to replay)."""
    params = SyncParameters.model_validate(params.model_dump())  # the UI does not run validators
    run_started = datetime.now(timezone.utc)
    now = now or run_started
    logger = get_run_logger()
    summary: dict[str, Any] = {"now": now.isoformat()}
    if params.discourse_block:
        summary["discourse"] = pull_discourse(
            params.discourse_block, params.database_url, now, params.rules,
            params.discourse_requests_per_minute, params.likes_lookback_days,
        )
    if params.slack_source_block:
        summary["slack"] = pull_slack(
            params.slack_source_block, params.database_url, now, params.rules,
            params.slack_channels, params.slack_pacing, params.slack_backfill_days,
        )
    crm_block = params.hubspot_block if params.crm == HUBSPOT else params.salesforce_block
    if crm_block:
        if params.crm == HUBSPOT:
            summary[HUBSPOT] = pull_hubspot(crm_block, params.database_url)
        else:
            summary[SALESFORCE] = pull_salesforce(crm_block, params.database_url, params.rules)
        summary["identity"] = resolve_identities(params.database_url, params.crm)
    summary["scored"] = score_and_plan(
        params.database_url, params.model, params.intent, now, params.slack_block,
        crm=params.crm, leaderboard_size=params.leaderboard_size,
    )
    report = execute_actions(params.database_url, params.slack_block, {params.crm: crm_block}, run_started)
    summary["actions"] = {"done": report.done, "failed": report.failed, "rows": report.rows()}
    publish_sync_report(summary)
    emit_tier_events(summary["scored"]["transitions"], summary["scored"]["signals"])
    logger.info("Tiers %s; %d actions done, %d failed", summary["scored"]["tiers"],
                len(report.done), len(report.failed))
    return summary
