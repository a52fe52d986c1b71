"""Signals derived from scores over time. First cut: tier transitions with episodes.

Every tier change starts a new episode, so "entered Intent again after leaving" has a new
episode number while "still in Intent" keeps its own: playbooks key their actions on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from scoring.model import ScoringModel
from scoring.records import TierState

__all__ = ["TierTransition", "advance_tiers"]


@dataclass(frozen=True, slots=True)
class TierTransition:
    """An entity moved from one tier to another (None = below awareness)."""

    entity_id: str
    from_tier: str | None
    to_tier: str | None
    score: float
    episode: int
    at: datetime


def advance_tiers(
    scores: Mapping[str, float],
    previous: Mapping[str, TierState],
    model: ScoringModel,
    now: datetime,
) -> tuple[dict[str, TierState], list[TierTransition]]:
    """New tier states for every scored or previously tiered entity, and the moves among them.

    An entity that disappeared from ``scores`` has a score of 0.
    """
    states: dict[str, TierState] = {}
    transitions: list[TierTransition] = []
    for entity_id in sorted(set(scores) | set(previous)):
        score = scores.get(entity_id, 0.0)
        tier = model.tier(score)
        before = previous.get(entity_id)
        old_tier = before.tier if before else None
        if before is not None and tier == old_tier:
            states[entity_id] = TierState(entity_id, tier, score, before.since, before.episode)
            continue
        if before is None and tier is None:
            continue
        episode = (before.episode if before else 0) + 1
        states[entity_id] = TierState(entity_id, tier, score, now, episode)
        transitions.append(TierTransition(entity_id, old_tier, tier, score, episode, now))
    return states, transitions
