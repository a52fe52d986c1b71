"""``daily_signals``: the daily plays - champions, churn saves, newsletter, score write-back, the SLA - and a digest.

``community_sync`` keeps the plays that cannot wait (Intent, nurture, re-emergence); this
flow runs once a day on what the syncs stored: it pulls nothing. Every playbook has its own
mode (``draft`` unless someone says ``live``); all side effects go through the ledger, so a
re-run, a retry or two runs at once never do anything twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import State
from pydantic import Field

from connectors.blocks import (
    CommunitySlackCredentials,
    DiscourseCredentials,
    HubSpotCredentials,
    SalesforceCredentials,
)
from flows.daily_tasks import (
    DailyConfigs,
    digest_markdown,
    flag_influenced,
    plan_daily,
    post_digest,
    write_back,
)
from flows.params import CrmName, PlaybookMode, mode_banner, require_settings
from flows.preflight import ends_cleanly, preflight
from flows.tasks import execute_actions
from playbooks.champion import ChampionPlaybookConfig
from playbooks.churn import ChurnPlaybookConfig
from playbooks.newsletter import NewsletterPlaybookConfig
from playbooks.sla import SlaConfig

__all__ = ["daily_signals"]


@flow(name="daily-signals", log_prints=True)
@ends_cleanly
def daily_signals(  # noqa: PLR0913 - top-level parameters merge safely in Prefect
    champion_mode: PlaybookMode = "draft",
    churn_mode: PlaybookMode = "draft",
    newsletter_mode: PlaybookMode = "draft",
    writeback_mode: PlaybookMode = "draft",
    sla_mode: PlaybookMode = "draft",
    attribution_mode: PlaybookMode = "draft",
    crm: CrmName = "hubspot",
    hubspot_block: str | None = "hubspot",
    salesforce_block: str | None = "salesforce",
    slack_block: str | None = "community-slack",
    discourse_block: str | None = "discourse",
    database_block: str | None = None,
    model_block: str | None = None,
    review_channel: str = "community-review",
    digest_channel: str | None = "community-team",
    champion_team_channel: str = "community-team",
    champion_manager_owner_id: str | None = None,
    champion_discourse_group: str | None = None,
    champion_message_title: str | None = None,
    churn_channel: str = "customer-success",
    newsletter_hubspot_list_id: str | None = None,
    newsletter_salesforce_campaign_id: str | None = None,
    sla_hours: Annotated[float, Field(gt=0, le=24 * 60)] = 48,
    sla_channel: str = "community-alerts",
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """The daily plays and a digest of the day, on what the syncs stored.

    Args:
        champion_mode: Champion invitations (a member at Intent on every day of the last 30): `live` = a CRM task
            for the community manager, a message to the community team and the Discourse invitation; `draft` =
            the message to the review channel only; `off`.
        churn_mode: Churn saves (an account at churn risk: disengaging, or as the model's churn_rule says): `live` = an alert to the customer
            success channel mentioning the owner and a CRM task; `draft` = the alert to the review channel; `off`.
        newsletter_mode: Monthly newsletter audience (people at Awareness): `live` = list / campaign memberships;
            `draft` = recorded and reported only; `off`.
        writeback_mode: Score write-back (score, tier, velocity, last activity onto CRM accounts, changed values
            only): `live` writes, `draft` counts what would change, `off`.
        sla_mode: 48-hour SLA: `live` = one reminder mentioning the owner of an Intent task still open after
            `sla_hours`; `draft` = the reminder to the review channel; `off`.
        attribution_mode: Won deals / opportunities closed within 90 days after a live Intent alert of their
            account: `live` flags them community-influenced in the CRM (once), `draft` lists them in the digest, `off`.
        crm: The CRM the plays act on: hubspot or salesforce.
        hubspot_block: HubSpot Credentials block, used when the CRM is hubspot.
        salesforce_block: Salesforce Credentials block, used when the CRM is salesforce.
        slack_block: Community Slack Credentials block of the company workspace where alerts go; empty = no alerts.
        discourse_block: Discourse Credentials block, for champion group invitations and messages.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        model_block: Community Scoring Model block with the published model and rules; empty = the defaults.
        review_channel: Slack channel for drafts.
        digest_channel: Slack channel for the daily digest; empty = the markdown artifact only.
        champion_team_channel: Slack channel of the community team (live champion messages).
        champion_manager_owner_id: CRM owner id of the community manager, who gets champion tasks; empty = the
            account's owner.
        champion_discourse_group: Discourse group champions are added to; empty = none.
        champion_message_title: Title of the private invitation from the forum's system user; empty = no message.
        churn_channel: Slack channel of the customer-success team (live churn alerts).
        newsletter_hubspot_list_id: HubSpot static list of newsletter readers; required live on HubSpot.
        newsletter_salesforce_campaign_id: Salesforce newsletter campaign; required live on Salesforce.
        sla_hours: An Intent task still open this many hours after it was created gets one reminder.
        sla_channel: Slack channel for live SLA reminders.
        now: Act as of this moment (leave empty: the run's start). Set it only to replay the past.
    """
    logger = get_run_logger()
    run_started = datetime.now(UTC)
    now = now or run_started
    crm_block = hubspot_block if crm == "hubspot" else salesforce_block
    settings = preflight({
        f"{crm}_block": (HubSpotCredentials if crm == "hubspot" else SalesforceCredentials, crm_block),
        "slack_block": (CommunitySlackCredentials, slack_block),
        "discourse_block": (DiscourseCredentials, discourse_block),
    }, database_block=database_block, model_block=model_block)
    configs = DailyConfigs(
        champion=ChampionPlaybookConfig(mode=champion_mode, team_channel=champion_team_channel,
                                        review_channel=review_channel, manager_owner_id=champion_manager_owner_id,
                                        discourse_group=champion_discourse_group,
                                        discourse_message_title=champion_message_title),
        churn=ChurnPlaybookConfig(mode=churn_mode, channel=churn_channel, review_channel=review_channel),
        newsletter=NewsletterPlaybookConfig(mode=newsletter_mode, hubspot_list_id=newsletter_hubspot_list_id,
                                            salesforce_campaign_id=newsletter_salesforce_campaign_id),
        sla=SlaConfig(mode=sla_mode, hours=sla_hours, channel=sla_channel, review_channel=review_channel),
        writeback_mode=writeback_mode,
        attribution_mode=attribution_mode,
    )
    require_settings("newsletter", configs.newsletter.missing(crm))
    modes = {"champion": champion_mode, "churn": churn_mode, "newsletter": newsletter_mode,
             "writeback": writeback_mode, "sla": sla_mode, "attribution": attribution_mode}
    for name, mode in modes.items():
        logger.info(mode_banner(f"{name} playbook", mode, None if name in ("newsletter", "writeback", "attribution")
                                else review_channel))
    planned = plan_daily(database_block, settings.model, configs, now, slack_block, crm, crm_block)
    crm_blocks = {crm: crm_block}
    report = execute_actions(database_block, slack_block, crm_blocks, run_started, discourse_block=discourse_block)
    writeback = write_back(database_block, crm, crm_block, planned.pop("score_changes"), writeback_mode)
    attribution = flag_influenced(database_block, crm, crm_block, [i["opportunity"] for i in planned["influenced"]],
                                  attribution_mode)
    day = f"{now:%Y-%m-%d}"
    summary: dict[str, Any] = {"now": now.isoformat(), "modes": modes, "model_version": settings.model.version,
                               "planned": planned, "writeback": writeback,
                               "attribution": attribution,
                               "actions": {"done": report.done, "failed": report.failed, "rows": report.rows()}}
    if slack_block and post_digest(database_block, digest_channel, day, summary):
        digest = execute_actions(database_block, slack_block, crm_blocks, run_started, discourse_block=discourse_block)
        summary["digest"] = {"done": digest.done, "failed": digest.failed}
    create_markdown_artifact(digest_markdown(day, summary), key="community-daily-digest",
                             description="The daily plays, SLA compliance and score write-back")
    if report.rows():
        create_table_artifact(report.rows(), key="community-daily-actions", description="Daily actions carried out")
    logger.info("Daily plays %s; %d actions done, %d failed; %d scores written", planned["plays"] or "none",
                len(report.done), len(report.failed), writeback["written"])
    return summary
