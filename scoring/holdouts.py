"""Holdouts: measure the lift of Intent plays against accounts that got none.

A correlation ("alerted accounts upgrade more") says little: the alerted accounts were the
busy ones. A share of Intent plays is therefore held out at random - recorded, not sent -
and the upgrade rates of played and held-out accounts are compared.

- Assignment is a salted hash of account and episode (`is_held_out`): the same account and
  episode get the same answer on every run, retry and worker, with no state to keep; a new
  salt starts a new, independent experiment.
- Each account counts once, in the group of its first play or holdout (`assign_groups`):
  later episodes of the same account are not independent draws.
- `holdout_lift` compares, over accounts whose decision is at least ``window_days`` old,
  the share that upgraded within the window after it: the difference of the rates with a
  95% Newcombe (hybrid Wilson score) interval, and how many more accounts a two-sided test
  at alpha 0.05 with power 0.8 would need to detect the observed difference.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict, Field

from scoring.attribution import Upgrade
from scoring.errors import ScoringError
from scoring.moments import require_all_aware, require_aware

__all__ = ["HoldoutConfig", "Lift", "assign_groups", "holdout_lift", "is_held_out"]

_SCALE = float(2**64)


def is_held_out(account_id: str, episode: int, share: float, salt: str) -> bool:
    """Whether the Intent play of ``account_id`` in ``episode`` is held out.

    ``sha256(f"{salt}:{account_id}:{episode}")``'s first 8 bytes read as a number in
    ``[0, 1)``, held out below ``share``: deterministic, uniform, independent per episode.
    """
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
        raise ScoringError(f"holdout share must be a number from 0 to 1, got {share!r}; e.g. 0.1 holds out 10%")
    digest = hashlib.sha256(f"{salt}:{account_id}:{episode}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < share


class HoldoutConfig(BaseModel):
    """Which share of Intent plays is held out, and the salt that draws them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(
        default=0.0, ge=0, le=0.5,
        description="Share of Intent plays recorded but not sent, to measure lift (e.g. 0.1); 0 = no holdouts.",
    )
    salt: str = Field(
        default="holdout-1", min_length=1, max_length=200,
        description="Salt of the draw; change it to start a new experiment with fresh groups.",
    )

    def holds_out(self, account_id: str, episode: int) -> bool:
        """Whether this account's play in this episode is held out (see `is_held_out`)."""
        return is_held_out(account_id, episode, self.share, self.salt)


@dataclass(frozen=True, slots=True)
class Lift:
    """Upgrade rates of played vs held-out accounts within the window after the decision.

    Counts are of accounts whose decision is at least ``window_days`` old (the others are
    ``*_pending``). Rates, difference, interval and ratio are None without data; the
    ratio also when no held-out account upgraded. ``required_*`` are the group sizes a
    two-sided test at ``1 - confidence`` with ``power`` needs for the observed rates and
    ``still_needed`` the matured accounts missing (0 once significant); None when the
    rates are equal or a group is empty ("n/a").
    """

    window_days: float
    confidence: float
    power: float
    played: int
    held: int
    played_pending: int
    held_pending: int
    played_upgraded: int
    held_upgraded: int
    rate_played: float | None
    rate_held: float | None
    difference: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool
    required_played: int | None
    required_held: int | None
    still_needed: int | None


def assign_groups(
    plays: Iterable[tuple[str, datetime]], holds: Iterable[tuple[str, datetime]]
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """``(played, held)``: each account in the group of its earliest decision, at that moment.

    ``plays`` and ``holds`` are ``(account_id, moment)`` of every sent and held-out Intent
    play; an account played and held at the same moment counts as played.
    """
    plays, holds = list(plays), list(holds)
    require_all_aware((at for _, at in plays), "a play's moment")
    require_all_aware((at for _, at in holds), "a holdout's moment")
    first: dict[str, tuple[datetime, int]] = {}
    for group, items in ((0, plays), (1, holds)):
        for account, at in items:
            if account not in first or (at, group) < first[account]:
                first[account] = (at, group)
    played = {a: at for a, (at, group) in first.items() if group == 0}
    held = {a: at for a, (at, group) in first.items() if group == 1}
    return played, held


def holdout_lift(
    played: Mapping[str, datetime],
    held: Mapping[str, datetime],
    upgrades: Iterable[Upgrade],
    window_days: float,
    now: datetime,
    *,
    share: float | None = None,
    confidence: float = 0.95,
    power: float = 0.8,
) -> Lift:
    """Lift of Intent plays: upgrade rate of played minus held-out accounts, with its interval.

    ``played``/``held`` map an account to the moment of its play or holdout (`assign_groups`
    builds them); an account in both is an error. ``share`` (the configured holdout share)
    sets the allocation for ``still_needed`` - new accounts then arrive at that ratio, and
    the figure is how many more Intent decisions it takes; without it the observed ratio
    of the groups is used and the figure is the sum of both groups' shortfalls.
    """
    require_aware(now, "now")
    require_all_aware(played.values(), "a play's moment")
    require_all_aware(held.values(), "a holdout's moment")
    both = sorted(set(played) & set(held))
    if both:
        raise ScoringError(f"accounts {both[:5]} are both played and held out; count each account once "
                           "(assign_groups keeps the first decision)")
    if not (math.isfinite(window_days) and window_days > 0):
        raise ScoringError(f"window_days must be a finite number of days > 0, got {window_days!r}")
    if not (0 < confidence < 1 and 0 < power < 1):
        raise ScoringError(f"confidence and power must be between 0 and 1, got {confidence!r} and {power!r}")
    if share is not None and not 0 < share < 1:
        raise ScoringError(f"share must be between 0 and 1 (exclusive), got {share!r}")
    upgrades = list(upgrades)
    require_all_aware((u.upgraded_at for u in upgrades), "an upgrade's upgraded_at")
    times: dict[str, list[datetime]] = defaultdict(list)
    for upgrade in upgrades:
        if upgrade.upgraded_at <= now:
            times[upgrade.account_id].append(upgrade.upgraded_at)
    for stamps in times.values():
        stamps.sort()
    window = timedelta(days=window_days)
    cutoff = now - window

    def outcome(group: Mapping[str, datetime]) -> tuple[int, int, int]:
        matured = [(a, at) for a, at in group.items() if at <= cutoff]
        upgraded = sum(1 for a, at in matured if _upgraded_within(times.get(a, []), at, window))
        return len(matured), upgraded, len(group) - len(matured)

    n_p, x_p, pending_p = outcome(played)
    n_h, x_h, pending_h = outcome(held)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    z_power = NormalDist().inv_cdf(power)
    rate_p = x_p / n_p if n_p else None
    rate_h = x_h / n_h if n_h else None
    difference = ci_low = ci_high = ratio = None
    significant = False
    required_p = required_h = still = None
    if rate_p is not None and rate_h is not None:
        difference = rate_p - rate_h
        ci_low, ci_high = _newcombe(x_p, n_p, x_h, n_h, z)
        significant = ci_low > 0 or ci_high < 0
        ratio = rate_p / rate_h if rate_h else None
        k = (1 - share) / share if share is not None else n_p / n_h
        needed = _sample_size(rate_p, rate_h, k, z, z_power)
        if needed is not None:
            required_h = math.ceil(needed - 1e-9)
            required_p = math.ceil(k * needed - 1e-9)
            if significant:
                still = 0
            elif share is not None:
                still = max(0, math.ceil(max((required_h - n_h) / share, (required_p - n_p) / (1 - share)) - 1e-9))
            else:
                still = max(0, required_h - n_h) + max(0, required_p - n_p)
    return Lift(
        window_days=window_days, confidence=confidence, power=power,
        played=n_p, held=n_h, played_pending=pending_p, held_pending=pending_h,
        played_upgraded=x_p, held_upgraded=x_h, rate_played=rate_p, rate_held=rate_h,
        difference=difference, ratio=ratio, ci_low=ci_low, ci_high=ci_high, significant=significant,
        required_played=required_p, required_held=required_h, still_needed=still,
    )


def _upgraded_within(stamps: list[datetime], at: datetime, window: timedelta) -> bool:
    i = bisect_left(stamps, at)
    return i < len(stamps) and stamps[i] <= at + window


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of the proportion ``x / n``."""
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe(x1: int, n1: int, x2: int, n2: int, z: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) of ``x1/n1 - x2/n2``."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1, z)
    l2, u2 = _wilson(x2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _sample_size(p_played: float, p_held: float, k: float, z: float, z_power: float) -> float | None:
    """Held-out accounts a two-proportion z-test needs (played = ``k`` times as many); None if equal."""
    delta = p_played - p_held
    if delta == 0 or k <= 0:
        return None
    pooled = (p_held + k * p_played) / (1 + k)
    spread = z * math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    spread += z_power * math.sqrt(p_held * (1 - p_held) + p_played * (1 - p_played) / k)
    return spread**2 / delta**2
