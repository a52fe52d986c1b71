"""ActivityFrame: activities as columns, so millions of them need no Python objects.

Three aligned numpy arrays, one row per activity:

    member       int32    index into ``member_keys``
    type         int8     index into ``ACTIVITY_TYPES``
    occurred_at  float64  POSIX seconds (UTC), i.e. ``activity.occurred_at.timestamp()``

Build one from records with :meth:`ActivityFrame.from_activities`, or straight from columns a
store query returned with :meth:`ActivityFrame.from_arrays`. A frame is immutable: its arrays
are read-only views, and the builders never modify what they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from scoring.errors import ScoringError
from scoring.moments import require_aware
from scoring.records import ACTIVITY_TYPES, Activity

__all__ = ["ActivityFrame", "as_frame", "moment", "timestamp"]

#: POSIX seconds of 0001-01-01 and 10000-01-01 UTC: the range a datetime can hold.
_FIRST_SECOND, _END_SECOND = -62_135_596_800.0, 253_402_300_800.0
_TYPE_INDEX: dict[str, int] = {name: i for i, name in enumerate(ACTIVITY_TYPES)}


def timestamp(moment: datetime, what: str) -> float:
    """POSIX seconds of an aware datetime; a naive one is a ScoringError naming ``what``."""
    return require_aware(moment, what).timestamp()


def moment(seconds: float) -> datetime:
    """The aware UTC datetime of POSIX ``seconds`` (exact for microsecond datetimes of our era)."""
    return datetime.fromtimestamp(seconds, timezone.utc)


def as_frame(activities: Iterable[Activity] | ActivityFrame) -> ActivityFrame:
    """``activities`` as a frame (a frame is returned as it is)."""
    return activities if isinstance(activities, ActivityFrame) else ActivityFrame.from_activities(activities)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class ActivityFrame:
    """Activities as aligned columns; see the module docstring for the layout."""

    member_keys: tuple[str, ...]
    member: np.ndarray
    type: np.ndarray
    occurred_at: np.ndarray

    def __len__(self) -> int:
        return int(self.occurred_at.shape[0])

    @classmethod
    def from_arrays(
        cls,
        member_keys: Sequence[str],
        member_idx: np.ndarray | Sequence[int],
        type_idx: np.ndarray | Sequence[int],
        occurred_at_seconds: np.ndarray | Sequence[float],
    ) -> ActivityFrame:
        """A frame from columns; indices and timestamps are checked, never silently fixed."""
        keys = tuple(member_keys)
        if len(set(keys)) != len(keys):
            raise ScoringError("member_keys must be unique: each member is one row of the key table")
        member = np.asarray(member_idx)
        kind = np.asarray(type_idx)
        seconds = np.asarray(occurred_at_seconds, dtype=np.float64)
        if not (member.ndim == kind.ndim == seconds.ndim == 1):
            raise ScoringError("member_idx, type_idx and occurred_at_seconds must be 1-d arrays")
        if not (member.shape == kind.shape == seconds.shape):
            raise ScoringError(
                f"columns differ in length: member_idx {member.shape[0]}, type_idx {kind.shape[0]}, "
                f"occurred_at_seconds {seconds.shape[0]}"
            )
        for name, column in (("member_idx", member), ("type_idx", kind)):
            if column.size and not np.issubdtype(column.dtype, np.integer):
                raise ScoringError(f"{name} must hold integers, got dtype {column.dtype}")
        if member.size:
            low, high = int(member.min()), int(member.max())
            if low < 0 or high >= len(keys):
                raise ScoringError(
                    f"member_idx must index member_keys (0..{len(keys) - 1}), found {low}..{high}"
                )
            low, high = int(kind.min()), int(kind.max())
            if low < 0 or high >= len(ACTIVITY_TYPES):
                raise ScoringError(
                    f"type_idx must index ACTIVITY_TYPES (0..{len(ACTIVITY_TYPES) - 1}), found {low}..{high}"
                )
            if not np.isfinite(seconds).all():
                raise ScoringError("occurred_at_seconds must be finite POSIX seconds (no NaN or inf)")
            if seconds.min() < _FIRST_SECOND or seconds.max() >= _END_SECOND:
                raise ScoringError("occurred_at_seconds must lie within datetime's range (years 1 to 9999)")
        return cls(
            member_keys=keys,
            member=_read_only(member.astype(np.int32, copy=False)),
            type=_read_only(kind.astype(np.int8, copy=False)),
            occurred_at=_read_only(seconds),
        )

    @classmethod
    def from_activities(cls, activities: Iterable[Activity]) -> ActivityFrame:
        """A frame from records; member keys are numbered in order of first appearance.

        An activity type outside ``ACTIVITY_TYPES`` or a naive ``occurred_at`` is a ScoringError.
        """
        index: dict[str, int] = {}
        members: list[int] = []
        kinds: list[int] = []
        seconds: list[float] = []
        for activity in activities:
            kind = _TYPE_INDEX.get(activity.type)
            if kind is None:
                raise ScoringError(
                    f"activity {activity.source}:{activity.source_event_id} has unknown type "
                    f"{activity.type!r}; use one of {list(ACTIVITY_TYPES)}"
                )
            seconds.append(
                timestamp(activity.occurred_at, f"occurred_at of activity {activity.source}:{activity.source_event_id}")
            )
            members.append(index.setdefault(activity.member_key, len(index)))
            kinds.append(kind)
        return cls(
            member_keys=tuple(index),
            member=_read_only(np.array(members, dtype=np.int32)),
            type=_read_only(np.array(kinds, dtype=np.int8)),
            occurred_at=_read_only(np.array(seconds, dtype=np.float64)),
        )

    def regroup(self, key_of: Mapping[str, str | None]) -> ActivityFrame:
        """The frame with members renamed by ``key_of`` (absent = kept; None = rows dropped).

        Several members mapped to one key become one member: one person on two platforms
        scores once. New keys are numbered in order of first appearance.
        """
        index: dict[str, int] = {}
        new_of = np.fromiter((-1 if (new := key_of.get(k, k)) is None else index.setdefault(new, len(index))
                              for k in self.member_keys), dtype=np.int64, count=len(self.member_keys))
        member = new_of[self.member]
        kept = member >= 0
        if kept.all():
            return ActivityFrame(tuple(index), _read_only(member.astype(np.int32)), self.type, self.occurred_at)
        return ActivityFrame(tuple(index), _read_only(member[kept].astype(np.int32)),
                             _read_only(self.type[kept]), _read_only(self.occurred_at[kept]))

    def per_member(self, reduce: np.ufunc, rows: np.ndarray | None = None) -> np.ndarray:
        """``reduce`` (``np.maximum`` / ``np.minimum``) of ``occurred_at`` per member over ``rows`` (a mask).

        Members without a row get -inf for a maximum and +inf for a minimum.
        """
        start = -np.inf if reduce is np.maximum else np.inf
        out = np.full(len(self.member_keys), start)
        if rows is None:
            reduce.at(out, self.member, self.occurred_at)
        else:
            reduce.at(out, self.member[rows], self.occurred_at[rows])
        return out
