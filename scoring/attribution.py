"""Attribution and calibration: did Intent alerts precede upgrades, and how should the model change?

An upgrade within ``window_days`` (default 90) after an Intent alert of the same account is
community-influenced. From the alerts and upgrades of the past the backtest measures:

- false-positive rate: matured alerts (``alerted_at <= now - window``) with no upgrade of the
  account in ``[alerted_at, alerted_at + window]``, over all matured alerts. Younger alerts
  still have time to convert and are left out (counted as ``pending_alerts``);
- recall: upgrades (``upgraded_at <= now``) preceded by an alert within the window, over all
  upgrades;
- tier distribution (counts and shares of awareness/consideration/intent; target 50/30/20);
- median signal-to-alert time over alerts that carry ``first_signal_at``;
- influenced revenue: the sum of influenced upgrades' amounts.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.model import ScoringModel
from scoring.moments import require_all_aware, require_aware
from scoring.records import TIERS

__all__ = [
    "Attribution",
    "Calibration",
    "IntentAlert",
    "TierDistribution",
    "Upgrade",
    "attribute_upgrades",
    "calibrate",
    "tier_distribution",
]

DEFAULT_TARGET_SHAPE: Mapping[str, float] = {"awareness": 0.5, "consideration": 0.3, "intent": 0.2}


@dataclass(frozen=True, slots=True)
class IntentAlert:
    """An Intent alert sent for an account; ``first_signal_at`` = the earliest activity behind it."""

    account_id: str
    alerted_at: datetime
    first_signal_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Upgrade:
    """A CRM upgrade (closed-won opportunity or plan change) of an account."""

    account_id: str
    upgraded_at: datetime
    amount: float = 0.0
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Attribution:
    """An upgrade and the latest Intent alert that preceded it within the window."""

    upgrade: Upgrade
    alert: IntentAlert


@dataclass(frozen=True, slots=True)
class TierDistribution:
    """Entities per tier (entities below awareness are not counted) and their shares."""

    counts: Mapping[str, int]
    shares: Mapping[str, float]
    total: int


@dataclass(frozen=True, slots=True)
class Calibration:
    """Backtest metrics and plain-text recommendations; rates are None when undefined (0/0)."""

    window_days: float
    alerts: int
    matured_alerts: int
    pending_alerts: int
    false_positives: int
    false_positive_rate: float | None
    upgrades: int
    influenced_upgrades: int
    recall: float | None
    influenced_revenue: float
    median_signal_to_alert: timedelta | None
    tiers: TierDistribution
    recommendations: tuple[str, ...]


def attribute_upgrades(
    alerts: Iterable[IntentAlert], upgrades: Iterable[Upgrade], *, window_days: float = 90
) -> list[Attribution]:
    """Community-influenced upgrades: an alert of the same account at most ``window_days`` before.

    An alert at the same moment as the upgrade counts. Sorted by upgrade time (the daily
    playbook tags these opportunities "community-influenced").
    """
    alerts, upgrades = list(alerts), list(upgrades)
    require_all_aware((a.alerted_at for a in alerts), "an alert's alerted_at")
    require_all_aware((u.upgraded_at for u in upgrades), "an upgrade's upgraded_at")
    by_account = _alerts_by_account(alerts)
    window = timedelta(days=window_days)
    found: list[Attribution] = []
    for upgrade in sorted(upgrades, key=lambda u: (u.upgraded_at, u.account_id, u.id or "")):
        times, ordered = by_account.get(upgrade.account_id, ([], []))
        i = bisect_right(times, upgrade.upgraded_at)
        if i and upgrade.upgraded_at - times[i - 1] <= window:
            found.append(Attribution(upgrade, ordered[i - 1]))
    return found


def tier_distribution(tiers: Mapping[str, str | None]) -> TierDistribution:
    """Counts and shares per tier of ``entity -> tier`` (None = below awareness, not counted)."""
    counts = {tier: 0 for tier in TIERS}
    for tier in tiers.values():
        if tier in counts:
            counts[tier] += 1
    total = sum(counts.values())
    return TierDistribution(counts, {t: (c / total if total else 0.0) for t, c in counts.items()}, total)


def calibrate(
    alerts: Iterable[IntentAlert],
    upgrades: Iterable[Upgrade],
    tiers: Mapping[str, str | None],
    model: ScoringModel,
    now: datetime,
    *,
    window_days: float = 90,
    max_false_positive_rate: float = 0.25,
    min_recall: float = 0.60,
    target_shape: Mapping[str, float] = DEFAULT_TARGET_SHAPE,
    shape_tolerance: float = 0.10,
) -> Calibration:
    """Backtest the Intent alerts against upgrades and recommend floor/weight changes.

    See the module docstring for each metric. Recommendations fire when the false-positive
    rate is above ``max_false_positive_rate``, recall below ``min_recall``, or a tier share
    is more than ``shape_tolerance`` away from ``target_shape``.
    """
    require_aware(now, "now")
    alerts, upgrades = list(alerts), list(upgrades)
    require_all_aware((a.alerted_at for a in alerts), "an alert's alerted_at")
    require_all_aware((u.upgraded_at for u in upgrades), "an upgrade's upgraded_at")
    alerts = [a for a in alerts if a.alerted_at <= now]
    upgrades = [u for u in upgrades if u.upgraded_at <= now]
    window = timedelta(days=window_days)
    upgrade_times: dict[str, list[datetime]] = defaultdict(list)
    for upgrade in upgrades:
        upgrade_times[upgrade.account_id].append(upgrade.upgraded_at)
    for times in upgrade_times.values():
        times.sort()
    matured = [a for a in alerts if a.alerted_at <= now - window]
    false_positives = sum(1 for a in matured if not _upgraded_within(upgrade_times, a, window))
    influenced = attribute_upgrades(alerts, upgrades, window_days=window_days)
    lags = [a.alerted_at - a.first_signal_at for a in alerts if a.first_signal_at is not None]
    fp_rate = false_positives / len(matured) if matured else None
    recall = len(influenced) / len(upgrades) if upgrades else None
    distribution = tier_distribution(tiers)
    metrics = dict(
        window_days=window_days,
        alerts=len(alerts),
        matured_alerts=len(matured),
        pending_alerts=len(alerts) - len(matured),
        false_positives=false_positives,
        false_positive_rate=fp_rate,
        upgrades=len(upgrades),
        influenced_upgrades=len(influenced),
        recall=recall,
        influenced_revenue=sum(a.upgrade.amount for a in influenced),
        median_signal_to_alert=statistics.median(lags) if lags else None,
        tiers=distribution,
    )
    advice = _recommend(metrics, model, max_false_positive_rate, min_recall, target_shape, shape_tolerance)
    return Calibration(**metrics, recommendations=tuple(advice))


def _alerts_by_account(
    alerts: Iterable[IntentAlert],
) -> dict[str, tuple[list[datetime], list[IntentAlert]]]:
    grouped: dict[str, list[IntentAlert]] = defaultdict(list)
    for alert in alerts:
        grouped[alert.account_id].append(alert)
    result = {}
    for account, items in grouped.items():
        items.sort(key=lambda a: a.alerted_at)
        result[account] = ([a.alerted_at for a in items], items)
    return result


def _upgraded_within(times: Mapping[str, list[datetime]], alert: IntentAlert, window: timedelta) -> bool:
    stamps = times.get(alert.account_id, [])
    i = bisect_left(stamps, alert.alerted_at)
    return i < len(stamps) and stamps[i] <= alert.alerted_at + window


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _recommend(
    m: Mapping[str, object],
    model: ScoringModel,
    max_fp: float,
    min_recall: float,
    target: Mapping[str, float],
    tolerance: float,
) -> list[str]:
    floors = model.tier_floors
    window = f"{m['window_days']:g}"
    advice: list[str] = []
    fp = m["false_positive_rate"]
    recall = m["recall"]
    if fp is not None and fp > max_fp:
        advice.append(
            f"Intent false-positive rate is {_pct(fp)} ({m['false_positives']} of {m['matured_alerts']} alerts "
            f"older than {window} days had no upgrade within {window} days; strong is < {_pct(max_fp)}): "
            f"raise the intent floor above {floors['intent']:g} or lower the weights of activities "
            "that alerted accounts without upgrades have in common."
        )
    if recall is not None and recall < min_recall:
        advice.append(
            f"Recall of upgrades is {_pct(recall)} ({m['influenced_upgrades']} of {m['upgrades']} upgrades had an "
            f"Intent alert within the {window} days before; valid is >= {_pct(min_recall)}): lower the intent "
            f"floor below {floors['intent']:g} or add weight to the activities of accounts that upgraded."
        )
    if fp is not None and fp > max_fp and recall is not None and recall < min_recall:
        advice.append(
            "Both false positives and missed upgrades are high: moving the intent floor trades one for the "
            "other, so change the activity weights rather than the floor."
        )
    tiers = m["tiers"]
    assert isinstance(tiers, TierDistribution)
    if tiers.total:
        off = [t for t in TIERS if abs(tiers.shares[t] - target.get(t, 0.0)) > tolerance]
        if off:
            shape = "/".join(_pct(tiers.shares[t]) for t in TIERS)
            wanted = "/".join(_pct(target.get(t, 0.0)) for t in TIERS)
            moves: list[str] = []
            for t in off:
                too_many = tiers.shares[t] > target.get(t, 0.0)
                # Too many in awareness means the next floor is too high, and vice versa.
                floor_tier, up = (TIERS[1], not too_many) if t == TIERS[0] else (t, too_many)
                move = (f"raise the {floor_tier} floor above {floors[floor_tier]:g}" if up
                        else f"lower the {floor_tier} floor below {floors[floor_tier]:g}")
                if move not in moves:
                    moves.append(move)
            action = "; ".join(moves)
            advice.append(
                f"Tier distribution is {shape} (awareness/consideration/intent, {tiers.total} accounts) "
                f"vs target {wanted}: {action}."
            )
    return advice
