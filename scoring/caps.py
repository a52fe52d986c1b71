"""Daily caps (anti-gaming): which activities fall beyond a per-member, per-type, per-day cap.

Per member, per activity type, per UTC calendar day (``floor(seconds / 86400)``), only the
first ``cap`` activities count, earliest ``occurred_at`` first; among activities at the very
same instant the earlier row wins. Which of two same-instant activities of one type is kept
cannot change a score: both are worth the same.

Vectorised in three narrowing passes, so the common case (few members near a cap) costs a
``bincount`` and a small sort: (1) only (member, type) pairs with more than ``cap`` activities
in total can exceed a day's cap; (2) of those, only (member, type, day) groups with more than
``cap`` activities; (3) only those rows are sorted by time to find the ones beyond the cap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DAY_SECONDS", "beyond_daily_cap"]

DAY_SECONDS = 86_400.0
_INT64_SAFE = 2**62


def beyond_daily_cap(
    member: np.ndarray, kind: np.ndarray, seconds: np.ndarray, eligible: np.ndarray, caps: np.ndarray
) -> np.ndarray:
    """Mask of the eligible activities that fall beyond their type's daily cap.

    ``caps[t]`` is the cap of type index ``t`` (0 = no cap); ``eligible`` marks the activities
    that take part (those not after ``now``). Ineligible activities are never in the mask.
    """
    dropped = np.zeros(member.shape[0], dtype=bool)
    caps = np.asarray(caps, dtype=np.int64)
    capped = np.flatnonzero(caps > 0)
    if capped.size == 0 or member.shape[0] == 0:
        return dropped
    rows, pair = _rows_of_busy_pairs(member, kind, eligible, capped, caps[capped])
    if rows.size == 0:
        return dropped
    day = np.floor_divide(seconds[rows], DAY_SECONDS).astype(np.int64)
    rows, pair, day = _rows_in_crowded_days(rows, pair, day, caps[capped])
    if rows.size == 0:
        return dropped
    order = np.lexsort((seconds[rows], day, pair))  # stable: same instant → earlier row first
    pair, day, rows = pair[order], day[order], rows[order]
    starts = np.ones(rows.size, dtype=bool)
    starts[1:] = (pair[1:] != pair[:-1]) | (day[1:] != day[:-1])
    first = np.flatnonzero(starts)
    rank = np.arange(rows.size) - first[np.cumsum(starts) - 1]
    dropped[rows[rank >= caps[kind[rows]]]] = True
    return dropped


def _rows_of_busy_pairs(
    member: np.ndarray, kind: np.ndarray, eligible: np.ndarray, capped: np.ndarray, cap_of_slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible rows of capped types whose (member, type) has more activities than the cap in all.

    Returns those rows and their pair index ``member * len(capped) + slot``, where ``slot`` is
    the position of the row's type in ``capped``.
    """
    mask = kind == capped[0]
    for t in capped[1:]:
        mask |= kind == t
    mask &= eligible
    rows = np.flatnonzero(mask)
    n_slots = capped.size
    if n_slots == 1:
        pair = member[rows].astype(np.int64)
    else:
        slot_of_type = np.zeros(int(capped.max()) + 1, dtype=np.int64)
        slot_of_type[capped] = np.arange(n_slots)
        pair = member[rows].astype(np.int64) * n_slots + slot_of_type[kind[rows]]
    totals = np.bincount(pair, minlength=(int(member.max()) + 1) * n_slots).reshape(-1, n_slots)
    busy = (totals > cap_of_slot).ravel()[pair]
    return rows[busy], pair[busy]


def _rows_in_crowded_days(
    rows: np.ndarray, pair: np.ndarray, day: np.ndarray, cap_of_slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep only rows whose (member, type, day) group holds more activities than its cap."""
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    if int(pair.max()) + 1 > _INT64_SAFE // span:
        return rows, pair, day  # no room for a packed key: the sort does all the work
    group = pair * span + (day - first_day)
    ordered = np.sort(group)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.append(starts, ordered.size))
    keys = ordered[starts]
    crowded = keys[sizes > cap_of_slot[(keys // span) % cap_of_slot.size]]
    if crowded.size == 0:
        return rows[:0], pair[:0], day[:0]
    # Narrow to the pairs that have a crowded day before the exact (pair, day) lookup.
    crowded_pair = np.zeros(int(pair.max()) + 1, dtype=bool)
    crowded_pair[crowded // span] = True
    near = np.flatnonzero(crowded_pair[pair])
    where = np.searchsorted(crowded, group[near]).clip(max=crowded.size - 1)
    near = near[crowded[where] == group[near]]
    return rows[near], pair[near], day[near]
