"""Member scores and account scores at a given moment ``now``, vectorised with numpy.

Semantics (``now`` is always a parameter; times are compared as POSIX seconds):

- Activities may be ``Activity`` records or an :class:`~scoring.frame.ActivityFrame`.
  Naive datetimes (``now`` or an ``occurred_at``) are a ScoringError.
- Only activities at or before ``now`` exist for scoring: an activity after ``now`` earns
  nothing and counts neither towards a cap nor as a member's last activity.
- Daily caps (:mod:`scoring.caps`): per member, type and UTC calendar day only the first
  ``weights[type].daily_cap`` activities count, earliest first.
- A type the model leaves out of ``weights`` is worth 0 points.
- ``half_life`` mode: each counted activity contributes
  ``points * 0.5 ** (age_days / half_life_days)``, ``age_days = (now - occurred_at) / 86400 s``;
  a member's score is the sum of the contributions.
- ``step`` mode: a member's score is the sum of the undecayed points of the counted
  activities of the last ``model.step_window_days`` (``now - window <= occurred_at``) times
  one multiplier for the days since the member's last activity (any type, capped or not, at
  or before ``now``): the first of ``model.step_multipliers`` whose ``max_days`` is >= that
  age (``None`` = unbounded); no matching step gives 0. The window is what makes the mode
  forget: without it a heavy member silent for months would keep 0.1 of a lifetime's points.
- Every member with at least one activity in the input is scored (possibly 0.0), except the
  keys in ``exclude`` (team members, bots).
- Account score = sum of its members' scores; with ``model.breadth.enabled`` and at least
  ``min_active_members`` *active* members (a non-reaction activity within
  ``breadth.active_window_days``, see `active_members`), it is multiplied by
  ``breadth.multiplier``.
- Reproducible: the same activities in any order give the same scores bit for bit (sums are
  exact fixed-point sums, :mod:`scoring.sums`; account sums use ``math.fsum``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from itertools import compress

import numpy as np

from scoring.caps import DAY_SECONDS, beyond_daily_cap
from scoring.errors import ScoringError
from scoring.frame import ActivityFrame, as_frame, timestamp
from scoring.model import ScoringModel, StepMultiplier
from scoring.records import ACTIVITY_TYPES, Activity
from scoring.sums import BLOCK, group_sums

__all__ = ["IS_REACTION", "REACTION_TYPES", "account_totals", "active_mask", "active_members", "capped_rows",
           "decayed_points", "score_accounts", "score_array", "score_members", "step_multiplier"]

#: Activity types that are reactions (likes): they earn points but do not make a member
#: *active* (breadth), nor end a silence or count as a return (re-emergence).
REACTION_TYPES: frozenset[str] = frozenset({"reaction"})
#: Per index of ``ACTIVITY_TYPES``: is it a reaction?
IS_REACTION = np.array([t in REACTION_TYPES for t in ACTIVITY_TYPES], dtype=bool)


def decayed_points(points: float, age_days: float, half_life_days: float) -> float:
    """What ``points`` are worth ``age_days`` later; activity in the future is worth nothing."""
    if age_days < 0:
        return 0.0
    return points * 0.5 ** (age_days / half_life_days)


def step_multiplier(age_days: float, steps: Iterable[StepMultiplier]) -> float:
    """The step-mode multiplier ``age_days`` after a member's last activity (0 if no step fits)."""
    for step in steps:
        if step.max_days is None or age_days <= step.max_days:
            return step.multiplier
    return 0.0


def score_members(
    activities: Iterable[Activity] | ActivityFrame,
    model: ScoringModel,
    now: datetime,
    *,
    exclude: Collection[str] = (),
) -> dict[str, float]:
    """Score per member key at ``now`` (see the module docstring), leaving out ``exclude``."""
    frame = as_frame(activities)
    scores = score_array(frame, model, now)
    n_members = len(frame.member_keys)
    scored = np.zeros(n_members, dtype=bool)
    scored[frame.member] = True
    if exclude:
        excluded = set(exclude)
        scored &= np.fromiter((key not in excluded for key in frame.member_keys), dtype=bool, count=n_members)
    if scored.all():
        return dict(zip(frame.member_keys, scores.tolist()))
    return dict(zip(compress(frame.member_keys, scored.tolist()), scores[scored].tolist()))


def score_array(frame: ActivityFrame, model: ScoringModel, now: datetime, *,
                beyond_cap: np.ndarray | None = None) -> np.ndarray:
    """The score of every member of ``frame`` at ``now``, in the order of ``frame.member_keys``.

    The array form of `score_members` for large frames: no dict of a million entries.
    ``beyond_cap``: `capped_rows` of the frame, when scoring it at many moments.
    """
    now_seconds = timestamp(now, "now")
    seconds = frame.occurred_at
    points = np.array([model.weight(t).points for t in ACTIVITY_TYPES], dtype=np.float64)
    up_to_now = seconds <= now_seconds
    counted = up_to_now & ~(capped_rows(frame, model) if beyond_cap is None else beyond_cap)
    if model.decay_mode == "step":
        in_window = counted & (seconds >= now_seconds - model.step_window_days * DAY_SECONDS)
        return _step_scores(frame, points, in_window, up_to_now, now_seconds, model.step_multipliers)
    half_lives = np.array([model.weight(t).half_life_days for t in ACTIVITY_TYPES], dtype=np.float64)
    return _half_life_scores(frame, points, half_lives, counted, now_seconds)


def capped_rows(frame: ActivityFrame, model: ScoringModel) -> np.ndarray:
    """Mask of the rows beyond their daily cap, whatever the moment of scoring.

    A row's place in its (member, type, day) depends only on the rows before it, so a row at
    or before any ``now`` is beyond the cap at that ``now`` exactly when it is here.
    """
    caps = np.array([model.weight(t).daily_cap or 0 for t in ACTIVITY_TYPES], dtype=np.int64)
    everything = np.ones(len(frame), dtype=bool)
    return beyond_daily_cap(frame.member, frame.type, frame.occurred_at, everything, caps)


def _half_life_scores(
    frame: ActivityFrame, points: np.ndarray, half_lives: np.ndarray, counted: np.ndarray, now_seconds: float
) -> np.ndarray:
    """Sum per member of ``points * 0.5 ** (age_days / half_life_days)`` over counted activities."""
    n = len(frame)
    contribution = np.empty(n, dtype=np.float64)
    day_half_lives = DAY_SECONDS * half_lives
    for lo in range(0, n, BLOCK):
        size = min(BLOCK, n - lo)
        kind, out = frame.type[lo : lo + size], contribution[lo : lo + size]
        np.subtract(now_seconds, frame.occurred_at[lo : lo + size], out=out)
        np.maximum(out, 0.0, out=out)  # after ``now``: not counted below, keep exp2 finite
        np.divide(out, day_half_lives[kind], out=out)
        np.negative(out, out=out)
        np.exp2(out, out=out)
        np.multiply(out, points[kind], out=out)
        np.multiply(out, counted[lo : lo + size], out=out)  # x * False = 0: not counted
    return group_sums(frame.member, contribution, len(frame.member_keys))


def _step_scores(
    frame: ActivityFrame,
    points: np.ndarray,
    counted: np.ndarray,
    up_to_now: np.ndarray,
    now_seconds: float,
    steps: tuple[StepMultiplier, ...],
) -> np.ndarray:
    """Undecayed points of ``counted`` per member times the step multiplier of the member's last activity."""
    n_members, n_types = len(frame.member_keys), len(ACTIVITY_TYPES)
    pair = frame.member[counted].astype(np.int64) * n_types + frame.type[counted]
    counts = np.bincount(pair, minlength=n_members * n_types).reshape(n_members, n_types)
    raw = np.zeros(n_members, dtype=np.float64)
    for t in range(n_types):  # fixed order over exact counts: the same bits for any row order
        if points[t]:
            raw += counts[:, t] * points[t]
    last = frame.per_member(np.maximum, up_to_now)
    age_days = (now_seconds - last) / DAY_SECONDS
    multiplier = np.zeros(n_members, dtype=np.float64)
    open_ = np.ones(n_members, dtype=bool)
    for step in steps:
        hit = open_ if step.max_days is None else open_ & (age_days <= step.max_days)
        multiplier[hit] = step.multiplier
        open_ &= ~hit
    return raw * multiplier


def active_members(
    activities: Iterable[Activity] | ActivityFrame, model: ScoringModel, now: datetime
) -> set[str]:
    """Member keys with a non-reaction activity in the last ``model.breadth.active_window_days``.

    The breadth multiplier counts these members: someone who only likes posts has a score but
    is not engaging, so likes alone never make an account "broad". The window includes both
    ends (``now - window <= occurred_at <= now``); activity after ``now`` does not count.
    """
    frame = as_frame(activities)
    return set(compress(frame.member_keys, active_mask(frame, model, now).tolist()))


def active_mask(frame: ActivityFrame, model: ScoringModel, now: datetime) -> np.ndarray:
    """Per member of ``frame``: active at ``now`` in the sense of `active_members`."""
    mask = _active_rows(frame, timestamp(now, "now"), model.breadth.active_window_days)
    hit = np.zeros(len(frame.member_keys), dtype=bool)
    hit[frame.member[mask]] = True
    return hit


def _active_rows(frame: ActivityFrame, now_seconds: float, window_days: float) -> np.ndarray:
    """Mask of the non-reaction activities with ``now - window_days <= occurred_at <= now``."""
    seconds = frame.occurred_at
    mask = seconds <= now_seconds
    mask &= seconds >= now_seconds - window_days * DAY_SECONDS
    mask &= ~IS_REACTION[frame.type]
    return mask


def score_accounts(
    members: Mapping[str, float],
    account_of: Mapping[str, str],
    model: ScoringModel,
    *,
    active: Collection[str] | None = None,
) -> dict[str, float]:
    """Account score = sum of its members' scores, times the breadth multiplier if it applies.

    Members without an account are left out. The breadth multiplier applies when at least
    ``breadth.min_active_members`` of the account's scored members are in ``active`` (see
    `active_members`: a non-reaction activity in the last 90 days, not a score from likes).
    With breadth enabled, ``active`` is required - a ScoringError otherwise - because scores
    alone cannot tell an engaged member from one who only reacts.
    """
    breadth = model.breadth
    if breadth.enabled and active is None:
        raise ScoringError(
            "the model's breadth multiplier is enabled, so score_accounts needs active=: the members with a "
            "non-reaction activity in the window, e.g. active=active_members(activities, model, now)"
        )
    active_set = frozenset(active or ())
    parts: dict[str, list[float]] = defaultdict(list)
    engaged: dict[str, int] = defaultdict(int)
    for member_key, score in members.items():
        account = account_of.get(member_key)
        if account is not None:
            parts[account].append(score)
            engaged[account] += member_key in active_set
    scores: dict[str, float] = {}
    for account, values in parts.items():
        total = math.fsum(values)
        if breadth.enabled and engaged[account] >= breadth.min_active_members:
            total *= breadth.multiplier
        scores[account] = total
    return scores


def account_totals(
    scores: np.ndarray, account: np.ndarray, n_accounts: int, model: ScoringModel, *,
    scored: np.ndarray, active: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """`score_accounts` on arrays: members' ``scores``, their ``account`` index (-1 = none).

    Only members in ``scored`` count; ``active`` (per member, or None with breadth off) counts
    towards the breadth multiplier. Returns the accounts with a scored member (indices,
    ascending) and their scores, each an exact ``math.fsum`` like `score_accounts`.
    """
    breadth = model.breadth
    if breadth.enabled and active is None:
        raise ScoringError("the model's breadth multiplier is enabled, so account_totals needs active=")
    rows = scored & (account >= 0)
    order = np.argsort(account[rows], kind="stable")
    owners = account[rows][order]
    if not owners.size:
        return owners, np.zeros(0, dtype=np.float64)
    values = scores[rows][order].tolist()
    bounds = (np.flatnonzero(np.diff(owners)) + 1).tolist()
    ids = owners[[0, *bounds]]
    totals = np.array([math.fsum(values[lo:hi]) for lo, hi in zip([0, *bounds], [*bounds, len(values)])],
                      dtype=np.float64)
    if breadth.enabled and active is not None and totals.size:
        engaged = np.bincount(account[rows & active], minlength=n_accounts)[ids]
        totals[engaged >= breadth.min_active_members] *= breadth.multiplier
    return ids, totals
