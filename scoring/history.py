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
from concurrent.futures import ThreadPoolExecutor
from itertools import compress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from scoring.caps import DAY_SECONDS
from scoring.errors import ScoringError
from scoring.frame import ActivityFrame, as_frame, timestamp
from scoring.model import ScoringModel
from scoring.moments import require_aware
from scoring.records import Activity
from scoring.score import account_totals, active_mask, capped_rows, score_array

__all__ = ["Engagement", "ScoreHistory", "account_engagement", "score_history", "signal_days"]

#: Moments scored at once: the sums are exact and each moment is scored on its own, so the
#: result is the same bit for bit whatever the number.
THREADS = 2


@dataclass(frozen=True, slots=True)
class Engagement:
    """An account's own activity rate, in member-days (a member active on a day counts once).

    ``recent``: member-days in the churn window (the last ``churn_window_days`` before the
    evaluation); ``usual``: member-days per window of that length over the
    ``churn_baseline_days`` before it. Member-days, not activity counts, so a burst of ten
    questions in one afternoon does not make the weeks after it look like a collapse.
    """

    recent: int
    usual: float


@dataclass(frozen=True, slots=True)
class ScoreHistory:
    """Scores keyed by days before ``evaluated_at`` (0 = then); an entity missing at a moment scores 0.

    ``engagement``: each account's activity rate at ``evaluated_at`` (churn's disengagement
    rule); an account missing there had no activity in the churn and baseline windows.
    """

    evaluated_at: datetime
    members: Mapping[float, Mapping[str, float]]
    accounts: Mapping[float, Mapping[str, float]]
    engagement: Mapping[str, Engagement] = field(default_factory=dict)

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
    activities: Iterable[Activity] | ActivityFrame,
    account_of: Mapping[str, str],
    model: ScoringModel,
    now: datetime,
    days_ago: Iterable[float] | None = None,
) -> ScoreHistory:
    """Score every member and account at each of ``days_ago`` (default: `signal_days`).

    One scoring pass per moment, over the activities that had happened by then; with the
    breadth multiplier on, the members active at that moment (`active_members`).
    """
    require_aware(now, "now")
    frame = as_frame(activities)  # converted once, scored once per day
    keys = frame.member_keys
    first_at = frame.per_member(np.minimum)
    accounts, account_idx = _account_index(frame, account_of)
    beyond_cap = capped_rows(frame, model)  # the same at every moment
    moments = sorted(set(signal_days(model) if days_ago is None else days_ago))
    if any(day < 0 for day in moments):
        raise ScoringError(f"days_ago must be >= 0, got {min(moments)!r}")

    def scored_at(day: float) -> tuple[dict[str, float], dict[str, float]]:
        """Members' and accounts' scores ``day`` days before ``now`` (each moment on its own: any order, any thread)."""
        moment = now - timedelta(days=day)
        # Activities after ``moment`` score nothing; members who had not acted yet are left out.
        scores = score_array(frame, model, moment, beyond_cap=beyond_cap)
        scored = first_at <= timestamp(moment, "now")
        active = active_mask(frame, model, moment) if model.breadth.enabled else None
        ids, totals = account_totals(scores, account_idx, len(accounts), model, scored=scored, active=active)
        return (dict(zip(compress(keys, scored.tolist()), scores[scored].tolist())),
                dict(zip([accounts[i] for i in ids.tolist()], totals.tolist())))

    # numpy lets go of the GIL in its array loops, so two moments at a time take about two thirds as long.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = dict(zip((float(day) for day in moments), pool.map(scored_at, moments)))
    members = {day: member_scores for day, (member_scores, _) in results.items()}
    account_scores = {day: totals for day, (_, totals) in results.items()}
    return ScoreHistory(now, members, account_scores, account_engagement(frame, account_of, model, now))


def _account_index(frame: ActivityFrame, account_of: Mapping[str, str]) -> tuple[list[str], np.ndarray]:
    """The accounts, sorted, and each frame member's index among them (-1: no account)."""
    accounts = sorted(set(account_of.values()))
    index = {a: i for i, a in enumerate(accounts)}
    account_idx = np.fromiter((index[account_of[k]] if k in account_of else -1 for k in frame.member_keys),
                              dtype=np.int64, count=len(frame.member_keys))
    return accounts, account_idx


def account_engagement(
    frame: ActivityFrame, account_of: Mapping[str, str], model: ScoringModel, now: datetime
) -> dict[str, Engagement]:
    """Member-days (any activity type) per account in the churn window and, per window, in the baseline before it.

    Days are counted back from ``now`` (day ``k`` holds ``now - (k+1) days < occurred_at <=
    now - k days``, rounded down); the churn window is days ``k < churn_window_days``, the
    baseline the ``churn_baseline_days`` after it. Activities after ``now`` do not count.
    """
    window, baseline = model.churn_window_days, model.churn_baseline_days
    accounts, account_idx = _account_index(frame, account_of)
    age = (timestamp(now, "now") - frame.occurred_at) / DAY_SECONDS
    rows = (age >= 0) & (age < window + baseline)
    if not rows.any():
        return {}
    member = frame.member[rows].astype(np.int64)
    mapped = account_idx[member] >= 0
    member, day = member[mapped], np.floor(age[rows][mapped]).astype(np.int64)
    span = int(day.max()) + 1 if day.size else 1
    pairs = np.unique(member * span + day)
    account, day = account_idx[pairs // span], pairs % span
    recent = np.bincount(account[day < window], minlength=len(accounts))
    before = np.bincount(account[day >= window], minlength=len(accounts))
    scale = window / baseline
    return {accounts[i]: Engagement(int(recent[i]), float(before[i]) * scale)
            for i in np.flatnonzero((recent > 0) | (before > 0)).tolist()}
