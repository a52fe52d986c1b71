"""Prefect blocks for settings that are not one service's credentials.

- `StateDatabase`: where the state lives. A PostgreSQL URL carries a password, so the URL
  is a `SecretStr` in a block and flows take the block's *name*, never the URL.
- `ScoringSettings`: the published scoring model and classification rules, edited as a
  form under Blocks. Flows take its name, so a run that overrides one parameter never
  replaces the model, and publishing a model is saving this block.
"""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from scoring.classify import ClassificationRules
from scoring.model import ScoringModel

__all__ = ["ScoringSettings", "StateDatabase"]

_DOCS = "https://github.com/prefect-community-scoring/prefect-community-scoring#state-database"


class StateDatabase(Block):
    """The state database: a SQLite file or a PostgreSQL database (needed by concurrent workers)."""

    _block_type_name = "Community Scoring State Database"
    _block_type_slug = "community-scoring-state-database"
    _documentation_url = _DOCS

    url: SecretStr = Field(
        description="SQLAlchemy URL: sqlite:////var/lib/community-scoring/state.db or "
                    "postgresql+psycopg://user:password@host:5432/db.",
    )

    def get_url(self) -> str:
        """The URL with its password: for `Store.open`, never for logs."""
        return self.url.get_secret_value()


class ScoringSettings(Block):
    """The published scoring model and classification rules (PRODUCT.md's defaults when left as they are)."""

    _block_type_name = "Community Scoring Model"
    _block_type_slug = "community-scoring-model"
    _documentation_url = "https://github.com/prefect-community-scoring/prefect-community-scoring#the-scoring-model"

    model: ScoringModel = Field(
        default_factory=ScoringModel,
        description="Points, half-lives, caps, tiers, hysteresis, signals and capacity. Set `version` when you publish.",
    )
    rules: ClassificationRules = Field(
        default_factory=ClassificationRules,
        description="How raw posts and messages become activity types: categories, channels, tags, keywords.",
    )
