"""The oracle: the scoring semantics of scoring/score.py written as plain loops over records.

No numpy and no cleverness: each rule of the score module docstring is one readable step.
Tests compare the vectorised implementation with it; the benchmark times it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone

from scoring.errors import ScoringError
from scoring.model import ScoringModel
from scoring.records import Activity

__all__ = ["counted_activities", "reference_reemerged", "reference_score_accounts", "reference_score_members",
           "reference_trailing_count"]

DAY_SECONDS = 86_400.0


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ScoringError("naive datetime: scoring needs timezone-aware datetimes")
    return moment.timestamp()


def counted_activities(activities: Iterable[Activity], model: ScoringModel, now: datetime) -> list[Activity]:
    """The activities that earn points: at or before ``now`` and within their daily cap."""
    now_seconds = _seconds(now)
    by_day: dict[tuple[str, str, date], list[Activity]] = defaultdict(list)
    for activity in activities:
        if _seconds(activity.occurred_at) <= now_seconds:
            day = activity.occurred_at.astimezone(timezone.utc).date()
            by_day[(activity.member_key, activity.type, day)].append(activity)
    counted: list[Activity] = []
    for (_member, type_, _day), group in by_day.items():
        group.sort(key=lambda a: (a.occurred_at, a.source, a.source_event_id))
        cap = model.weight(type_).daily_cap
        counted.extend(group if cap is None else group[:cap])
    return counted


def reference_score_members(
    activities: Iterable[Activity], model: ScoringModel, now: datetime, *, exclude: Collection[str] = ()
) -> dict[str, float]:
    """score_members, the slow and obvious way."""
    activities = list(activities)
    now_seconds = _seconds(now)
    members = {a.member_key for a in activities if a.member_key not in exclude}
    parts: dict[str, list[float]] = defaultdict(list)
    for activity in counted_activities(activities, model, now):
        weight = model.weight(activity.type)
        if model.decay_mode == "half_life":
            age_days = (now_seconds - _seconds(activity.occurred_at)) / DAY_SECONDS
            parts[activity.member_key].append(weight.points * 0.5 ** (age_days / weight.half_life_days))
        elif _seconds(activity.occurred_at) >= now_seconds - model.step_window_days * DAY_SECONDS:
            parts[activity.member_key].append(weight.points)  # step mode: the window's points only
    if model.decay_mode == "step":
        last: dict[str, float] = {}
        for activity in activities:
            seconds = _seconds(activity.occurred_at)
            if seconds <= now_seconds and seconds > last.get(activity.member_key, -math.inf):
                last[activity.member_key] = seconds
        for key, values in parts.items():
            age_days = (now_seconds - last[key]) / DAY_SECONDS
            multiplier = next(
                (s.multiplier for s in model.step_multipliers if s.max_days is None or age_days <= s.max_days), 0.0
            )
            parts[key] = [math.fsum(values) * multiplier]
    return {key: math.fsum(parts.get(key, [])) for key in members}


def reference_score_accounts(
    members: Mapping[str, float], account_of: Mapping[str, str], model: ScoringModel,
    *, active: Collection[str] = (),
) -> dict[str, float]:
    """score_accounts, the slow and obvious way; ``active``: members with a recent non-reaction activity."""
    accounts: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for key, score in members.items():
        if key in account_of:
            accounts[account_of[key]].append((key, score))
    result = {}
    for account, pairs in accounts.items():
        total = math.fsum(score for _, score in pairs)
        engaged = len([key for key, _ in pairs if key in active])
        if model.breadth.enabled and engaged >= model.breadth.min_active_members:
            total = total * model.breadth.multiplier
        result[account] = total
    return result


def reference_reemerged(
    activities: Iterable[Activity], model: ScoringModel, now: datetime,
    known_since: Mapping[str, datetime] | None = None,
) -> dict[str, tuple[datetime, datetime]]:
    """signals.reemerged as loops over records: member → (silent since, returned at)."""
    known = dict(known_since or {})
    first_seen: dict[str, datetime] = {}
    times: dict[str, list[datetime]] = defaultdict(list)
    for activity in activities:
        if activity.occurred_at > now:
            continue
        member = activity.member_key
        if member not in first_seen or activity.occurred_at < first_seen[member]:
            first_seen[member] = activity.occurred_at
        if activity.type != "reaction":
            times[member].append(activity.occurred_at)
    gap = timedelta(days=model.reemergence_gap_days)
    since = now - timedelta(days=model.recency_days)
    found = {}
    for member, stamps in times.items():
        stamps.sort()
        start = min(first_seen[member], known.get(member, first_seen[member]))
        for before, after in zip(reversed([start, *stamps[:-1]]), reversed(stamps)):
            if after < since:
                break
            if after - before >= gap:
                found[member] = (before, after)
                break
    return found


def reference_trailing_count(activities: Iterable[Activity], now: datetime, days: float) -> int:
    """Activities with ``now - days < occurred_at <= now`` (the seasonal baseline's trailing window)."""
    start = now - timedelta(days=days)
    return sum(1 for a in activities if start < a.occurred_at <= now)
