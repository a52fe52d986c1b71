"""The scoring model: what each activity is worth, how fast it fades, where the tiers start.

Every number is a default of PRODUCT.md that a community manager can change. The model
validates itself so a bad edit fails with a message that names the field and the fix.
"""

from __future__ import annotations

import math
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.records import ACTIVITY_TYPES, TIERS

__all__ = ["ActivityWeight", "ScoringModel", "DEFAULT_WEIGHTS", "DEFAULT_TIER_FLOORS"]


class ActivityWeight(BaseModel):
    """Points for one activity and the half-life (in days) over which they fade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: float = Field(description="Points an activity is worth when it happens.")
    half_life_days: float = Field(description="Days after which the points are worth half.")

    @field_validator("points")
    @classmethod
    def _finite_points(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"points must be a finite number >= 0, got {value!r}")
        return value

    @field_validator("half_life_days")
    @classmethod
    def _positive_half_life(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError(
                f"half_life_days must be a finite number of days > 0, got {value!r}; "
                "use a large half-life for points that should barely fade"
            )
        return value


DEFAULT_WEIGHTS: dict[str, ActivityWeight] = {
    "premium_feature_question": ActivityWeight(points=20, half_life_days=14),
    "feature_request": ActivityWeight(points=15, half_life_days=21),
    "answer": ActivityWeight(points=12, half_life_days=14),
    "competitor_mention": ActivityWeight(points=12, half_life_days=14),
    "webinar_attended": ActivityWeight(points=10, half_life_days=21),
    "how_to_content": ActivityWeight(points=10, half_life_days=30),
    "thread_started": ActivityWeight(points=5, half_life_days=14),
    "reply": ActivityWeight(points=3, half_life_days=7),
    "reaction": ActivityWeight(points=1, half_life_days=7),
}

#: The lowest score of each tier; below the first there is no tier.
DEFAULT_TIER_FLOORS: dict[str, float] = {"awareness": 1, "consideration": 40, "intent": 75}


class ScoringModel(BaseModel):
    """Weights, half-lives and tier floors; immutable, so a version is what it says it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(default="default", description="Name of this model version.")
    weights: dict[str, ActivityWeight] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Points and half-life per activity type identifier.",
    )
    tier_floors: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TIER_FLOORS),
        description="Lowest score of each tier (awareness, consideration, intent).",
    )
    recency_days: float = Field(
        default=14, gt=0, description="Intent outreach only if the account was active this recently."
    )

    @field_validator("weights")
    @classmethod
    def _known_types(cls, weights: dict[str, ActivityWeight]) -> dict[str, ActivityWeight]:
        unknown = sorted(set(weights) - set(ACTIVITY_TYPES))
        if unknown:
            raise ValueError(
                f"unknown activity type(s) {unknown}; use one of {list(ACTIVITY_TYPES)}"
            )
        return weights

    @model_validator(mode="after")
    def _ordered_tiers(self) -> Self:
        if set(self.tier_floors) != set(TIERS):
            raise ValueError(f"tier_floors must name exactly the tiers {list(TIERS)}")
        floors = [self.tier_floors[t] for t in TIERS]
        if any(not math.isfinite(f) for f in floors):
            raise ValueError("tier_floors must be finite numbers")
        if floors[0] <= 0 or floors != sorted(floors) or len(set(floors)) != len(floors):
            raise ValueError(
                "tier_floors overlap: they must be > 0 and strictly increasing "
                f"(awareness < consideration < intent), got {dict(zip(TIERS, floors))}"
            )
        return self

    def weight(self, activity_type: str) -> ActivityWeight:
        """The weight of a type; a type the model leaves out is worth nothing."""
        return self.weights.get(activity_type, _ZERO)

    def tier(self, score: float) -> str | None:
        """The tier a score falls in, or None below the awareness floor."""
        found: str | None = None
        for name in TIERS:
            if score >= self.tier_floors[name]:
                found = name
        return found


_ZERO = ActivityWeight(points=0, half_life_days=1)
