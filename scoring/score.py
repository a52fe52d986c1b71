"""Decayed member scores and account scores at a given moment.

An activity worth ``p`` points contributes ``p * 0.5 ** (age / half_life)``. Sums use
``math.fsum`` so the result does not depend on the order of the activities.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from scoring.errors import ScoringError
from scoring.model import ScoringModel
from scoring.records import Activity

__all__ = ["decayed_points", "score_members", "score_accounts"]

_DAY_SECONDS = 86_400.0


def decayed_points(points: float, age_days: float, half_life_days: float) -> float:
    """What ``points`` are worth ``age_days`` later; activity in the future is worth nothing."""
    if age_days < 0:
        return 0.0
    return points * 0.5 ** (age_days / half_life_days)


def score_members(
    activities: Iterable[Activity], model: ScoringModel, now: datetime
) -> dict[str, float]:
    """Sum of decayed points per member key, for members with at least one activity."""
    if now.tzinfo is None:
        raise ScoringError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    parts: dict[str, list[float]] = defaultdict(list)
    for activity in activities:
        if activity.occurred_at.tzinfo is None:
            raise ScoringError(
                f"activity {activity.source}:{activity.source_event_id} has a naive occurred_at"
            )
        weight = model.weight(activity.type)
        age = (now - activity.occurred_at).total_seconds() / _DAY_SECONDS
        parts[activity.member_key].append(
            decayed_points(weight.points, age, weight.half_life_days)
        )
    return {key: math.fsum(values) for key, values in parts.items()}


def score_accounts(
    members: Mapping[str, float], account_of: Mapping[str, str], model: ScoringModel
) -> dict[str, float]:
    """Account score = sum of its members' scores; members without an account are left out."""
    parts: dict[str, list[float]] = defaultdict(list)
    for member_key, score in members.items():
        account = account_of.get(member_key)
        if account is not None:
            parts[account].append(score)
    return {account: math.fsum(values) for account, values in parts.items()}
