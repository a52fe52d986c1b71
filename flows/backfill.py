"""``backfill``: the first full pull, stored and checkpointed page by page, with progress in the UI.

A real forum at Discourse's 60 requests a minute takes a while to read in full. The
backfill only pulls (every page stored with its checkpoint, so a cancelled or crashed run
resumes where it stopped); the next ``community_sync`` scores what it stored. While it
runs it holds the database's pull lease, so scheduled syncs stand aside instead of piling
up behind it or spending the same API budget.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, State
from pydantic import Field

from flows.lease import held_lease, run_owner
from flows.params import CrmName, SlackPacing
from flows.preflight import ends_cleanly, preflight
from flows.pull_plan import PullPlan

__all__ = ["backfill"]


@flow(name="backfill", log_prints=True)
@ends_cleanly
def backfill(  # noqa: PLR0913 - top-level parameters merge safely in Prefect
    discourse_block: str | None = "discourse",
    slack_source_block: str | None = None,
    slack_channels: list[str] | None = None,
    crm: CrmName = "hubspot",
    hubspot_block: str | None = "hubspot",
    salesforce_block: str | None = "salesforce",
    database_block: str | None = None,
    model_block: str | None = None,
    discourse_requests_per_minute: Annotated[float | None, Field(ge=0, le=6000)] = None,
    slack_pacing: SlackPacing | None = None,
    slack_backfill_days: Annotated[float, Field(gt=0, le=3650)] = 365,
) -> dict[str, Any] | State:
    """Pull everything the sources and the CRM hold, resumably; scoring and plays are left to community_sync.

    Args:
        discourse_block: Discourse Credentials block of the community forum; empty = no Discourse.
        slack_source_block: Community Slack Credentials block of the community workspace; empty = no Slack source.
        slack_channels: Community Slack channels to read (names); empty = general, help, feature-requests.
        crm: Where accounts live: hubspot or salesforce.
        hubspot_block: HubSpot Credentials block, used when the CRM is hubspot.
        salesforce_block: Salesforce Credentials block, used when the CRM is salesforce.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        model_block: Community Scoring Model block whose classification rules turn posts into activities.
        discourse_requests_per_minute: Overrides the Discourse block's pacing (calls a minute; 0 = unpaced); empty = the block's.
        slack_pacing: Overrides the community Slack block's pacing (tier3, limited, unpaced); empty = the block's.
        slack_backfill_days: How far back each Slack channel is read.
    """
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    pulls = PullPlan(discourse_block, slack_source_block, slack_channels, crm, hubspot_block, salesforce_block,
                     discourse_requests_per_minute, 0, slack_pacing, slack_backfill_days)
    settings = preflight(pulls.blocks(), database_block=database_block, model_block=model_block)
    with held_lease(database_block, run_owner()) as other:
        if other is not None:
            message = f"not started: {other} is pulling into this database; run the backfill when it is done"
            logger.warning(message)
            return Completed(message=message)
        summary = pulls.run(database_block, started, settings.rules)
    minutes = (datetime.now(timezone.utc) - started).total_seconds() / 60
    lines = ["# Backfill", "", f"Finished in {minutes:.1f} min. The next community-sync run scores it.", "",
             "| source | counts |", "|---|---|"]
    lines += [f"| {source} | {counts} |" for source, counts in summary.items()]
    create_markdown_artifact("\n".join(lines), key="community-backfill", description="What the backfill stored")
    logger.info("Backfill done in %.1f min: %s", minutes, summary)
    return summary
