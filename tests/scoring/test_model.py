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
