"""``community_sync``: pull increments → store → resolve → score → plan → act → report."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.states import Completed, State
from pydantic import Field

from connectors.blocks import CommunitySlackCredentials
from flows.lease import held_lease, run_owner
from flows.params import (
    CrmName,
    IntentMode,
    PlaybookMode,
    SlackPacing,
    intent_config,
    mode_banner,
    require_settings,
)
from flows.preflight import ends_cleanly, preflight
from flows.pull_plan import PullPlan
from flows.report import emit_tier_events, publish_sync_report
from flows.tasks import activities_arrived, execute_actions, score_and_plan
from playbooks.execute import ExecutionReport
from playbooks.nurture import NurturePlaybookConfig
from playbooks.reemergence import ReemergencePlaybookConfig

__all__ = ["CATCH_UP_ROUNDS", "community_sync"]

#: Activity a receiver stores while a run scores is scored again by that run, at most this many
#: more times: the run its event triggers is cancelled while this one holds the deployment.
CATCH_UP_ROUNDS = 3


@flow(name="community-sync", log_prints=True)
@ends_cleanly
def community_sync(  # noqa: PLR0913 - top-level parameters merge safely in Prefect
    intent_mode: IntentMode = "draft",
    discourse_block: str | None = "discourse",
    slack_source_block: str | None = None,
    slack_channels: list[str] | None = None,
    crm: CrmName = "hubspot",
    hubspot_block: str | None = "hubspot",
    salesforce_block: str | None = "salesforce",
    slack_block: str | None = "community-slack",
    database_block: str | None = None,
    model_block: str | None = None,
    intent_alert_channel: str = "community-alerts",
    intent_review_channel: str = "community-review",
    intent_task_due_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 4,
    intent_holdout_share: Annotated[float, Field(ge=0, le=0.5)] = 0,
    intent_holdout_salt: Annotated[str, Field(min_length=1, max_length=200)] = "holdout-1",
    nurture_mode: PlaybookMode = "draft",
    nurture_hubspot_list_id: str | None = None,
    nurture_hubspot_sequence_id: str | None = None,
    nurture_hubspot_sender_email: str | None = None,
    nurture_hubspot_sender_user_id: str | None = None,
    nurture_salesforce_campaign_id: str | None = None,
    reemergence_mode: PlaybookMode = "draft",
    discourse_requests_per_minute: Annotated[float | None, Field(ge=0, le=6000)] = None,
    likes_lookback_days: Annotated[float | None, Field(ge=0, le=365)] = None,
    slack_pacing: SlackPacing | None = None,
    slack_backfill_days: Annotated[float, Field(gt=0, le=3650)] = 90,
    leaderboard_size: Annotated[int, Field(ge=1, le=1000)] = 25,
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """One incremental sync: new activity in, scores and tiers updated, the immediate plays carried out.

    The immediate plays are Intent, nurture and re-emergence; the daily ones (champions,
    churn saves, newsletter, score write-back, the 48-hour SLA) run in `daily-signals`.

    Args:
        intent_mode: What the Intent playbook may do: `draft` posts to the review channel only
            (no CRM task), `live` alerts the owner and creates the CRM task, `off` plans nothing.
        discourse_block: Discourse Credentials block of the community forum; empty = no Discourse.
        slack_source_block: Community Slack Credentials block of the community workspace; empty = no Slack source.
        slack_channels: Community Slack channels to read (names); empty = general, help, feature-requests.
        crm: Where accounts live and tasks go: hubspot or salesforce.
        hubspot_block: HubSpot Credentials block, used when the CRM is hubspot.
        salesforce_block: Salesforce Credentials block, used when the CRM is salesforce.
        slack_block: Community Slack Credentials block of the company workspace where alerts go; empty = no alerts.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        model_block: Community Scoring Model block with the published model and rules; empty = the defaults.
        intent_alert_channel: Slack channel for live Intent alerts.
        intent_review_channel: Slack channel for draft Intent alerts.
        intent_task_due_hours: The CRM task is due this many hours after the play.
        intent_holdout_share: Share of live Intent plays held out to measure lift (recorded, not sent; e.g. 0.1);
            the calibration report compares their upgrade rate with the played accounts'. 0 = none.
        intent_holdout_salt: Salt of the holdout draw (per account and episode); a new salt starts a new experiment.
        nurture_mode: Nurture playbook (a person entering Consideration joins the nurture once per episode):
            `draft` records and reports the plays only, `live` writes list/sequence/campaign memberships, `off`.
        nurture_hubspot_list_id: HubSpot static list (lists v3 id) nurtured contacts join; required live on HubSpot.
        nurture_hubspot_sequence_id: HubSpot sequence to enroll them in too; empty = the list only.
        nurture_hubspot_sender_email: The connected inbox the sequence sends from (needed with a sequence).
        nurture_hubspot_sender_user_id: The HubSpot user id of that sender (needed with a sequence).
        nurture_salesforce_campaign_id: Salesforce campaign nurtured contacts join; required live on Salesforce.
        reemergence_mode: Re-emergence playbook (a member back after 60+ silent days at a Consideration or Intent
            account): `live` gives the owner a CRM note (task), `draft` posts it to the review channel, `off`.
        discourse_requests_per_minute: Overrides the Discourse block's pacing (calls a minute; 0 = unpaced); empty = the block's.
        likes_lookback_days: Posts this young are re-read for new likes; empty = 2, or 0 when the Discourse
            block has a webhook secret (likes then arrive through the webhook receiver).
        slack_pacing: Overrides the community Slack block's pacing (tier3, limited, unpaced); empty = the block's.
        slack_backfill_days: How far back a channel's first sync reads.
        leaderboard_size: Accounts in the leaderboard artifact.
        now: Score as of this moment (leave empty: the run's start). Set it only to replay the past.
    """
    logger = get_run_logger()
    run_started = datetime.now(timezone.utc)
    replaying, now = now is not None, now or run_started
    pulls = PullPlan(discourse_block, slack_source_block, slack_channels, crm, hubspot_block, salesforce_block,
                     discourse_requests_per_minute, likes_lookback_days, slack_pacing, slack_backfill_days)
    settings = preflight({**pulls.blocks(), "slack_block": (CommunitySlackCredentials, slack_block)},
                        database_block=database_block, model_block=model_block)
    model, rules = settings.model, settings.rules
    intent = intent_config(intent_mode, intent_alert_channel, intent_review_channel, intent_task_due_hours,
                           intent_holdout_share, intent_holdout_salt)
    nurture = NurturePlaybookConfig(
        mode=nurture_mode, hubspot_list_id=nurture_hubspot_list_id, hubspot_sequence_id=nurture_hubspot_sequence_id,
        hubspot_sender_email=nurture_hubspot_sender_email, hubspot_sender_user_id=nurture_hubspot_sender_user_id,
        salesforce_campaign_id=nurture_salesforce_campaign_id)
    require_settings("nurture", nurture.missing(crm))
    reemergence = ReemergencePlaybookConfig(mode=reemergence_mode, review_channel=intent_review_channel)
    logger.info(mode_banner("Intent playbook", intent_mode, intent_review_channel))
    logger.info(mode_banner("Nurture playbook", nurture_mode, None))
    logger.info(mode_banner("Re-emergence playbook", reemergence_mode, intent_review_channel))
    summary: dict[str, Any] = {"now": now.isoformat(), "intent_mode": intent_mode, "model_version": model.version,
                               "modes": {"intent": intent_mode, "nurture": nurture_mode,
                                         "reemergence": reemergence_mode}}
    with held_lease(database_block, run_owner()) as other:
        if other is not None:
            message = f"skipped: {other} is pulling into this database; the next scheduled run catches up"
            logger.warning(message)
            return Completed(message=message)
        summary |= pulls.run(database_block, now, rules)
        report, rounds = ExecutionReport(), 0
        while True:
            summary["scored"] = score_and_plan(
                database_block, model, intent, now, slack_block, crm=crm, leaderboard_size=leaderboard_size,
                nurture=nurture, reemergence=reemergence,
            )
            report.add(execute_actions(database_block, slack_block, {crm: pulls.crm_block}, run_started))
            if replaying or rounds == CATCH_UP_ROUNDS:
                break
            arrived = activities_arrived(database_block, summary["scored"]["activities_read"])
            if not arrived:
                break
            rounds += 1
            now = datetime.now(timezone.utc)
            logger.info("%d activities arrived through the receivers during this run: scoring again at %s "
                        "(catch-up %d of %d)", arrived, now.isoformat(), rounds, CATCH_UP_ROUNDS)
        summary["catch_up_rounds"] = rounds
    summary["actions"] = {"done": report.done, "failed": report.failed, "rows": report.rows()}
    publish_sync_report(summary)
    emit_tier_events(summary["scored"]["transitions"], summary["scored"]["signals"])
    logger.info("Intent playbook %s; tiers %s; %d actions done, %d failed", intent_mode,
                summary["scored"]["tiers"], len(report.done), len(report.failed))
    return summary
