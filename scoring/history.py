"""Member and account scores at ``now`` and at whole days before it.

Signals compare scores over time (velocity, churn, champion streaks). Computing those per
entity would rescore the same activities thousands of times; instead the history scores
*everybody* once per evaluation moment with the public ``score_members`` and
``score_accounts``, and the signals read the results.

Each moment ``now - d days`` is scored from the activities that had happened by then
(``occurred_at <= moment``), so a score in the past is what a sync at that moment would
have computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.errors import ScoringError
from scoring.frame import ActivityFrame
from scoring.model import ScoringModel
from scoring.moments import require_aware
from scoring.records import Activity
from scoring.score import active_members, score_accounts, score_members

__all__ = ["ScoreHistory", "score_history", "signal_days"]


@dataclass(frozen=True, slots=True)
class ScoreHistory:
    """Scores keyed by days before ``evaluated_at`` (0 = then); an entity missing at a moment scores 0."""

    evaluated_at: datetime
    members: Mapping[float, Mapping[str, float]]
    accounts: Mapping[float, Mapping[str, float]]

    @property
    def days_ago(self) -> tuple[float, ...]:
        """The evaluated moments, most recent first."""
        return tuple(sorted(self.members))

    def at(self, days_ago: float) -> datetime:
        """The moment ``days_ago`` days before ``evaluated_at``."""
        return self.evaluated_at - timedelta(days=days_ago)


def signal_days(model: ScoringModel) -> tuple[float, ...]:
    """The moments (days before now) the signals of ``model`` read.

    Every whole day of the churn window and of the champion streak (both ends included),
    plus the start of the velocity window.
    """
    days = set(range(math.floor(model.churn_window_days) + 1))
    days |= set(range(model.champion_streak_days + 1))
    days.add(model.velocity_window_days)
    return tuple(sorted(float(d) for d in days))


def score_history(
    activities: Iterable[Activity],
    account_of: Mapping[str, str],
    model: ScoringModel,
    now: datetime,
    days_ago: Iterable[float] | None = None,
) -> ScoreHistory:
    """Score every member and account at each of ``days_ago`` (default: `signal_days`).

    One ``score_members`` call per moment, over the activities that had happened by then;
    with the breadth multiplier on, the members active at that moment (`active_members`).
    """
    require_aware(now, "now")
    ordered = list(activities)
    for activity in ordered:
        if activity.occurred_at.tzinfo is None:
            raise ScoringError(
                f"activity {activity.source}:{activity.source_event_id} has a naive occurred_at"
            )
    ordered.sort(key=lambda a: a.occurred_at)
    frame = ActivityFrame.from_activities(ordered)  # converted once, scored once per day
    first_at: dict[str, datetime] = {}
    for activity in ordered:
        first_at.setdefault(activity.member_key, activity.occurred_at)
    members: dict[float, dict[str, float]] = {}
    accounts: dict[float, dict[str, float]] = {}
    for day in sorted(set(signal_days(model) if days_ago is None else days_ago)):
        if day < 0:
            raise ScoringError(f"days_ago must be >= 0, got {day!r}")
        moment = now - timedelta(days=day)
        # Activities after ``moment`` score nothing; members who had not acted yet are left out.
        scored = {k: v for k, v in score_members(frame, model, moment).items() if first_at[k] <= moment}
        active = active_members(frame, model, moment) if model.breadth.enabled else None
        members[float(day)] = scored
        accounts[float(day)] = score_accounts(scored, account_of, model, active=active)
    return ScoreHistory(now, members, accounts)
