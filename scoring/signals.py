"""Signals derived from scores over time: tier moves, recency, velocity, re-emergence,
churn risk, champions, the seasonal baseline and free-vs-paid routing.

Every tier change starts a new episode, so "entered Intent again after leaving" has a new
episode number while "still in Intent" keeps its own: playbooks key their actions on it.

Tier moves use hysteresis: an upgrade happens as soon as the score reaches a higher floor;
a downgrade only when the score falls below the current tier's floor minus
``model.hysteresis_points`` (then to the tier the score is in). Leaving ``awareness`` for no
tier has no margin: its floor is 1 point and decayed scores never reach 0, so a margin would
keep every member who ever acted in awareness forever.

Signals over time read a `ScoreHistory` (one scoring pass per evaluated day for everybody).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from scoring.frame import ActivityFrame, as_frame, moment, timestamp
from scoring.history import Engagement, ScoreHistory, score_history
from scoring.model import ScoringModel
from scoring.moments import require_all_aware, require_aware
from scoring.records import TIERS, Activity, TierState
from scoring.score import IS_REACTION

__all__ = [
    "DEFAULT_FREE_PLANS",
    "Champion",
    "ChurnRisk",
    "Reemergence",
    "SeasonalFactor",
    "Signals",
    "TierTransition",
    "Velocity",
    "advance_tiers",
    "champions",
    "churn_risks",
    "detect_signals",
    "last_activity",
    "next_tier",
    "recently_active",
    "reemerged",
    "route",
    "seasonal_factor",
    "velocities",
]

_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)


def _micros(seconds: np.ndarray) -> np.ndarray:
    """POSIX seconds as whole microseconds (exact for the microsecond datetimes they came from)."""
    return np.rint(seconds * 1e6).astype(np.int64)


# --- tiers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierTransition:
    """An entity moved from one tier to another (None = below awareness)."""

    entity_id: str
    from_tier: str | None
    to_tier: str | None
    score: float
    episode: int
    at: datetime


def _rank(tier: str | None) -> int:
    return TIERS.index(tier) if tier in TIERS else -1


def next_tier(current: str | None, score: float, model: ScoringModel) -> str | None:
    """The tier an entity in ``current`` is in after scoring ``score``, with hysteresis.

    Up as soon as ``score`` reaches a higher floor; down only below ``floor - hysteresis``
    of the current tier (no margin when leaving awareness), then to the tier of ``score``.
    """
    scored = model.tier(score)
    if current not in TIERS or _rank(scored) >= _rank(current):
        return scored
    if current == TIERS[0]:
        return scored
    if score < model.tier_floors[current] - model.hysteresis_points:
        return scored
    return current


def advance_tiers(
    scores: Mapping[str, float],
    previous: Mapping[str, TierState],
    model: ScoringModel,
    now: datetime,
) -> tuple[dict[str, TierState], list[TierTransition]]:
    """New tier states for every scored or previously tiered entity, and the moves among them.

    An entity that disappeared from ``scores`` has a score of 0. Every tier change starts a
    new episode (``episode + 1``); staying in a tier keeps ``since`` and ``episode``.
    """
    require_aware(now, "now")
    require_all_aware((state.since for state in previous.values()), "a previous tier state's since")
    states: dict[str, TierState] = {}
    transitions: list[TierTransition] = []
    for entity_id in sorted(set(scores) | set(previous)):
        score = scores.get(entity_id, 0.0)
        before = previous.get(entity_id)
        old_tier = before.tier if before else None
        tier = next_tier(old_tier, score, model)
        if before is not None and tier == old_tier:
            states[entity_id] = TierState(entity_id, tier, score, before.since, before.episode)
            continue
        if before is None and tier is None:
            continue
        episode = (before.episode if before else 0) + 1
        states[entity_id] = TierState(entity_id, tier, score, now, episode)
        transitions.append(TierTransition(entity_id, old_tier, tier, score, episode, now))
    return states, transitions


# --- recency and re-emergence --------------------------------------------------------------


def last_activity(
    activities: Iterable[Activity] | ActivityFrame, account_of: Mapping[str, str] | None = None
) -> dict[str, datetime]:
    """Latest ``occurred_at`` per member key, or per account when ``account_of`` is given."""
    frame = as_frame(activities)
    latest_seconds = frame.per_member(np.maximum)
    latest: dict[str, float] = {}
    for member, seconds in zip(frame.member_keys, latest_seconds.tolist()):
        key = member if account_of is None else account_of.get(member)
        if key is not None and seconds > latest.get(key, -math.inf):
            latest[key] = seconds
    return {key: moment(seconds) for key, seconds in latest.items()}


def recently_active(
    last_activity_at: Mapping[str, datetime], model: ScoringModel, now: datetime
) -> set[str]:
    """Entities with activity in the last ``model.recency_days`` (the Intent outreach filter).

    Outreach on an account that went quiet weeks ago is cold; the filter keeps Intent alerts
    to accounts that are active now. Timestamps after ``now`` (clock skew) count as recent.
    """
    since = require_aware(now, "now") - timedelta(days=model.recency_days)
    require_all_aware(last_activity_at.values(), "a last-activity time")
    return {key for key, at in last_activity_at.items() if at >= since}


@dataclass(frozen=True, slots=True)
class Reemergence:
    """A member came back after ``gap_days`` of silence; ``returned_at`` keys the play."""

    member_key: str
    silent_since: datetime
    returned_at: datetime
    gap_days: float


def reemerged(
    activities: Iterable[Activity] | ActivityFrame,
    model: ScoringModel,
    now: datetime,
    *,
    known_since: Mapping[str, datetime] | None = None,
) -> dict[str, Reemergence]:
    """Members whose return after ``reemergence_gap_days``+ of silence is recent.

    A *return* is a non-reaction activity (a post, an answer, a webinar, ...; see
    `scoring.score.REACTION_TYPES`) whose previous non-reaction activity lies at least
    ``model.reemergence_gap_days`` before it. A like neither is a return nor ends the silence.
    A member's first non-reaction activity is a return too when the member was known that
    long before it: a lurker. Known since = the earlier of ``known_since[member]`` (e.g. when
    the account was created on the forum) and the member's first activity of any type.
    Flags a member whose most recent return happened within the last ``model.recency_days``;
    further activity after the return keeps the flag (a returning member rarely posts only
    once). Why: this cohort converted best of all (22%).
    """
    now_seconds = timestamp(now, "now")
    known = dict(known_since or {})
    require_all_aware(known.values(), "a known_since time")
    frame = as_frame(activities)
    up_to_now = frame.occurred_at <= now_seconds
    first_seen = frame.per_member(np.minimum, up_to_now)
    for member, i in ((k, i) for i, k in enumerate(frame.member_keys) if k in known):
        first_seen[i] = min(first_seen[i], known[member].timestamp())  # the start of a lurker's silence
    rows = np.flatnonzero(up_to_now & ~IS_REACTION[frame.type])
    rows = rows[np.lexsort((frame.occurred_at[rows], frame.member[rows]))]  # by member, then time
    member, at = frame.member[rows], frame.occurred_at[rows]
    first_of_member = np.ones(rows.size, dtype=bool)
    first_of_member[1:] = member[1:] != member[:-1]
    before = np.empty(rows.size)
    before[1:] = at[:-1]
    before[first_of_member] = first_seen[member[first_of_member]]
    since = timestamp(now - timedelta(days=model.recency_days), "now")
    gap = timedelta(days=model.reemergence_gap_days) // _MICROSECOND  # compared in whole microseconds: exact
    returns = np.flatnonzero((at >= since) & (_micros(at) - _micros(before) >= gap))
    latest = returns[np.append(member[returns][1:] != member[returns][:-1], True)] if returns.size else returns
    found: dict[str, Reemergence] = {}
    for i in latest.tolist():
        key = frame.member_keys[member[i]]
        silent_since, returned_at = moment(float(before[i])), moment(float(at[i]))
        found[key] = Reemergence(key, silent_since, returned_at, (returned_at - silent_since) / _DAY)
    return found


# --- seasonal baseline, velocity, churn ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeasonalFactor:
    """How busy the trailing window was compared with the long-run average window."""

    factor: float
    trailing_count: int
    long_run_average: float | None
    raw_ratio: float | None


def seasonal_factor(
    activities: Iterable[Activity] | ActivityFrame,
    model: ScoringModel,
    now: datetime,
    *,
    history_start: datetime | None = None,
) -> SeasonalFactor:
    """Scale of the churn and velocity thresholds, from community-wide activity counts.

    ``trailing_count`` = activities with ``now - seasonal.trailing_days < occurred_at <= now``;
    ``long_run_average`` = activities with ``history_start <= occurred_at <= now`` times
    ``trailing_days / (now - history_start in days)`` (the average count per window of the
    same length; ``history_start`` defaults to the earliest activity);
    ``factor = clamp(trailing_count / long_run_average, min_factor, max_factor)``.
    The factor is 1 when the baseline is disabled, when there is no activity, or when the
    history is not longer than one trailing window (nothing to compare with yet).
    A holiday dip gives a factor < 1: churn needs a larger drop, velocity a smaller gain.
    """
    config = model.seasonal
    require_aware(now, "now")
    if history_start is not None:
        require_aware(history_start, "history_start")
    now_seconds = timestamp(now, "now")
    stamps = as_frame(activities).occurred_at
    stamps = stamps[stamps <= now_seconds]
    start = history_start if history_start is not None else (moment(float(stamps.min())) if stamps.size else None)
    trailing = int(np.count_nonzero(stamps > timestamp(now - timedelta(days=config.trailing_days), "now")))
    if not config.enabled or start is None:
        return SeasonalFactor(1.0, trailing, None, None)
    span_days = (now - start) / _DAY
    if span_days <= config.trailing_days:
        return SeasonalFactor(1.0, trailing, None, None)
    total = int(np.count_nonzero(stamps >= timestamp(start, "history_start")))
    average = total * config.trailing_days / span_days
    if average <= 0:
        return SeasonalFactor(1.0, trailing, average, None)
    ratio = trailing / average
    return SeasonalFactor(min(max(ratio, config.min_factor), config.max_factor), trailing, average, ratio)


@dataclass(frozen=True, slots=True)
class Velocity:
    """Score gain over the velocity window; fast-rising when ``gain >= threshold``."""

    entity_id: str
    score: float
    score_before: float
    gain: float
    per_day: float
    threshold: float
    fast_rising: bool


def velocities(
    scores_now: Mapping[str, float],
    scores_before: Mapping[str, float],
    model: ScoringModel,
    factor: float = 1.0,
) -> dict[str, Velocity]:
    """Velocity of every entity scored now: ``score now - score velocity_window_days ago``.

    Fast-rising when the gain is at least ``fast_rising_points * factor`` (the seasonal
    factor: in a quiet season a smaller gain stands out). Why: a quickly rising account is
    evaluating now, before it crosses the Intent floor.
    """
    threshold = model.fast_rising_points * factor
    window = model.velocity_window_days
    found: dict[str, Velocity] = {}
    for entity, score in scores_now.items():
        before = scores_before.get(entity, 0.0)
        gain = score - before
        found[entity] = Velocity(entity, score, before, gain, gain / window, threshold, gain >= threshold)
    return found


@dataclass(frozen=True, slots=True)
class ChurnRisk:
    """An account fell ``drop`` points from its peak within the churn window.

    ``threshold`` is the drop in points it was compared with (``drop >= threshold``).
    Under the disengagement rule ``recent_activity`` and ``usual_activity`` are the
    account's member-days in the churn window and its usual rate per window (`Engagement`).
    """

    account_id: str
    score: float
    peak_score: float
    peak_at: datetime
    drop: float
    threshold: float
    rule: str = "drop_points"
    recent_activity: int | None = None
    usual_activity: float | None = None


def churn_risks(history: ScoreHistory, model: ScoringModel, factor: float = 1.0) -> dict[str, ChurnRisk]:
    """Accounts at churn risk: disengaging, not merely decaying after a burst.

    ``drop`` = max of the account's daily scores over the last ``churn_window_days`` (every
    whole day, now included) minus its current score. ``quiet = min(factor, 1)`` is the
    seasonal factor, never above 1: in a quiet season it raises the bar, so a community-wide
    holiday dip fires no alerts; a busy season never lowers it, since the baseline exists to
    suppress alarms, not to add them.

    - ``churn_rule: disengagement`` (default): the drop is at least
      ``threshold = max(churn_drop_share * peak, churn_min_drop_points) / quiet`` *and* the
      account's own activity fell: its member-days in the churn window are at most
      ``churn_activity_ratio * quiet`` times its usual rate (``history.engagement``; an
      account without activity in either window counts as 0 and 0). With half-lives of
      two weeks every account loses 40 points after a burst and thousands after a quiet
      weekend; only an account whose members stopped showing up is leaving.
    - ``churn_rule: drop_points``: PRODUCT.md's absolute rule, the drop is at least
      ``threshold = churn_drop_points / quiet``.

    Why: a sharp fall in engagement precedes churn.
    """
    quiet = min(factor, 1.0)
    disengagement = model.churn_rule == "disengagement"
    days = [d for d in history.days_ago if d <= model.churn_window_days and d == int(d)]
    current = history.accounts.get(0.0, {})
    entities = set().union(*(history.accounts[d] for d in days)) if days else set()
    found: dict[str, ChurnRisk] = {}
    for account in sorted(entities):
        peak_day = max(days, key=lambda d: (history.accounts[d].get(account, 0.0), -d))
        peak = history.accounts[peak_day].get(account, 0.0)
        score = current.get(account, 0.0)
        drop = peak - score
        if not disengagement:
            threshold = model.churn_drop_points / quiet
            if drop >= threshold:
                found[account] = ChurnRisk(account, score, peak, history.at(peak_day), drop, threshold)
            continue
        threshold = max(model.churn_drop_share * peak, model.churn_min_drop_points) / quiet
        if drop < threshold:
            continue
        engagement = history.engagement.get(account, Engagement(0, 0.0))
        if engagement.recent <= model.churn_activity_ratio * quiet * engagement.usual:
            found[account] = ChurnRisk(account, score, peak, history.at(peak_day), drop, threshold,
                                       "disengagement", engagement.recent, engagement.usual)
    return found


# --- champions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Champion:
    """A member at Intent on every day of the streak; ``lowest_score`` over those days."""

    member_key: str
    streak_days: int
    lowest_score: float


def champions(history: ScoreHistory, model: ScoringModel) -> dict[str, Champion]:
    """Members at Intent on each of the days ``now - k days``, ``k = champion_streak_days .. 0``.

    "At Intent for 30+ consecutive days" means a score at or above the intent floor on every
    one of those days: the hysteresis band that keeps a tier from flapping does not make a
    member who fell below the floor a champion. So a member who reached Intent exactly
    ``champion_streak_days`` ago and stayed above the floor is a champion; a day later start
    is not. Why: long-standing advocates are invited to beta programs and advisory boards.
    """
    streak = model.champion_streak_days
    floor = model.tier_floors["intent"]
    keep = floor
    days = [float(k) for k in range(streak, -1, -1)]
    if any(d not in history.members for d in days):
        raise ValueError(f"the history lacks some of the last {streak} days; use signal_days(model)")
    found: dict[str, Champion] = {}
    for member, first in history.members[days[0]].items():
        if first < floor:
            continue
        scores = [history.members[d].get(member, 0.0) for d in days]
        if all(s >= keep for s in scores[1:]):
            found[member] = Champion(member, streak, min(scores))
    return found


# --- routing ------------------------------------------------------------------------------------

#: Plans routed to free-to-paid conversion; anything else is a paid plan (expansion).
DEFAULT_FREE_PLANS: frozenset[str] = frozenset({"free", "trial", "freemium"})


def route(
    plan: str | None, *, free_plans: Collection[str] = DEFAULT_FREE_PLANS
) -> Literal["conversion", "expansion"]:
    """Which motion an Intent account goes to: free/trial/unknown plan → conversion, paid → expansion.

    Plan names compare case-insensitively, ignoring surrounding spaces. Why: free accounts
    are converted by SDRs, paid ones expanded by their CSM, with different messages.
    """
    name = (plan or "").strip().lower()
    free = {p.strip().lower() for p in free_plans}
    return "conversion" if not name or name in free else "expansion"


# --- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signals:
    """All signals of one sync, computed from one score history."""

    evaluated_at: datetime
    seasonal: SeasonalFactor
    recently_active_accounts: frozenset[str]
    account_velocity: Mapping[str, Velocity]
    member_velocity: Mapping[str, Velocity]
    churn_risks: Mapping[str, ChurnRisk]
    champions: Mapping[str, Champion]
    reemerged: Mapping[str, Reemergence]
    history: ScoreHistory


def detect_signals(
    activities: Iterable[Activity] | ActivityFrame,
    account_of: Mapping[str, str],
    model: ScoringModel,
    now: datetime,
    *,
    history_start: datetime | None = None,
    known_since: Mapping[str, datetime] | None = None,
) -> Signals:
    """Every signal of PRODUCT.md for all members and accounts, scoring once per evaluated day.

    ``known_since`` (member key → when the member was first known, e.g. joined the forum)
    lets a lurker's first post count as a return; see `reemerged`.
    """
    items = as_frame(activities)
    history = score_history(items, account_of, model, now)
    seasonal = seasonal_factor(items, model, now, history_start=history_start)
    window = model.velocity_window_days
    return Signals(
        evaluated_at=now,
        seasonal=seasonal,
        recently_active_accounts=frozenset(recently_active(last_activity(items, account_of), model, now)),
        account_velocity=velocities(history.accounts[0.0], history.accounts[window], model, seasonal.factor),
        member_velocity=velocities(history.members[0.0], history.members[window], model, seasonal.factor),
        churn_risks=churn_risks(history, model, seasonal.factor),
        champions=champions(history, model),
        reemerged=reemerged(items, model, now, known_since=known_since),
        history=history,
    )
