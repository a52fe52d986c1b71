"""The model's defaults and its validation messages."""

import math

import pytest
from pydantic import ValidationError

from scoring import ACTIVITY_TYPES, ScoringModel
from scoring.model import ActivityWeight


def test_defaults_are_product_md() -> None:
    model = ScoringModel()
    assert set(model.weights) == set(ACTIVITY_TYPES)
    assert model.weights["premium_feature_question"] == ActivityWeight(points=20, half_life_days=14)
    assert model.weights["how_to_content"] == ActivityWeight(points=10, half_life_days=30)
    assert model.tier_floors == {"awareness": 1, "consideration": 40, "intent": 75}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": {"reply": {"points": 3, "half_life_days": -7}}}, "half_life_days"),
        ({"weights": {"reply": {"points": math.nan, "half_life_days": 7}}}, "points"),
        ({"weights": {"tweet": {"points": 3, "half_life_days": 7}}}, "unknown activity type"),
        ({"tier_floors": {"awareness": 1, "consideration": 80, "intent": 75}}, "overlap"),
    ],
)
def test_invalid_models_are_rejected_naming_the_field(change, message) -> None:
    with pytest.raises(ValidationError, match=message):
        ScoringModel.model_validate(change)


def steps(*pairs):
    return {"step_multipliers": [{"max_days": d, "multiplier": m} for d, m in pairs]}


@pytest.mark.parametrize(
    ("change", "field", "fix"),
    [
        ({"weights": {"reply": {"points": 3, "half_life_days": 0}}}, "half_life_days", "> 0"),
        ({"weights": {"reply": {"points": 3, "half_life_days": -7}}}, "half_life_days", "> 0"),
        ({"weights": {"reply": {"points": 3, "half_life_days": math.nan}}}, "half_life_days", "> 0"),
        ({"weights": {"reply": {"points": math.nan, "half_life_days": 7}}}, "points", "use 0"),
        ({"weights": {"reply": {"points": -1, "half_life_days": 7}}}, "points", "use 0"),
        ({"weights": {"reply": {"points": math.inf, "half_life_days": 7}}}, "points", "use 0"),
        ({"weights": {"tweet": {"points": 3, "half_life_days": 7}}}, "weights", "use one of"),
        ({"tier_floors": {"awareness": 1, "consideration": 75, "intent": 75}}, "tier_floors", "strictly increasing"),
        ({"tier_floors": {"awareness": 0, "consideration": 40, "intent": 75}}, "tier_floors", "> 0"),
        (steps((14, 0.9), (7, 1.0), (None, 0.1)), "step_multipliers", "order the steps by max_days"),
        (steps((7, 1.0), (None, 0.5), (30, 0.1)), "step_multipliers", "move it to the end"),
        (steps((7, 0.5), (14, 0.9), (None, 0.1)), "step_multipliers", "at most the share"),
        (steps(), "step_multipliers", "at least one step"),
        (steps((-3, 1.0), (None, 0.1)), "step_multipliers", "> 0"),
        ({"breadth": {"enabled": True, "multiplier": 0.8}}, "breadth", "use 1 for no boost"),
        ({"seasonal": {"min_factor": 2.0, "max_factor": 1.5}}, "min_factor", "lower min_factor or raise max_factor"),
        ({"hysteresis_points": 36}, "hysteresis_points", "use at most 35"),
        ({"hysteresis_points": math.nan}, "hysteresis_points", "use 0 for no hysteresis"),
        ({"hysteresis_points": 10, "tier_floors": {"awareness": 1, "consideration": 40, "intent": 45}},
         "hysteresis_points", "move the floors apart"),
    ],
)
def test_each_invalid_model_names_the_field_and_the_fix(change, field, fix) -> None:
    with pytest.raises(ValidationError) as raised:
        ScoringModel.model_validate(change)
    message = str(raised.value)
    assert field in message and fix in message


def test_hysteresis_equal_to_the_smallest_gap_and_default_steps_are_valid() -> None:
    assert ScoringModel(hysteresis_points=35).hysteresis_points == 35
    assert ScoringModel().model_dump() == ScoringModel.model_validate(ScoringModel().model_dump()).model_dump()


@pytest.mark.parametrize(
    ("change", "field", "fix"),
    [
        ({"recency_days": math.inf}, "recency_days", "<= 3650"),
        ({"recency_days": 0}, "recency_days", "e.g. 14"),
        ({"velocity_window_days": 1e10}, "velocity_window_days", "<= 3650"),
        ({"reemergence_gap_days": math.nan}, "reemergence_gap_days", "e.g. 60"),
        ({"churn_window_days": 3651}, "churn_window_days", "e.g. 30"),
        ({"champion_streak_days": 10**9}, "champion_streak_days", "<= 3650"),
        ({"champion_streak_days": math.inf}, "champion_streak_days", "e.g. 30"),
        ({"fast_rising_points": 1e308}, "fast_rising_points", "<= 1e+09"),
        ({"churn_drop_points": -math.inf}, "churn_drop_points", "e.g. 40"),
        ({"capacity_per_owner_per_week": 10**12}, "capacity_per_owner_per_week", "e.g. 20"),
        ({"weights": {"reply": {"points": 1e308, "half_life_days": 7}}}, "points", "<= 1e+06"),
        ({"weights": {"reply": {"points": 3, "half_life_days": 1e12}}}, "half_life_days", "decay_mode: step"),
        ({"weights": {"reply": {"points": 3, "half_life_days": 7, "daily_cap": 10**12}}}, "daily_cap", "null"),
        ({"weights": {}}, "weights", "leave weights out to use the defaults"),
        ({"weights": {"reply": {"points": 0, "half_life_days": 7}}}, "weights", "points > 0"),
        ({"tier_floors": {"awareness": 1, "consideration": 40, "intent": 1e300}}, "tier_floors", "<= 1e+09"),
        (steps((1e9, 1.0), (None, 0.1)), "step_multipliers", "<= 3650"),
        ({"breadth": {"multiplier": math.inf}}, "breadth", "use 1 for no boost"),
        ({"breadth": {"min_active_members": 10**9}}, "min_active_members", "e.g. 3"),
        ({"seasonal": {"trailing_days": math.inf}}, "trailing_days", "e.g. 90"),
        ({"seasonal": {"min_factor": 1e-300}}, "min_factor", "e.g. 0.5"),
        ({"seasonal": {"max_factor": math.inf}}, "max_factor", "e.g. 0.5 and 1.5"),
    ],
)
def test_every_number_has_finite_sane_bounds(change, field, fix) -> None:
    with pytest.raises(ValidationError) as raised:
        ScoringModel.model_validate(change)
    message = str(raised.value)
    assert field in message and fix in message


def test_the_largest_allowed_model_scores_and_signals_without_overflow() -> None:
    """Every number at its upper bound: scoring and every signal run and stay finite."""
    from datetime import datetime, timedelta, timezone

    from scoring import Activity
    from scoring.model import MAX_DAYS, MAX_POINTS, MAX_SCORE
    from scoring.signals import detect_signals

    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    weights = {t: {"points": MAX_POINTS, "half_life_days": MAX_DAYS, "daily_cap": 100_000} for t in ACTIVITY_TYPES}
    weights["reply"] = {"points": MAX_POINTS, "half_life_days": 1e-9}  # tiny half-lives are allowed too
    model = ScoringModel.model_validate({
        "weights": weights, "tier_floors": {"awareness": 1, "consideration": MAX_SCORE / 2, "intent": MAX_SCORE},
        "hysteresis_points": MAX_SCORE / 4,
        "recency_days": MAX_DAYS, "velocity_window_days": MAX_DAYS, "reemergence_gap_days": MAX_DAYS,
        "churn_window_days": 400, "champion_streak_days": 400, "fast_rising_points": MAX_SCORE,
        "churn_drop_points": MAX_SCORE, "capacity_per_owner_per_week": 100_000,
        "breadth": {"enabled": True, "min_active_members": 2, "multiplier": 100},
        "seasonal": {"trailing_days": MAX_DAYS, "min_factor": 0.01, "max_factor": 100},
    })
    activities = [Activity("discourse", f"e{i}", f"m{i % 3}", t, now - timedelta(days=i * 7))
                  for i, t in enumerate(ACTIVITY_TYPES * 60)]
    signals = detect_signals(activities, {"m0": "a", "m1": "a", "m2": "b"}, model, now)
    scores = [s for day in signals.history.accounts.values() for s in day.values()]
    assert scores and all(math.isfinite(s) for s in scores)
    assert all(math.isfinite(v.per_day) for v in signals.account_velocity.values())
