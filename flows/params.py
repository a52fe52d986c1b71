"""Flow parameters as pydantic models, so the Prefect UI renders them as forms.

They carry block names, never secrets. Validators do not run in the UI: the flow
validates again when it starts.
"""

from __future__ import annotations

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
        default="discourse", title="Discourse credentials block", description="Empty = skip Discourse."
    )
    hubspot_block: str | None = Field(
        default="hubspot", title="HubSpot credentials block", description="Empty = skip the CRM."
    )
    slack_block: str | None = Field(
        default="community-slack", title="Slack credentials block", description="For alerts; empty = no alerts."
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
