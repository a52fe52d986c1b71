"""Attribution and calibration: did Intent alerts precede upgrades, and how should the model change?

An upgrade within ``window_days`` (default 90) after an Intent alert of the same account is
community-influenced. PRODUCT.md's targets (false positives < 25%, recall >= 60%) are about
accounts, so the backtest counts accounts, never alerts or upgrades: an account alerted in
four episodes is one alerted account, an account that upgraded twice one upgraded account.

- an account *converted* when one of its upgrades came within the window after one of its
  alerts (``alerted_at <= upgraded_at <= alerted_at + window``);
- false-positive rate: judged accounts that did not convert, over judged accounts. An
  account is judged once its first alert is older than the window (``<= now - window``);
  younger ones still have time and are counted as ``pending_accounts``;
- recall: upgraded accounts (an upgrade ``<= now``) that converted, over upgraded accounts;
- false-negative rate: upgraded accounts with no alert at or before any of their upgrades
  (the model never saw them coming), over upgraded accounts. ``1 - recall - false-negative
  rate`` is the share alerted only earlier than the window before the upgrade;
- tier distribution (counts and shares of awareness/consideration/intent; target 50/30/20);
- median signal-to-alert time over alerts that carry ``first_signal_at``;
- influenced upgrades and revenue: each upgrade with an alert within the window before it
  (an amount that is not a finite number - a CRM's "NaN" - adds nothing to the revenue);
- dormant members below the forgetting floor (`dormant_members`): members with no activity
  in 90 days should have fallen below 25 points.

Identical alerts or upgrades given twice count once, and no result depends on input order.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.errors import ScoringError
from scoring.model import ScoringModel
from scoring.moments import require_all_aware, require_aware
from scoring.records import TIERS

__all__ = [
    "Attribution",
    "Calibration",
    "Dormancy",
    "IntentAlert",
    "TierDistribution",
    "Upgrade",
    "attribute_upgrades",
    "calibrate",
    "dormant_members",
    "tier_distribution",
]

DEFAULT_TARGET_SHAPE: Mapping[str, float] = {"awareness": 0.5, "consideration": 0.3, "intent": 0.2}


@dataclass(frozen=True, slots=True)
class IntentAlert:
    """An Intent alert sent for an account; ``first_signal_at`` = when the signal behind it began.

    The calibration report sets it to the moment the account entered Intent (its tier state's
    ``since``), so ``alerted_at - first_signal_at`` is the signal-to-play time.
    """

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
class Dormancy:
    """Members silent for ``dormant_days``: how many, and how many have fallen below ``floor``.

    Decay exists so that dormant members fall below 25 points; ``share_below`` is None
    when nobody is dormant.
    """

    dormant_days: float
    floor: float
    members: int
    dormant: int
    below: int
    share_below: float | None
    highest: float | None


@dataclass(frozen=True, slots=True)
class Calibration:
    """Backtest metrics per account and plain-text recommendations; rates are None when undefined (0/0)."""

    window_days: float
    alerts: int
    alerted_accounts: int
    judged_accounts: int
    pending_accounts: int
    false_positive_accounts: int
    false_positive_rate: float | None
    upgrades: int
    upgraded_accounts: int
    recalled_accounts: int
    recall: float | None
    missed_accounts: int
    false_negative_rate: float | None
    influenced_upgrades: int
    influenced_revenue: float
    median_signal_to_alert: timedelta | None
    tiers: TierDistribution
    dormancy: Dormancy | None
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
    for upgrade in sorted(upgrades, key=_upgrade_order):
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


def dormant_members(
    member_scores: Mapping[str, float],
    last_activity: Mapping[str, datetime],
    now: datetime,
    *,
    dormant_days: float = 90,
    floor: float = 25,
) -> Dormancy:
    """How many members without activity in ``dormant_days`` score below ``floor`` at ``now``.

    Members are those with a last activity; a member missing from ``member_scores`` scores 0.
    A NaN score is not below the floor (it is a bug to see, not a forgotten member).
    """
    require_aware(now, "now")
    require_all_aware(last_activity.values(), "a member's last activity")
    if not (math.isfinite(dormant_days) and dormant_days > 0):
        raise ScoringError(f"dormant_days must be a finite number of days > 0, got {dormant_days!r}")
    cutoff = now - timedelta(days=dormant_days)
    scores = [member_scores.get(member, 0.0) for member, at in last_activity.items() if at < cutoff]
    below = sum(1 for s in scores if s < floor)
    return Dormancy(
        dormant_days=dormant_days, floor=floor, members=len(last_activity), dormant=len(scores), below=below,
        share_below=below / len(scores) if scores else None,
        highest=max((s for s in scores if not math.isnan(s)), default=None),
    )


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
    dormancy: Dormancy | None = None,
    min_dormant_share_below: float = 0.95,
) -> Calibration:
    """Backtest the Intent alerts against upgrades, per account, and recommend floor/weight changes.

    See the module docstring for each metric. Alerts and upgrades after ``now`` are left
    out. Recommendations fire when the false-positive rate is above
    ``max_false_positive_rate``, recall below ``min_recall``, a tier share more than
    ``shape_tolerance`` away from ``target_shape``, or (given ``dormancy``) fewer than
    ``min_dormant_share_below`` of the dormant members are below its floor.
    """
    require_aware(now, "now")
    alerts, upgrades = set(alerts), set(upgrades)
    require_all_aware((a.alerted_at for a in alerts), "an alert's alerted_at")
    require_all_aware((u.upgraded_at for u in upgrades), "an upgrade's upgraded_at")
    require_all_aware((a.first_signal_at for a in alerts if a.first_signal_at is not None),
                      "an alert's first_signal_at")
    if not (math.isfinite(window_days) and window_days > 0):
        raise ScoringError(f"window_days must be a finite number of days > 0, got {window_days!r}")
    alerts = {a for a in alerts if a.alerted_at <= now}
    upgrades = {u for u in upgrades if u.upgraded_at <= now}
    window = timedelta(days=window_days)
    alert_times: dict[str, list[datetime]] = defaultdict(list)
    for alert in alerts:
        alert_times[alert.account_id].append(alert.alerted_at)
    for times in alert_times.values():
        times.sort()
    upgrade_times: dict[str, list[datetime]] = defaultdict(list)
    for upgrade in upgrades:
        upgrade_times[upgrade.account_id].append(upgrade.upgraded_at)

    converted = {account for account, stamps in upgrade_times.items()
                 if any(_alert_within(alert_times.get(account, []), u, window) for u in stamps)}
    judged = {account for account, times in alert_times.items() if times[0] <= now - window}
    false_positives = judged - converted
    missed = {account for account, stamps in upgrade_times.items()
              if account not in alert_times or alert_times[account][0] > max(stamps)}
    influenced = attribute_upgrades(alerts, upgrades, window_days=window_days)
    lags = [a.alerted_at - a.first_signal_at for a in alerts if a.first_signal_at is not None]
    distribution = tier_distribution(tiers)
    metrics = dict(
        window_days=window_days,
        alerts=len(alerts),
        alerted_accounts=len(alert_times),
        judged_accounts=len(judged),
        pending_accounts=len(alert_times) - len(judged),
        false_positive_accounts=len(false_positives),
        false_positive_rate=len(false_positives) / len(judged) if judged else None,
        upgrades=len(upgrades),
        upgraded_accounts=len(upgrade_times),
        recalled_accounts=len(converted),
        recall=len(converted) / len(upgrade_times) if upgrade_times else None,
        missed_accounts=len(missed),
        false_negative_rate=len(missed) / len(upgrade_times) if upgrade_times else None,
        influenced_upgrades=len(influenced),
        influenced_revenue=_revenue(a.upgrade.amount for a in influenced),
        median_signal_to_alert=statistics.median(lags) if lags else None,
        tiers=distribution,
        dormancy=dormancy,
    )
    advice = _recommend(metrics, model, max_false_positive_rate, min_recall, target_shape, shape_tolerance,
                        min_dormant_share_below)
    return Calibration(**metrics, recommendations=tuple(advice))  # type: ignore[arg-type]


def _revenue(amounts: Iterable[float]) -> float:
    """Exact sum (so order never matters) of the finite amounts; inf if it overflows."""
    finite = [a for a in amounts if math.isfinite(a)]
    try:
        return math.fsum(finite)
    except OverflowError:
        return math.copysign(math.inf, sum(math.copysign(1, a) for a in finite if abs(a) > 1e300) or 1)


def _upgrade_order(upgrade: Upgrade) -> tuple[datetime, str, str, float]:
    return (upgrade.upgraded_at, upgrade.account_id, upgrade.id or "", upgrade.amount)


def _alert_order(alert: IntentAlert) -> tuple[datetime, datetime]:
    return (alert.alerted_at, alert.first_signal_at or alert.alerted_at)


def _alerts_by_account(
    alerts: Iterable[IntentAlert],
) -> dict[str, tuple[list[datetime], list[IntentAlert]]]:
    grouped: dict[str, list[IntentAlert]] = defaultdict(list)
    for alert in alerts:
        grouped[alert.account_id].append(alert)
    result = {}
    for account, items in grouped.items():
        items.sort(key=_alert_order)
        result[account] = ([a.alerted_at for a in items], items)
    return result


def _alert_within(times: list[datetime], upgraded_at: datetime, window: timedelta) -> bool:
    """An alert in ``[upgraded_at - window, upgraded_at]`` among the sorted ``times``."""
    i = bisect_right(times, upgraded_at)
    return bool(i) and upgraded_at - times[i - 1] <= window


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _recommend(
    m: Mapping[str, object],
    model: ScoringModel,
    max_fp: float,
    min_recall: float,
    target: Mapping[str, float],
    tolerance: float,
    min_dormant_below: float,
) -> list[str]:
    floors = model.tier_floors
    window = f"{m['window_days']:g}"
    advice: list[str] = []
    fp = m["false_positive_rate"]
    recall = m["recall"]
    if isinstance(fp, float) and fp > max_fp:
        advice.append(
            f"Intent false-positive rate is {_pct(fp)} ({m['false_positive_accounts']} of {m['judged_accounts']} "
            f"accounts first alerted over {window} days ago had no upgrade within {window} days of an alert; "
            f"strong is < {_pct(max_fp)}): raise the intent floor above {floors['intent']:g} or lower the weights "
            "of activities that alerted accounts without upgrades have in common."
        )
    if isinstance(recall, float) and recall < min_recall:
        advice.append(
            f"Recall of upgrades is {_pct(recall)} ({m['recalled_accounts']} of {m['upgraded_accounts']} upgraded "
            f"accounts had an Intent alert within the {window} days before an upgrade; valid is >= "
            f"{_pct(min_recall)}): lower the intent floor below {floors['intent']:g} or add weight to the "
            "activities of accounts that upgraded."
        )
    if isinstance(fp, float) and fp > max_fp and isinstance(recall, float) and recall < min_recall:
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
    dormancy = m["dormancy"]
    if isinstance(dormancy, Dormancy) and dormancy.share_below is not None and dormancy.share_below < min_dormant_below:
        still = dormancy.dormant - dormancy.below
        highest = "" if dormancy.highest is None else f" (highest {dormancy.highest:.0f})"
        mode = ("step mode keeps lifetime points: switch decay_mode to half_life or lower the last step multipliers"
                if model.decay_mode == "step" else
                "shorten the half-lives of the activity types these members collected (e.g. how_to_content, "
                "webinar_attended)")
        advice.append(
            f"{still} of {dormancy.dormant} dormant members (no activity in {dormancy.dormant_days:g} days) still "
            f"score {dormancy.floor:g} or more{highest}; dormant members should fall below "
            f"{dormancy.floor:g}: {mode}."
        )
    return advice
