"""Issue 10 item 6: breadth counts *active* members - a non-reaction activity in the last 90 days.

A member with a score of 1 or more from likes alone is not active, so three members with
five likes each do not earn an account the breadth boost.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import (
    Activity,
    ScoringError,
    ScoringModel,
    compare_models,
    detect_signals,
    score_accounts,
    score_members,
)
from scoring.history import score_history
from scoring.score import active_members

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
BREADTH = ScoringModel(breadth={"enabled": True, "min_active_members": 3, "multiplier": 1.25})
ACME = {"a": "acme", "b": "acme", "c": "acme"}


def act(member: str, days_ago: float, type_: str = "reply", n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def likes(member: str, count: int = 5) -> list[Activity]:
    return [act(member, 0, "reaction", n) for n in range(count)]


def test_three_members_with_five_likes_each_get_no_boost() -> None:
    activities = [*likes("a"), *likes("b"), *likes("c")]
    history = score_history(activities, ACME, BREADTH, NOW, [0])
    assert history.members[0.0] == {"a": 5.0, "b": 5.0, "c": 5.0}
    assert history.accounts[0.0] == {"acme": pytest.approx(15.0)}
    assert detect_signals(activities, ACME, BREADTH, NOW).history.accounts[0.0] == {"acme": pytest.approx(15.0)}


def test_three_members_with_a_post_each_in_the_last_90_days_get_the_boost() -> None:
    activities = [act("a", 1), act("b", 89), act("c", 30, "webinar_attended")]
    members = score_members(activities, BREADTH, NOW)
    active = active_members(activities, BREADTH, NOW)
    assert active == {"a", "b", "c"}
    expected = 1.25 * sum(members.values())
    assert score_accounts(members, ACME, BREADTH, active=active) == {"acme": pytest.approx(expected)}
    assert score_history(activities, ACME, BREADTH, NOW, [0]).accounts[0.0] == {"acme": pytest.approx(expected)}


def test_a_post_older_than_90_days_or_a_like_does_not_make_a_member_active() -> None:
    activities = [act("a", 1), act("b", 1), act("c", 91, "answer"), *likes("c", 30)]
    assert active_members(activities, BREADTH, NOW) == {"a", "b"}
    members = score_members(activities, BREADTH, NOW)
    assert members["c"] >= 1
    assert score_accounts(members, ACME, BREADTH, active={"a", "b"}) == {"acme": pytest.approx(sum(members.values()))}


def test_a_future_activity_does_not_make_a_member_active_now() -> None:
    assert active_members([act("a", -1), act("b", 0)], BREADTH, NOW) == {"b"}


def test_compare_models_applies_breadth_by_active_members() -> None:
    activities = [*likes("a"), *likes("b"), *likes("c")]
    comparison = compare_models(ScoringModel(), BREADTH, activities, ACME, NOW)
    (row,) = comparison.accounts
    assert row.draft_score == pytest.approx(15.0) == row.published_score


def test_breadth_without_knowing_who_is_active_is_a_clear_error() -> None:
    with pytest.raises(ScoringError, match="active"):
        score_accounts({"a": 5.0, "b": 5.0, "c": 5.0}, ACME, BREADTH)
    assert score_accounts({"a": 5.0, "b": 5.0, "c": 5.0}, ACME, ScoringModel()) == {"acme": 15.0}
