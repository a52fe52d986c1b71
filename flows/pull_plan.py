"""What a run pulls, shared by ``community_sync`` and ``backfill``: the blocks to check and the pulls to run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect.blocks.core import Block

from connectors.blocks import (
    CommunitySlackCredentials,
    DiscourseCredentials,
    HubSpotCredentials,
    SalesforceCredentials,
)
from flows.pulls import HUBSPOT, SALESFORCE, pull_discourse, pull_hubspot, pull_salesforce, pull_slack
from flows.tasks import resolve_identities
from scoring.classify import ClassificationRules

__all__ = ["DEFAULT_SLACK_CHANNELS", "PullPlan"]

DEFAULT_SLACK_CHANNELS = ("general", "help", "feature-requests")


@dataclass(frozen=True)
class PullPlan:
    """The sources and CRM a run reads, by block name, and how fast it may read them."""

    discourse_block: str | None
    slack_source_block: str | None
    slack_channels: list[str] | None
    crm: str
    hubspot_block: str | None
    salesforce_block: str | None
    discourse_requests_per_minute: float | None
    likes_lookback_days: float | None
    slack_pacing: str | None
    slack_backfill_days: float

    @property
    def crm_block(self) -> str | None:
        return self.hubspot_block if self.crm == HUBSPOT else self.salesforce_block

    def blocks(self) -> dict[str, tuple[type[Block], str | None]]:
        """parameter → (block type, name) of every block the pulls load, for `preflight`."""
        crm_type = HubSpotCredentials if self.crm == HUBSPOT else SalesforceCredentials
        return {
            "discourse_block": (DiscourseCredentials, self.discourse_block),
            "slack_source_block": (CommunitySlackCredentials, self.slack_source_block),
            f"{self.crm}_block": (crm_type, self.crm_block),
        }

    def run(self, database_block: str | None, now: datetime, rules: ClassificationRules) -> dict[str, Any]:
        """Pull every configured source and the CRM, then resolve identities; the counts by source."""
        summary: dict[str, Any] = {}
        if self.discourse_block:
            summary["discourse"] = pull_discourse(
                self.discourse_block, database_block, now, rules,
                self.discourse_requests_per_minute, self.likes_lookback_days,
            )
        if self.slack_source_block:
            summary["slack"] = pull_slack(
                self.slack_source_block, database_block, now, rules,
                list(self.slack_channels or DEFAULT_SLACK_CHANNELS), self.slack_pacing, self.slack_backfill_days,
            )
        if self.crm_block:
            if self.crm == HUBSPOT:
                summary[HUBSPOT] = pull_hubspot(self.crm_block, database_block)
            else:
                summary[SALESFORCE] = pull_salesforce(self.crm_block, database_block, rules)
            summary["identity"] = resolve_identities(database_block, self.crm)
        return summary
