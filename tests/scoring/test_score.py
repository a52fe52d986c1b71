"""Scoring math with hand-computed values."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from scoring import Activity, ScoringModel, score_accounts, score_members
from scoring.errors import ScoringError
from scoring.score import decayed_points

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def act(member: str, type_: str, days_ago: float, n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def test_twenty_points_at_one_half_life_is_ten() -> None:
    scores = score_members([act("m", "premium_feature_question", 14)], ScoringModel(), NOW)
    assert scores == {"m": pytest.approx(10.0)}


def test_points_at_time_zero_and_two_half_lives() -> None:
    model = ScoringModel()
    scores = score_members([act("a", "reply", 0), act("b", "answer", 28), act("b", "reaction", 7)], model, NOW)
    assert scores["a"] == pytest.approx(3.0)
    assert scores["b"] == pytest.approx(12 * 0.25 + 0.5)


def test_future_activity_counts_nothing() -> None:
    assert score_members([act("m", "reply", -1)], ScoringModel(), NOW) == {"m": 0.0}


def test_account_is_sum_of_members_and_reaches_intent() -> None:
    model = ScoringModel()
    accounts = score_accounts({"a": 30.0, "b": 25.0, "c": 45.0, "d": 9.0}, {"a": "acme", "b": "acme", "c": "acme"}, model)
    assert accounts == {"acme": pytest.approx(100.0)}
    assert model.tier(accounts["acme"]) == "intent"
    assert all(model.tier(s) != "intent" for s in (30, 25, 45))


@pytest.mark.parametrize(
    ("score", "tier"),
    [(0, None), (0.99, None), (1, "awareness"), (39.9, "awareness"), (40, "consideration"),
     (74.99, "consideration"), (75, "intent"), (1000, "intent")],
)
def test_tier_boundaries(score: float, tier: str | None) -> None:
    assert ScoringModel().tier(score) == tier


def test_naive_now_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ScoringError, match="timezone-aware"):
        score_members([], ScoringModel(), datetime(2026, 1, 1))


@given(st.lists(st.tuples(st.sampled_from(["reply", "reaction", "answer"]), st.floats(0, 200)), max_size=30),
       st.randoms())
def test_order_of_activities_never_changes_a_score(items, rnd) -> None:
    activities = [act("m", t, d, i) for i, (t, d) in enumerate(items)]
    shuffled = list(activities)
    rnd.shuffle(shuffled)
    model = ScoringModel()
    assert score_members(activities, model, NOW) == score_members(shuffled, model, NOW)


@given(st.floats(1, 100), st.floats(0, 365), st.floats(0, 365), st.floats(1, 60))
def test_decay_is_monotone(points, age1, age2, half_life) -> None:
    young, old = sorted((age1, age2))
    assert decayed_points(points, old, half_life) <= decayed_points(points, young, half_life)
