"""The scoring model: what each activity is worth, how fast it fades, where the tiers start.

Every number is a default of PRODUCT.md that a community manager can change. The model
validates itself so a bad edit fails with a message that names the field and the fix.
Every number has finite, sane bounds (points up to `MAX_POINTS`, day windows and half-lives
up to `MAX_DAYS`, scores up to `MAX_SCORE`), so a typo such as ``1e308`` or ``inf`` fails
here, naming the field, instead of as a bare OverflowError deep inside a sync.
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from scoring.records import ACTIVITY_TYPES, TIERS

__all__ = [
    "MAX_DAYS",
    "MAX_POINTS",
    "MAX_SCORE",
    "DEFAULT_STEPS",
    "DEFAULT_TIER_FLOORS",
    "DEFAULT_WEIGHTS",
    "ActivityWeight",
    "BreadthMultiplier",
    "ScoringModel",
    "SeasonalBaseline",
    "StepMultiplier",
]


#: Longest day window, half-life or streak: ten years of history is more than any sync reads.
MAX_DAYS = 3650
#: Most points one activity can be worth.
MAX_POINTS = 1e6
#: Highest tier floor or score threshold: far above any real score, far below overflow.
MAX_SCORE = 1e9
#: Most activities of one type that can count per member per day.
MAX_DAILY_CAP = 100_000
#: Largest multiplier or seasonal factor.
MAX_FACTOR = 100.0
#: Smallest seasonal factor (thresholds are divided by it).
MIN_FACTOR = 0.01
#: Largest member count or weekly play capacity.
MAX_MEMBERS = 100_000


def _within(
    value: object, handler: ValidatorFunctionWrapHandler, minimum: float, message: str,
    *, maximum: float = math.inf, above: bool = False,
) -> float:
    """The number ``handler`` parses from ``value`` if finite and in range; else ``message``.

    The range is ``minimum <= x <= maximum`` (``minimum < x`` when ``above``).
    """
    try:
        checked = handler(value)
    except ValidationError:
        checked = math.nan
    if (not math.isfinite(checked) or checked < minimum or (above and checked == minimum)
            or checked > maximum):
        raise ValueError(message)
    return checked


def _at_least(value: object, handler: ValidatorFunctionWrapHandler, minimum: float, message: str) -> float:
    """The number ``handler`` parses from ``value`` if finite and >= ``minimum``; else ``message``."""
    return _within(value, handler, minimum, message)


def _range_message(name: str, value: object, minimum: float, maximum: float, above: bool, unit: str,
                   example: str) -> str:
    low = f"> {minimum:g}" if above else f">= {minimum:g}"
    return (f"{name} must be a finite number of {unit} {low} and <= {maximum:g}, got {value!r}; "
            f"use {example}")


class ActivityWeight(BaseModel):
    """Points for one activity and the half-life (in days) over which they fade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: float = Field(description="Points an activity is worth when it happens.")
    half_life_days: float = Field(description="Days after which the points are worth half.")
    daily_cap: int | None = Field(
        default=None, ge=1,
        description="At most this many activities of this type count per member per day (anti-gaming).",
    )

    @field_validator("points", mode="wrap")
    @classmethod
    def _finite_points(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _within(value, handler, 0, f"points must be a finite number >= 0 and <= {MAX_POINTS:g}, "
                       f"got {value!r}; use 0 for an activity type that should count nothing",
                       maximum=MAX_POINTS)

    @field_validator("half_life_days", mode="wrap")
    @classmethod
    def _positive_half_life(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _within(value, handler, 0, f"half_life_days must be a finite number of days > 0 and <= "
                       f"{MAX_DAYS}, got {value!r}; use a large half-life (up to {MAX_DAYS}) for points "
                       "that should barely fade, or decay_mode: step for points that never fade",
                       maximum=MAX_DAYS, above=True)

    @field_validator("daily_cap", mode="wrap")
    @classmethod
    def _sane_cap(cls, value: object, handler: ValidatorFunctionWrapHandler) -> int | None:
        if value is None:
            return None
        return int(_within(value, handler, 1, f"daily_cap must be a whole number >= 1 and <= {MAX_DAILY_CAP}, "
                           f"got {value!r}; use null for no cap", maximum=MAX_DAILY_CAP))


DEFAULT_WEIGHTS: dict[str, ActivityWeight] = {
    "premium_feature_question": ActivityWeight(points=20, half_life_days=14),
    "feature_request": ActivityWeight(points=15, half_life_days=21),
    "answer": ActivityWeight(points=12, half_life_days=14),
    "competitor_mention": ActivityWeight(points=12, half_life_days=14),
    "webinar_attended": ActivityWeight(points=10, half_life_days=21),
    "how_to_content": ActivityWeight(points=10, half_life_days=30),
    "thread_started": ActivityWeight(points=5, half_life_days=14),
    "reply": ActivityWeight(points=3, half_life_days=7),
    "reaction": ActivityWeight(points=1, half_life_days=7, daily_cap=20),
}

#: The lowest score of each tier; below the first there is no tier.
DEFAULT_TIER_FLOORS: dict[str, float] = {"awareness": 1, "consideration": 40, "intent": 75}


class StepMultiplier(BaseModel):
    """In ``step`` decay mode: activity up to ``max_days`` old keeps ``multiplier`` of its points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_days: float | None = Field(description="Upper bound of the step in days; None = no bound (the last step).")
    multiplier: float = Field(ge=0, le=1, description="Share of the points kept.")


DEFAULT_STEPS: tuple[StepMultiplier, ...] = (
    StepMultiplier(max_days=7, multiplier=1.0),
    StepMultiplier(max_days=14, multiplier=0.9),
    StepMultiplier(max_days=30, multiplier=0.75),
    StepMultiplier(max_days=60, multiplier=0.5),
    StepMultiplier(max_days=90, multiplier=0.25),
    StepMultiplier(max_days=None, multiplier=0.1),
)


class BreadthMultiplier(BaseModel):
    """Optional boost for accounts where several members are active at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(default=False, description="Apply the multiplier.")
    min_active_members: int = Field(
        default=3, ge=2, le=MAX_MEMBERS,
        description="Active members needed: members with a non-reaction activity within active_window_days.",
    )
    multiplier: float = Field(default=1.25, ge=1, le=MAX_FACTOR, description="Account score multiplier when reached.")
    active_window_days: float = Field(
        default=90, gt=0, le=MAX_DAYS,
        description="A member is active with a non-reaction activity (not just likes) this recently.",
    )

    @field_validator("multiplier", mode="wrap")
    @classmethod
    def _boost_not_penalty(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _within(value, handler, 1, f"breadth multiplier must be a finite number >= 1 and <= "
                       f"{MAX_FACTOR:g}, got {value!r}; use 1 for no boost (or set enabled: false)",
                       maximum=MAX_FACTOR)

    @field_validator("active_window_days", mode="wrap")
    @classmethod
    def _sane_active_window(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _within(value, handler, 0, _range_message("breadth active_window_days", value, 0, MAX_DAYS, True,
                                                         "days", "e.g. 90"), maximum=MAX_DAYS, above=True)

    @field_validator("min_active_members", mode="wrap")
    @classmethod
    def _sane_members(cls, value: object, handler: ValidatorFunctionWrapHandler) -> int:
        return int(_within(value, handler, 2, f"breadth min_active_members must be a whole number >= 2 and "
                           f"<= {MAX_MEMBERS}, got {value!r}; use e.g. 3", maximum=MAX_MEMBERS))


class SeasonalBaseline(BaseModel):
    """Scale signal thresholds with trailing activity, so holiday dips don't fire churn alerts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(default=True, description="Scale churn and velocity thresholds.")
    trailing_days: float = Field(default=90, gt=0, le=MAX_DAYS, description="Window of recent activity compared.")
    min_factor: float = Field(default=0.5, ge=MIN_FACTOR, le=MAX_FACTOR, description="Lowest threshold scale.")
    max_factor: float = Field(default=1.5, ge=MIN_FACTOR, le=MAX_FACTOR, description="Highest threshold scale.")

    @field_validator("trailing_days", mode="wrap")
    @classmethod
    def _sane_window(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _within(value, handler, 0, _range_message("seasonal trailing_days", value, 0, MAX_DAYS, True,
                                                         "days", "e.g. 90"), maximum=MAX_DAYS, above=True)

    @field_validator("min_factor", "max_factor", mode="wrap")
    @classmethod
    def _sane_factor(cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> float:
        return _within(value, handler, MIN_FACTOR, f"seasonal {info.field_name} must be a finite number "
                       f">= {MIN_FACTOR:g} and <= {MAX_FACTOR:g}, got {value!r}; use e.g. 0.5 and 1.5",
                       maximum=MAX_FACTOR)

    @model_validator(mode="after")
    def _ordered_factors(self) -> Self:
        if self.min_factor > self.max_factor:
            raise ValueError(
                f"seasonal min_factor ({self.min_factor:g}) is larger than max_factor "
                f"({self.max_factor:g}); lower min_factor or raise max_factor (e.g. 0.5 and 1.5)"
            )
        return self


#: Bounds of the model's top-level numbers: (minimum, maximum, minimum excluded, unit, example).
_BOUNDS: dict[str, tuple[float, float, bool, str, str]] = {
    "recency_days": (0, MAX_DAYS, True, "days", "e.g. 14"),
    "velocity_window_days": (0, MAX_DAYS, True, "days", "e.g. 14"),
    "reemergence_gap_days": (0, MAX_DAYS, True, "days", "e.g. 60"),
    "step_window_days": (0, MAX_DAYS, True, "days", "e.g. 180"),
    "churn_window_days": (0, MAX_DAYS, True, "days", "e.g. 30"),
    "churn_baseline_days": (0, MAX_DAYS, True, "days", "e.g. 90"),
    "churn_min_drop_points": (0, MAX_SCORE, False, "points", "e.g. 15"),
    "churn_drop_share": (0, 1, True, "shares of the peak", "e.g. 0.4"),
    "churn_activity_ratio": (0, 1, True, "shares of the usual activity", "e.g. 0.6"),
    "champion_streak_days": (1, MAX_DAYS, False, "whole days", "e.g. 30"),
    "fast_rising_points": (0, MAX_SCORE, True, "points", "e.g. 30"),
    "churn_drop_points": (0, MAX_SCORE, True, "points", "e.g. 40"),
    "capacity_per_owner_per_week": (1, MAX_MEMBERS, False, "plays", "e.g. 20"),
}


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
    decay_mode: Literal["half_life", "step"] = Field(
        default="half_life",
        description="half_life: p·0.5^(age/half-life) per activity; step: multipliers on time since the member's last activity.",
    )
    step_multipliers: tuple[StepMultiplier, ...] = Field(
        default=DEFAULT_STEPS, description="Steps of the step decay mode, by increasing max_days."
    )
    step_window_days: float = Field(
        default=180, gt=0, le=MAX_DAYS,
        description="step mode: only points earned this recently count, so dormant members fall below 25.",
    )
    hysteresis_points: float = Field(
        default=5, ge=0, le=MAX_SCORE, description="A downgrade needs the score this far below the tier's floor."
    )
    breadth: BreadthMultiplier = Field(default_factory=BreadthMultiplier, description="Account breadth boost.")
    recency_days: float = Field(
        default=14, gt=0, le=MAX_DAYS, description="Intent outreach only if the account was active this recently."
    )
    velocity_window_days: float = Field(
        default=14, gt=0, le=MAX_DAYS, description="Window of the score-increase rate."
    )
    fast_rising_points: float = Field(
        default=30, gt=0, le=MAX_SCORE,
        description="An account gaining this many points within the velocity window is fast-rising.",
    )
    reemergence_gap_days: float = Field(
        default=60, gt=0, le=MAX_DAYS, description="A member silent this long who is active again has re-emerged."
    )
    churn_drop_points: float = Field(
        default=40, gt=0, le=MAX_SCORE,
        description="An account score drop this large (within churn_window_days) is a churn risk.",
    )
    churn_window_days: float = Field(
        default=30, gt=0, le=MAX_DAYS, description="Window in which the churn drop is measured."
    )
    churn_rule: Literal["disengagement", "drop_points"] = Field(
        default="disengagement",
        description="disengagement: the score fell churn_drop_share of its peak and the account's own activity "
        "fell to churn_activity_ratio of its usual rate; drop_points: the score fell churn_drop_points.",
    )
    churn_drop_share: float = Field(
        default=0.4, gt=0, le=1,
        description="disengagement rule: the drop from the peak within churn_window_days, as a share of the peak.",
    )
    churn_min_drop_points: float = Field(
        default=15, ge=0, le=MAX_SCORE,
        description="disengagement rule: a drop smaller than this many points is never a churn risk.",
    )
    churn_activity_ratio: float = Field(
        default=0.6, gt=0, le=1,
        description="disengagement rule: member-days of activity in churn_window_days at most this share of "
        "the usual rate over the churn_baseline_days before it.",
    )
    churn_baseline_days: float = Field(
        default=90, gt=0, le=MAX_DAYS,
        description="disengagement rule: window before the churn window that sets the account's usual activity.",
    )
    champion_streak_days: int = Field(
        default=30, ge=1, le=MAX_DAYS, description="A member at Intent every day this long is a champion."
    )
    seasonal: SeasonalBaseline = Field(default_factory=SeasonalBaseline, description="Seasonal baseline.")
    capacity_per_owner_per_week: int = Field(
        default=20, ge=1, le=MAX_MEMBERS, description="At most this many plays per owner per week, by priority."
    )

    @field_validator(*_BOUNDS, mode="wrap")
    @classmethod
    def _bounded(cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> float:
        minimum, maximum, above, unit, example = _BOUNDS[info.field_name]
        message = _range_message(info.field_name, value, minimum, maximum, above, unit, example)
        return _within(value, handler, minimum, message, maximum=maximum, above=above)

    @field_validator("weights")
    @classmethod
    def _known_types(cls, weights: dict[str, ActivityWeight]) -> dict[str, ActivityWeight]:
        unknown = sorted(set(weights) - set(ACTIVITY_TYPES))
        if unknown:
            raise ValueError(
                f"weights: unknown activity type(s) {unknown}; use one of {list(ACTIVITY_TYPES)}"
            )
        if not weights:
            raise ValueError(
                "weights is empty, so every score would be 0; list the activity types that count "
                "(leave weights out to use the defaults)"
            )
        if not any(w.points > 0 for w in weights.values()):
            raise ValueError(
                "weights: no activity type is worth any points, so every score would be 0; "
                "give at least one type points > 0 (e.g. reply: {points: 3, half_life_days: 7})"
            )
        return weights

    @field_validator("step_multipliers")
    @classmethod
    def _ordered_steps(cls, steps: tuple[StepMultiplier, ...]) -> tuple[StepMultiplier, ...]:
        if not steps:
            raise ValueError("step_multipliers is empty; give at least one step, the last with max_days: null")
        for i, step in enumerate(steps):
            if step.max_days is None and i != len(steps) - 1:
                raise ValueError(
                    f"step_multipliers: step {i + 1} has max_days null but is not the last step; "
                    "only the last step may be unbounded, move it to the end"
                )
            if step.max_days is not None and not (math.isfinite(step.max_days) and 0 < step.max_days <= MAX_DAYS):
                raise ValueError(
                    f"step_multipliers: step {i + 1} has max_days {step.max_days!r}; "
                    f"use a finite number of days > 0 and <= {MAX_DAYS} (or null for the last step)"
                )
        for i, (a, b) in enumerate(zip(steps, steps[1:]), start=1):
            if a.max_days is not None and b.max_days is not None and b.max_days <= a.max_days:
                raise ValueError(
                    f"step_multipliers: max_days must increase from step to step, but step {i + 1} "
                    f"({b.max_days:g}) is not above step {i} ({a.max_days:g}); order the steps by max_days"
                )
            if b.multiplier > a.multiplier:
                raise ValueError(
                    f"step_multipliers: multipliers must not increase with age, but step {i + 1} "
                    f"({b.multiplier:g}) is above step {i} ({a.multiplier:g}); older activity must keep "
                    "at most the share of younger activity"
                )
        return steps

    @field_validator("hysteresis_points", mode="wrap")
    @classmethod
    def _finite_hysteresis(cls, value: object, handler: ValidatorFunctionWrapHandler) -> float:
        return _at_least(value, handler, 0, f"hysteresis_points must be a finite number of points >= 0, "
                         f"got {value!r}; use 0 for no hysteresis")

    @model_validator(mode="after")
    def _ordered_tiers(self) -> Self:
        if set(self.tier_floors) != set(TIERS):
            raise ValueError(f"tier_floors must name exactly the tiers {list(TIERS)}")
        floors = [self.tier_floors[t] for t in TIERS]
        if any(not math.isfinite(f) or f > MAX_SCORE for f in floors):
            raise ValueError(f"tier_floors must be finite numbers <= {MAX_SCORE:g}, got {dict(zip(TIERS, floors))}; "
                             "use e.g. awareness 1, consideration 40, intent 75")
        if floors[0] <= 0 or floors != sorted(floors) or len(set(floors)) != len(floors):
            raise ValueError(
                "tier_floors overlap: they must be > 0 and strictly increasing "
                f"(awareness < consideration < intent), got {dict(zip(TIERS, floors))}"
            )
        for lower, upper in zip(TIERS, TIERS[1:]):
            gap = self.tier_floors[upper] - self.tier_floors[lower]
            if self.hysteresis_points > gap:
                raise ValueError(
                    f"hysteresis_points ({self.hysteresis_points:g}) is larger than the gap between the "
                    f"{lower} and {upper} tier_floors ({gap:g}); use at most {gap:g} hysteresis_points "
                    "or move the floors apart"
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

