"""ActivityFrame: the columnar input of score_members."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from scoring import ACTIVITY_TYPES, Activity, ScoringModel, score_members
from scoring.errors import ScoringError
from scoring.frame import ActivityFrame

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
REPLY, ANSWER = ACTIVITY_TYPES.index("reply"), ACTIVITY_TYPES.index("answer")


def test_from_activities_numbers_members_in_order_of_first_appearance() -> None:
    activities = [
        Activity("slack", "1", "slack:b", "reply", NOW - timedelta(days=7)),
        Activity("discourse", "2", "discourse:a", "answer", NOW),
        Activity("slack", "3", "slack:b", "answer", NOW),
    ]
    frame = ActivityFrame.from_activities(activities)
    assert frame.member_keys == ("slack:b", "discourse:a")
    assert frame.member.tolist() == [0, 1, 0] and frame.member.dtype == np.int32
    assert frame.type.tolist() == [REPLY, ANSWER, ANSWER] and frame.type.dtype == np.int8
    assert frame.occurred_at.tolist() == [a.occurred_at.timestamp() for a in activities]
    assert len(frame) == 3
    assert score_members(frame, ScoringModel(), NOW) == score_members(activities, ScoringModel(), NOW)


def test_from_arrays_scores_only_members_with_activity_and_leaves_its_input_alone() -> None:
    member = np.array([0, 0, 2])
    kind = np.array([ANSWER, REPLY, REPLY])
    seconds = np.full(3, NOW.timestamp())
    frame = ActivityFrame.from_arrays(("a", "b", "c"), member, kind, seconds)
    assert score_members(frame, ScoringModel(), NOW) == {"a": 15.0, "c": 3.0}
    assert member.flags.writeable and member.tolist() == [0, 0, 2]
    with pytest.raises(ValueError):
        frame.occurred_at[0] = 0.0


def test_an_empty_frame_scores_nobody() -> None:
    frame = ActivityFrame.from_arrays((), np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0))
    assert score_members(frame, ScoringModel(decay_mode="step"), NOW) == {}
    assert score_members([], ScoringModel(), NOW) == {}


@pytest.mark.parametrize(
    ("keys", "member", "kind", "seconds", "message"),
    [
        (("a", "a"), [0], [0], [0.0], "unique"),
        (("a",), [0, 0], [0], [0.0, 0.0], "differ in length"),
        (("a",), [1], [0], [0.0], "member_idx must index member_keys"),
        (("a",), [0], [9], [0.0], "type_idx must index ACTIVITY_TYPES"),
        (("a",), [0.5], [0], [0.0], "member_idx must hold integers"),
        (("a",), [0], [0], [float("nan")], "finite"),
        (("a",), [0], [0], [1e15], "datetime's range"),
    ],
)
def test_from_arrays_rejects_bad_columns_with_a_clear_message(keys, member, kind, seconds, message) -> None:
    with pytest.raises(ScoringError, match=message):
        ActivityFrame.from_arrays(keys, np.array(member), np.array(kind), np.array(seconds))


def test_from_activities_rejects_unknown_types_and_naive_datetimes() -> None:
    with pytest.raises(ScoringError, match="unknown type 'tweet'"):
        ActivityFrame.from_activities([Activity("slack", "1", "m", "tweet", NOW)])
    with pytest.raises(ScoringError, match="slack:2.*naive"):
        ActivityFrame.from_activities([Activity("slack", "2", "m", "reply", datetime(2026, 1, 1))])
