"""Preview a draft model against the published one before publishing it.

The community manager edits a draft; this shows what would change on the same activities at
the same moment: each account's score and tier under both, the accounts that would change
tier, the Intent alerts each would fire, and the tier distribution under each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from scoring.attribution import TierDistribution, tier_distribution
from scoring.model import ScoringModel
from scoring.records import Activity, TierState
from scoring.score import active_members, score_accounts, score_members
from scoring.signals import advance_tiers, last_activity, recently_active

__all__ = ["AccountComparison", "ModelComparison", "compare_models"]


@dataclass(frozen=True, slots=True)
class AccountComparison:
    """One account under the published and the draft model."""

    account_id: str
    published_score: float
    draft_score: float
    published_tier: str | None
    draft_tier: str | None

    @property
    def changes_tier(self) -> bool:
        return self.published_tier != self.draft_tier


@dataclass(frozen=True, slots=True)
class ModelComparison:
    """What publishing ``draft_version`` would change; ``rows()`` feeds a table artifact."""

    published_version: str
    draft_version: str
    accounts: tuple[AccountComparison, ...]
    tier_changes: tuple[AccountComparison, ...]
    published_alerts: tuple[str, ...]
    draft_alerts: tuple[str, ...]
    published_distribution: TierDistribution
    draft_distribution: TierDistribution

    @property
    def alerts_added(self) -> tuple[str, ...]:
        """Accounts the draft would alert and the published model would not."""
        return tuple(a for a in self.draft_alerts if a not in set(self.published_alerts))

    @property
    def alerts_removed(self) -> tuple[str, ...]:
        """Accounts the published model would alert and the draft would not."""
        return tuple(a for a in self.published_alerts if a not in set(self.draft_alerts))

    def rows(self) -> list[dict[str, object]]:
        """One plain row per account that changes tier or alert, for a table artifact."""
        published, draft = set(self.published_alerts), set(self.draft_alerts)
        return [
            {
                "account": c.account_id,
                "published_score": round(c.published_score, 1),
                "draft_score": round(c.draft_score, 1),
                "published_tier": c.published_tier or "",
                "draft_tier": c.draft_tier or "",
                "published_alert": c.account_id in published,
                "draft_alert": c.account_id in draft,
            }
            for c in self.accounts
            if c.changes_tier or ((c.account_id in published) != (c.account_id in draft))
        ]


def compare_models(
    published: ScoringModel,
    draft: ScoringModel,
    activities: Iterable[Activity],
    account_of: Mapping[str, str],
    now: datetime,
    previous_states: Mapping[str, TierState] | None = None,
) -> ModelComparison:
    """Score every account under both models at ``now`` and list what would differ.

    Tiers come from `advance_tiers` against ``previous_states`` (so hysteresis applies);
    without previous states every account starts from no tier. An Intent alert fires for an
    account entering Intent that passes the model's own recency filter, as the playbook does.
    """
    items = list(activities)
    previous = dict(previous_states or {})
    latest = last_activity(items, account_of)
    outcomes = []
    for model in (published, draft):
        active = active_members(items, model, now) if model.breadth.enabled else None
        scores = score_accounts(score_members(items, model, now), account_of, model, active=active)
        states, moves = advance_tiers(scores, previous, model, now)
        recent = recently_active(latest, model, now)
        alerts = tuple(m.entity_id for m in moves if m.to_tier == "intent" and m.entity_id in recent)
        outcomes.append((scores, states, alerts))
    (p_scores, p_states, p_alerts), (d_scores, d_states, d_alerts) = outcomes
    ids = sorted(set(p_scores) | set(d_scores) | set(p_states) | set(d_states))
    accounts = tuple(
        AccountComparison(
            account,
            p_scores.get(account, 0.0),
            d_scores.get(account, 0.0),
            p_states[account].tier if account in p_states else None,
            d_states[account].tier if account in d_states else None,
        )
        for account in ids
    )
    return ModelComparison(
        published_version=published.version,
        draft_version=draft.version,
        accounts=accounts,
        tier_changes=tuple(c for c in accounts if c.changes_tier),
        published_alerts=p_alerts,
        draft_alerts=d_alerts,
        published_distribution=tier_distribution({c.account_id: c.published_tier for c in accounts}),
        draft_distribution=tier_distribution({c.account_id: c.draft_tier for c in accounts}),
    )
