"""Scoring math with hand-computed values."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- step mode, caps, exclusion, breadth: hand-computed -------------------------------------

STEP = ScoringModel(decay_mode="step")


def at(member: str, type_: str, moment: datetime, n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{moment.isoformat()}-{n}", member, type_, moment)


@pytest.mark.parametrize(
    ("days_since_last", "multiplier"),
    [(0, 1.0), (7, 1.0), (7.5, 0.9), (14, 0.9), (15, 0.75), (30, 0.75), (45, 0.5), (60, 0.5),
     (61, 0.25), (90, 0.25), (91, 0.1), (130, 0.1)],
)
def test_step_mode_multiplies_undecayed_points_by_time_since_last_activity(days_since_last, multiplier) -> None:
    activities = [act("m", "answer", days_since_last + 50), act("m", "reply", days_since_last)]
    assert score_members(activities, STEP, NOW) == {"m": pytest.approx((12 + 3) * multiplier)}


def test_step_mode_counts_only_the_points_of_its_window() -> None:
    """Points older than step_window_days (180) count nothing (issue 10 item 9: step mode forgets)."""
    activities = [act("m", "answer", 400), act("m", "reply", 170)]
    assert score_members(activities, STEP, NOW) == {"m": pytest.approx(3 * 0.1)}
    assert score_members([act("m", "answer", 400)], STEP, NOW) == {"m": 0.0}


def test_step_mode_last_activity_ignores_the_future_and_uses_the_model_steps() -> None:
    activities = [act("m", "feature_request", 20), act("m", "reply", -3)]
    assert score_members(activities, STEP, NOW) == {"m": pytest.approx(15 * 0.75)}
    custom = ScoringModel(decay_mode="step", step_multipliers=[{"max_days": 10, "multiplier": 0.5}])
    assert score_members([act("m", "reply", 5)], custom, NOW) == {"m": 1.5}
    assert score_members([act("m", "reply", 11)], custom, NOW) == {"m": 0.0}


def test_twenty_five_reactions_in_one_day_count_twenty() -> None:
    day = datetime(2026, 11, 1, 1, tzinfo=timezone.utc)
    reactions = [at("m", "reaction", day + timedelta(minutes=i)) for i in range(25)]
    assert score_members(reactions, STEP, NOW) == {"m": 20.0}
    half_life = score_members(reactions, ScoringModel(), NOW)["m"]
    earliest = sum(0.5 ** ((NOW - day - timedelta(minutes=i)).total_seconds() / 86400 / 7) for i in range(20))
    assert half_life == pytest.approx(earliest, rel=1e-12)


def test_twenty_five_reactions_over_two_utc_days_all_count() -> None:
    midnight = datetime(2026, 11, 1, tzinfo=timezone.utc)
    reactions = [at("m", "reaction", midnight + timedelta(minutes=i - 13)) for i in range(25)]
    assert score_members(reactions, STEP, NOW) == {"m": 25.0}


def test_caps_are_per_member_and_per_type_and_ignore_future_activity() -> None:
    day = datetime(2026, 11, 1, 1, tzinfo=timezone.utc)
    activities = [at("a", "reaction", day, i) for i in range(30)] + [at("b", "reaction", day, i) for i in range(5)]
    activities += [at("a", "reply", day, i) for i in range(30)]  # reply has no cap by default
    activities += [at("b", "reaction", NOW + timedelta(minutes=i)) for i in range(1, 30)]  # later today
    assert score_members(activities, STEP, NOW) == {"a": 20 + 90.0, "b": 5.0}
    capped = ScoringModel(decay_mode="step", weights={"reply": {"points": 3, "half_life_days": 7, "daily_cap": 2}})
    assert score_members(activities, capped, NOW) == {"a": 6.0, "b": 0.0}


def test_excluded_members_are_not_scored() -> None:
    activities = [act("ann", "answer", 0), act("bot", "reply", 0), act("staff", "reply", 0)]
    assert score_members(activities, ScoringModel(), NOW, exclude={"bot", "staff"}) == {"ann": 12.0}


def test_a_type_the_model_leaves_out_counts_nothing() -> None:
    model = ScoringModel(weights={"answer": {"points": 12, "half_life_days": 14}})
    assert score_members([act("m", "answer", 0), act("m", "reaction", 0), act("n", "reply", 0)], model, NOW) == {
        "m": 12.0, "n": 0.0}


def test_naive_occurred_at_is_rejected_naming_the_activity() -> None:
    naive = Activity("slack", "ev-1", "m", "reply", datetime(2026, 1, 1))
    with pytest.raises(ScoringError, match="slack:ev-1.*naive"):
        score_members([naive], ScoringModel(), NOW)


@pytest.mark.parametrize(
    ("active", "expected"),
    [({"a", "b", "c"}, 125.0),   # three active members: x1.25
     ({"a", "b"}, 100.0),        # two: no boost
     (set(), 100.0)],            # scores from likes alone make nobody active (issue 10 item 6)
)
def test_breadth_multiplier(active, expected) -> None:
    scores = {"a": 30.0, "b": 25.0, "c": 45.0}
    model = ScoringModel(breadth={"enabled": True, "min_active_members": 3, "multiplier": 1.25})
    account_of = dict.fromkeys(scores, "acme")
    assert score_accounts(scores, account_of, model, active=active) == {"acme": pytest.approx(expected)}
    assert score_accounts(scores, account_of, ScoringModel()) == {"acme": pytest.approx(sum(scores.values()))}
