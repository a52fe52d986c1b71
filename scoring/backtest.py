"""Backtest: replay a model over the stored history, and what a floor or weight change would have done.

The calibration says *that* the false-positive rate is too high or recall too low; the
backtest says by how much to move which number. It replays the model day by day over the
history - the tiers each daily sync would have computed (hysteresis included), and an
Intent alert on the first moment of each Intent episode at which the account was active in
the last ``recency_days`` - then calibrates those alerts against the real upgrades.
Candidate models (the intent floor moved up or down; the weight of the activity type that
sets false positives apart lowered, or of the type that sets upgraded accounts apart
raised) are replayed the same way, and each suggestion also says what it would change
today (`scoring.versions.compare_models` against the current tier states).

Approximations, said plainly: syncs are assumed once per ``step_days`` (alerts land on that
grid); capacity caps, playbook modes, owners and holdouts are ignored; accounts already at
Intent when the replay starts count as alerted before it; only upgrades from the replay's
start on are judged, and identity matches are today's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from pydantic import ValidationError

from scoring.attribution import (
    DEFAULT_TARGET_SHAPE,
    Calibration,
    IntentAlert,
    Upgrade,
    calibrate,
)
from scoring.errors import ScoringError
from scoring.history import score_history
from scoring.model import ActivityWeight, ScoringModel
from scoring.moments import require_all_aware, require_aware
from scoring.records import TIERS, Activity, TierState
from scoring.versions import ModelComparison, compare_models

__all__ = ["Backtest", "Replay", "Suggestion", "backtest", "replay_alerts"]

#: Relative moves of the intent floor that the backtest tries.
FLOOR_STEPS: tuple[float, ...] = (-0.3, -0.2, -0.1, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


@dataclass(frozen=True, slots=True)
class Replay:
    """The Intent alerts ``model`` would have sent on the history, calibrated per account."""

    model: ScoringModel
    alerts: tuple[IntentAlert, ...]
    calibration: Calibration


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One concrete model change, its replay on the same history and its effect today."""

    change: str
    draft: ScoringModel
    replay: Replay
    today: ModelComparison
    text: str


@dataclass(frozen=True, slots=True)
class Backtest:
    """The published model replayed from ``start``, the intent floors tried, and the suggestions."""

    start: datetime
    step_days: float
    baseline: Replay
    floors: tuple[Replay, ...]
    suggestions: tuple[Suggestion, ...]


def replay_alerts(
    activities: Iterable[Activity],
    account_of: Mapping[str, str],
    model: ScoringModel,
    now: datetime,
    *,
    start: datetime,
    step_days: float = 1.0,
) -> list[IntentAlert]:
    """The Intent alerts ``model`` would have sent between ``start`` and ``now``, one sync per ``step_days``.

    ``first_signal_at`` of each alert is the moment its account entered Intent.
    """
    items = list(activities)
    moments = _moments(start, now, step_days)
    return _walk(_account_scores(items, account_of, model, now, moments), model)


def backtest(
    activities: Iterable[Activity],
    account_of: Mapping[str, str],
    upgrades: Iterable[Upgrade],
    model: ScoringModel,
    now: datetime,
    *,
    window_days: float = 90,
    horizon_days: float = 365,
    step_days: float = 1.0,
    previous_states: Mapping[str, TierState] | None = None,
    max_false_positive_rate: float = 0.25,
    min_recall: float = 0.60,
    target_shape: Mapping[str, float] = DEFAULT_TARGET_SHAPE,
    shape_tolerance: float = 0.10,
) -> Backtest:
    """Replay ``model`` over the last ``horizon_days`` of activity and suggest concrete changes.

    Suggestions: the intent floor that best meets both targets (false positives at most
    ``max_false_positive_rate``, recall at least ``min_recall``) when the replay misses one;
    a weight change when false positives or recall miss their target; floors that bring the
    tier shape (of today's scores) to ``target_shape`` when a share is more than
    ``shape_tolerance`` off. ``previous_states`` (today's tier states) make the "today"
    comparison apply hysteresis as the sync would.
    """
    require_aware(now, "now")
    items = [a for a in activities if require_aware(a.occurred_at, "an activity's occurred_at") <= now]
    upgrade_list = list(upgrades)
    require_all_aware((u.upgraded_at for u in upgrade_list), "an upgrade's upgraded_at")
    if not (math.isfinite(step_days) and step_days > 0):
        raise ScoringError(f"step_days must be a finite number of days > 0, got {step_days!r}")
    if not (math.isfinite(horizon_days) and horizon_days > 0):
        raise ScoringError(f"horizon_days must be a finite number of days > 0, got {horizon_days!r}")
    first = min((a.occurred_at for a in items), default=now)
    start = max(first - timedelta(days=step_days), now - timedelta(days=horizon_days))
    judged_upgrades = [u for u in upgrade_list if start <= u.upgraded_at <= now]
    moments = _moments(start, now, step_days)
    scores = _account_scores(items, account_of, model, now, moments)
    targets = (max_false_positive_rate, min_recall)

    def replay(candidate: ScoringModel, scored: _Grid = scores) -> Replay:
        alerts = _walk(scored, candidate)
        result = calibrate(alerts, judged_upgrades, {}, candidate, now, window_days=window_days,
                           max_false_positive_rate=max_false_positive_rate, min_recall=min_recall)
        return Replay(candidate, tuple(sorted(alerts, key=lambda a: (a.alerted_at, a.account_id))), result)

    baseline = replay(model)
    floors = tuple(replay(m) for m in _floor_models(model))

    def today(draft: ScoringModel) -> ModelComparison:
        return compare_models(model, draft, items, account_of, now, previous_states)

    suggestions: list[Suggestion] = []
    best = _best_floor(baseline, floors, targets)
    if best is not None:
        change = _floor_change(model, best.model, "intent")
        suggestions.append(_suggest(change, baseline, best, today(best.model), window_days))
    for draft, why in _weight_models(model, baseline, items, account_of, judged_upgrades, targets, window_days,
                                     now):
        scored = _account_scores(items, account_of, draft, now, moments)
        candidate = replay(draft, scored)
        if _shortfall(candidate.calibration, targets) < _shortfall(baseline.calibration, targets):
            change = f"{_weight_change(model, draft)} ({why})"
            suggestions.append(_suggest(change, baseline, candidate, today(draft), window_days))
    today_scores = dict(zip(scores.accounts, scores.scores[-1].tolist())) if len(moments) else {}
    for draft in _shape_models(model, today_scores, target_shape, shape_tolerance):
        candidate = next((f for f in floors if f.model.tier_floors == draft.tier_floors), None) or replay(draft)
        change = ", ".join(_floor_change(model, draft, t) for t in TIERS[1:]
                           if draft.tier_floors[t] != model.tier_floors[t])
        suggestions.append(_suggest(f"{change} (tier shape)", baseline, candidate, today(draft), window_days))
    return Backtest(start, step_days, baseline, floors, tuple(suggestions))


# --- the replay -------------------------------------------------------------------------------


def _moments(start: datetime, now: datetime, step_days: float) -> list[datetime]:
    """``start``, then a sync every ``step_days`` counted back from ``now``, oldest first."""
    require_aware(start, "start")
    require_aware(now, "now")
    span = max(0.0, (now - start).total_seconds() / 86400)
    count = math.ceil(span / step_days - 1e-9)
    grid = [now - timedelta(days=i * step_days) for i in range(count, -1, -1)]
    return [start] + [m for m in grid if m > start]


@dataclass(frozen=True, slots=True)
class _Grid:
    """Account scores and recent activity at each sync moment: rows are moments, columns accounts."""

    moments: list[datetime]
    accounts: list[str]
    scores: np.ndarray
    activity: list[np.ndarray]

    def active(self, recency_days: float) -> np.ndarray:
        """Whether each account had activity in the ``recency_days`` up to each moment."""
        at = np.array([m.timestamp() for m in self.moments])
        result = np.zeros(self.scores.shape, dtype=bool)
        for j, stamps in enumerate(self.activity):
            index = np.searchsorted(stamps, at, side="right")
            last = np.where(index > 0, stamps[np.maximum(index - 1, 0)] if len(stamps) else 0.0, -np.inf)
            result[:, j] = (index > 0) & (at - last <= recency_days * 86400)
        return result


def _account_scores(items: list[Activity], account_of: Mapping[str, str], model: ScoringModel, now: datetime,
                    moments: list[datetime]) -> _Grid:
    days = [(now - m).total_seconds() / 86400 for m in moments]
    history = score_history(items, account_of, model, now, days_ago=days)
    rows = [history.accounts[float(d)] for d in days]
    accounts = sorted(set().union(*rows)) if rows else []
    column = {a: j for j, a in enumerate(accounts)}
    scores = np.zeros((len(moments), len(accounts)))
    for i, row in enumerate(rows):
        for account, score in row.items():
            scores[i, column[account]] = score
    stamps: dict[str, list[float]] = defaultdict(list)
    for activity in items:
        account = account_of.get(activity.member_key)
        if account in column:
            stamps[account].append(activity.occurred_at.timestamp())
    return _Grid(moments, accounts, scores, [np.sort(np.array(stamps.get(a, []), dtype=float)) for a in accounts])


def _walk(grid: _Grid, model: ScoringModel) -> list[IntentAlert]:
    """Intent episodes sync by sync (`advance_tiers`' rule); one alert per episode, at its first active moment.

    Up into Intent as soon as the score reaches the floor, out only below the floor minus
    the hysteresis; the lower tiers do not matter for the alert. Vectorised over accounts,
    because every candidate floor replays every moment.
    """
    floor, margin = model.tier_floors["intent"], model.hysteresis_points
    count = len(grid.accounts)
    inside = np.zeros(count, dtype=bool)
    played = np.zeros(count, dtype=bool)
    since = np.zeros(count, dtype=int)
    active = grid.active(model.recency_days)
    alerts: list[IntentAlert] = []
    for i, row in enumerate(grid.scores):
        enter = ~inside & (row >= floor)
        leave = inside & (row < floor - margin)
        inside = (inside & ~leave) | enter
        played[enter] = False
        since[enter] = i
        if i == 0:
            played[inside] = True  # at Intent before the replay began
            continue
        fire = inside & ~played & active[i]
        played |= fire
        alerts += [IntentAlert(grid.accounts[j], grid.moments[i], first_signal_at=grid.moments[since[j]])
                   for j in np.flatnonzero(fire)]
    return alerts


# --- candidates -------------------------------------------------------------------------------


def _with_floors(model: ScoringModel, floors: Mapping[str, float]) -> ScoringModel | None:
    data = model.model_dump()
    data["tier_floors"] = {**model.tier_floors, **floors}
    data["version"] = f"{model.version}-draft"
    try:
        return ScoringModel.model_validate(data)
    except ValidationError:
        return None  # e.g. the floors would overlap or sit closer than the hysteresis


def _floor_models(model: ScoringModel) -> list[ScoringModel]:
    floor = model.tier_floors["intent"]
    values = sorted({round(floor * (1 + step)) for step in FLOOR_STEPS} - {floor})
    return [m for v in values if (m := _with_floors(model, {"intent": float(v)})) is not None]


def _shortfall(c: Calibration, targets: tuple[float, float]) -> float:
    """How far the rates miss their targets (0 = both met or unknown)."""
    max_fp, min_recall = targets
    fp = 0.0 if c.false_positive_rate is None else max(0.0, c.false_positive_rate - max_fp)
    recall = 0.0 if c.recall is None else max(0.0, min_recall - c.recall)
    return fp + recall


def _best_floor(baseline: Replay, floors: Iterable[Replay], targets: tuple[float, float]) -> Replay | None:
    """The floor closest to today's among those that miss the targets least, if that beats today's."""
    missing = _shortfall(baseline.calibration, targets)
    if missing == 0:
        return None
    current = baseline.model.tier_floors["intent"]
    ranked = sorted(floors, key=lambda r: (round(_shortfall(r.calibration, targets), 9),
                                           abs(r.model.tier_floors["intent"] - current)))
    if ranked and _shortfall(ranked[0].calibration, targets) < missing:
        return ranked[0]
    return None


def _weight_models(
    model: ScoringModel,
    baseline: Replay,
    items: list[Activity],
    account_of: Mapping[str, str],
    upgrades: list[Upgrade],
    targets: tuple[float, float],
    window_days: float,
    now: datetime,
) -> list[tuple[ScoringModel, str]]:
    """Halve the type most over-represented among false positives; raise by half the type of upgraders.

    The mix is of points (undecayed) in the window before each false-positive account's
    first alert, and before each upgraded account's first upgrade.
    """
    c = baseline.calibration
    fp_high = c.false_positive_rate is not None and c.false_positive_rate > targets[0]
    recall_low = c.recall is not None and c.recall < targets[1]
    if not (fp_high or recall_low):
        return []
    window = timedelta(days=window_days)
    first_alert: dict[str, datetime] = {}
    for alert in baseline.alerts:
        first_alert.setdefault(alert.account_id, alert.alerted_at)
    converted = {u.account_id for u in upgrades
                 if any(a.account_id == u.account_id and a.alerted_at <= u.upgraded_at <= a.alerted_at + window
                        for a in baseline.alerts)}
    judged_fp = {a for a, at in first_alert.items() if at <= now - window and a not in converted}
    first_upgrade: dict[str, datetime] = {}
    for upgrade in sorted(upgrades, key=lambda u: u.upgraded_at):
        first_upgrade.setdefault(upgrade.account_id, upgrade.upgraded_at)
    fp_mix = _mix(items, account_of, {a: first_alert[a] for a in judged_fp}, model, window)
    up_mix = _mix(items, account_of, first_upgrade, model, window)
    if not fp_mix or not up_mix:
        return []
    gaps = {t: fp_mix.get(t, 0.0) - up_mix.get(t, 0.0) for t in set(fp_mix) | set(up_mix)}
    found: list[tuple[ScoringModel, str]] = []
    if fp_high:
        worst = max(sorted(gaps), key=lambda t: gaps[t])
        if gaps[worst] > 0:
            why = (f"{fp_mix.get(worst, 0):.0%} of false positives' points vs {up_mix.get(worst, 0):.0%} of "
                   "upgraded accounts'")
            draft = _with_weight(model, worst, 0.5)
            if draft is not None:
                found.append((draft, why))
    if recall_low:
        best = min(sorted(gaps), key=lambda t: gaps[t])
        if gaps[best] < 0:
            why = (f"{up_mix.get(best, 0):.0%} of upgraded accounts' points vs {fp_mix.get(best, 0):.0%} of "
                   "false positives'")
            draft = _with_weight(model, best, 1.5)
            if draft is not None:
                found.append((draft, why))
    return found


def _mix(items: Iterable[Activity], account_of: Mapping[str, str], until: Mapping[str, datetime],
         model: ScoringModel, window: timedelta) -> dict[str, float]:
    """Share of (undecayed) points per activity type in the window before each account's moment."""
    points: dict[str, float] = defaultdict(float)
    for activity in items:
        account = account_of.get(activity.member_key)
        if account in until and until[account] - window <= activity.occurred_at <= until[account]:
            points[activity.type] += model.weight(activity.type).points
    total = math.fsum(points.values())
    return {t: p / total for t, p in points.items()} if total > 0 else {}


def _with_weight(model: ScoringModel, activity_type: str, factor: float) -> ScoringModel | None:
    weight = model.weight(activity_type)
    weights = dict(model.weights)
    weights[activity_type] = ActivityWeight(points=round(weight.points * factor, 1),
                                            half_life_days=weight.half_life_days, daily_cap=weight.daily_cap)
    data = model.model_dump()
    data["weights"] = {t: w.model_dump() for t, w in weights.items()}
    data["version"] = f"{model.version}-draft"
    try:
        return ScoringModel.model_validate(data)
    except ValidationError:
        return None


def _shape_models(model: ScoringModel, scores: Mapping[str, float], target: Mapping[str, float],
                  tolerance: float) -> list[ScoringModel]:
    """Floors at today's score quantiles that give ``target`` (among accounts above awareness), if off."""
    ranked = sorted((s for s in scores.values() if s >= model.tier_floors["awareness"] and math.isfinite(s)),
                    reverse=True)
    if not ranked:
        return []
    shares = {t: sum(1 for s in ranked if model.tier(s) == t) / len(ranked) for t in TIERS}
    if all(abs(shares[t] - target.get(t, 0.0)) <= tolerance for t in TIERS):
        return []
    floors: dict[str, float] = {}
    above = 0.0
    for tier in reversed(TIERS[1:]):  # intent, then consideration
        above += target.get(tier, 0.0)
        if abs(shares[tier] - target.get(tier, 0.0)) > tolerance or (tier == "consideration" and abs(
                shares["awareness"] - target.get("awareness", 0.0)) > tolerance):
            index = min(len(ranked) - 1, max(0, math.ceil(above * len(ranked)) - 1))
            floors[tier] = float(math.floor(ranked[index]))
    draft = _with_floors(model, floors) if floors else None
    return [draft] if draft is not None and draft.tier_floors != model.tier_floors else []


# --- words ------------------------------------------------------------------------------------


def _floor_change(model: ScoringModel, draft: ScoringModel, tier: str) -> str:
    old, new = model.tier_floors[tier], draft.tier_floors[tier]
    verb = "raise" if new > old else "lower"
    return f"{verb} the {tier} floor from {old:g} to {new:g}"


def _weight_change(model: ScoringModel, draft: ScoringModel) -> str:
    for activity_type, weight in draft.weights.items():
        old = model.weight(activity_type).points
        if weight.points != old:
            verb = "raise" if weight.points > old else "lower"
            return f"{verb} the weight of {activity_type} from {old:g} to {weight.points:g} points"
    return "no weight change"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _suggest(change: str, baseline: Replay, candidate: Replay, today: ModelComparison,
             window_days: float) -> Suggestion:
    before, after = baseline.calibration, candidate.calibration
    was = {a.account_id for a in baseline.alerts}
    now_alerted = {a.account_id for a in candidate.alerts}
    dropped, added = sorted(was - now_alerted), sorted(now_alerted - was)
    shape = "/".join(f"{today.published_distribution.shares[t]:.0%}" for t in TIERS)
    new_shape = "/".join(f"{today.draft_distribution.shares[t]:.0%}" for t in TIERS)
    text = (
        f"{change[0].upper()}{change[1:]}: on the same history, {len(dropped)} of {_n(len(was), 'alerted account')} "
        f"would not have been alerted and {len(added)} others would; false-positive rate "
        f"{_rate(before.false_positive_rate)} -> {_rate(after.false_positive_rate)} ({after.false_positive_accounts} "
        f"of {after.judged_accounts}), recall {_rate(before.recall)} -> {_rate(after.recall)} "
        f"({after.recalled_accounts} of {after.upgraded_accounts}) within {window_days:g} days. Today: "
        f"{_n(len(today.tier_changes), 'account')} would change tier (awareness/consideration/intent {shape} -> "
        f"{new_shape}), {_n(len(today.alerts_added), 'Intent alert')} more and {len(today.alerts_removed)} fewer."
    )
    return Suggestion(change, candidate.model, candidate, today, text)
