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
