"""Flow parameters as pydantic models, so the Prefect UI renders them as forms.

They carry block names, never secrets. Validators do not run in the UI: the flow
validates again when it starts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from playbooks.intent import IntentPlaybookConfig
from scoring.classify import ClassificationRules
from scoring.model import ScoringModel

__all__ = ["SyncParameters"]


class SyncParameters(BaseModel):
    """What ``community_sync`` reads from, how it scores and what it may do."""

    model_config = ConfigDict(extra="forbid")

    database_url: str | None = Field(
        default=None,
        title="State database URL",
        description="SQLAlchemy URL; empty = $COMMUNITY_SCORING_DATABASE_URL or ~/.community-scoring/state.db.",
    )
    discourse_block: str | None = Field(
        default="discourse", title="Discourse credentials block", description="Community source; empty = no Discourse."
    )
    slack_source_block: str | None = Field(
        default=None, title="Community Slack block",
        description="Community source: the community workspace's bot token; empty = no Slack source.",
    )
    slack_channels: list[str] = Field(
        default_factory=lambda: ["general", "help", "feature-requests"],
        description="Community Slack channels to read (names).",
    )
    slack_pacing: Literal["tier3", "limited", "unpaced"] = Field(
        default="tier3",
        description="tier3: internal/Marketplace apps; limited: 1 history call a minute, 15 messages each; "
                    "unpaced: local emulators only.",
    )
    slack_backfill_days: float = Field(default=90, gt=0, description="How far back a channel's first sync reads.")
    crm: Literal["hubspot", "salesforce"] = Field(default="hubspot", title="CRM", description="Where accounts live and tasks go.")
    hubspot_block: str | None = Field(
        default="hubspot", title="HubSpot credentials block", description="Used when the CRM is hubspot."
    )
    salesforce_block: str | None = Field(
        default="salesforce", title="Salesforce credentials block", description="Used when the CRM is salesforce."
    )
    slack_block: str | None = Field(
        default="community-slack", title="Alerts Slack block",
        description="The company workspace where alerts go; empty = no alerts.",
    )
    discourse_requests_per_minute: float = Field(
        default=50, ge=0, description="Client-side pacing (Discourse allows 60/min site-wide for API keys); 0 = unpaced."
    )
    likes_lookback_days: float = Field(
        default=2, ge=0, description="Posts this young are re-read for new likes."
    )
    model: ScoringModel = Field(default_factory=ScoringModel, title="Scoring model")
    rules: ClassificationRules = Field(default_factory=ClassificationRules, title="Classification rules")
    intent: IntentPlaybookConfig = Field(default_factory=IntentPlaybookConfig, title="Intent playbook")
    leaderboard_size: int = Field(default=25, ge=1, le=1000, description="Accounts in the leaderboard artifact.")
