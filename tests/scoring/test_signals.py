"""Tier transitions with episodes."""

from datetime import datetime, timedelta, timezone

from scoring import ScoringModel, TierState, advance_tiers

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_entering_leaving_and_reentering_intent_are_distinct_episodes() -> None:
    model = ScoringModel()
    states, moves = advance_tiers({"acme": 80.0}, {}, model, T0)
    assert [(m.from_tier, m.to_tier, m.episode) for m in moves] == [(None, "intent", 1)]
    states, moves = advance_tiers({"acme": 90.0}, states, model, T0 + timedelta(hours=1))
    assert moves == [] and states["acme"] == TierState("acme", "intent", 90.0, T0, 1)
    states, moves = advance_tiers({"acme": 50.0}, states, model, T0 + timedelta(days=1))
    assert [(m.to_tier, m.episode) for m in moves] == [("consideration", 2)]
    states, moves = advance_tiers({"acme": 76.0}, states, model, T0 + timedelta(days=2))
    assert [(m.to_tier, m.episode) for m in moves] == [("intent", 3)]


def test_an_entity_that_disappears_drops_out_of_its_tier() -> None:
    model = ScoringModel()
    states, _ = advance_tiers({"acme": 10.0}, {}, model, T0)
    states, moves = advance_tiers({}, states, model, T0)
    assert [(m.from_tier, m.to_tier) for m in moves] == [("awareness", None)]
    assert states["acme"].tier is None


# --- hysteresis -------------------------------------------------------------------------------

import pytest  # noqa: E402
from hypothesis import given, strategies as st  # noqa: E402

from scoring.signals import next_tier  # noqa: E402


@pytest.mark.parametrize(
    ("score", "tier"), [(80.0, "intent"), (72.0, "intent"), (70.0, "intent"), (69.0, "consideration"), (30.0, "awareness")]
)
def test_intent_at_75_with_hysteresis_5_drops_only_below_70(score: float, tier: str) -> None:
    model = ScoringModel(hysteresis_points=5)
    assert next_tier("intent", score, model) == tier


def test_upgrade_happens_as_soon_as_a_higher_floor_is_reached() -> None:
    model = ScoringModel(hysteresis_points=5)
    assert next_tier("awareness", 75.0, model) == "intent"
    assert next_tier("consideration", 74.9, model) == "consideration"
    assert next_tier(None, 40.0, model) == "consideration"


def test_leaving_awareness_has_no_margin() -> None:
    model = ScoringModel(hysteresis_points=5)
    assert next_tier("awareness", 0.99, model) is None


def test_staying_in_intent_within_the_margin_keeps_the_episode_and_dropping_out_starts_a_new_one() -> None:
    model = ScoringModel(hysteresis_points=5)
    states, moves = advance_tiers({"acme": 76.0}, {}, model, T0)
    states, moves = advance_tiers({"acme": 72.0}, states, model, T0 + timedelta(days=1))
    assert moves == [] and states["acme"] == TierState("acme", "intent", 72.0, T0, 1)
    states, moves = advance_tiers({"acme": 69.0}, states, model, T0 + timedelta(days=2))
    assert [(m.from_tier, m.to_tier, m.episode) for m in moves] == [("intent", "consideration", 2)]
    states, moves = advance_tiers({"acme": 75.0}, states, model, T0 + timedelta(days=3))
    assert [(m.from_tier, m.to_tier, m.episode) for m in moves] == [("consideration", "intent", 3)]
    assert states["acme"].since == T0 + timedelta(days=3)


@given(
    floor_name=st.sampled_from(["consideration", "intent"]),
    hysteresis=st.floats(0, 30),
    start_below=st.booleans(),
    offsets=st.lists(st.floats(-1, 1), min_size=1, max_size=40),
)
def test_a_score_oscillating_within_the_margin_around_a_floor_moves_at_most_once(
    floor_name: str, hysteresis: float, start_below: bool, offsets: list[float]
) -> None:
    model = ScoringModel(hysteresis_points=hysteresis)
    floor = model.tier_floors[floor_name]
    below = "awareness" if floor_name == "consideration" else "consideration"
    states = {"acme": TierState("acme", below if start_below else floor_name, floor, T0, 1)}
    count = 0
    for i, offset in enumerate(offsets):
        score = min(max(floor + offset * hysteresis, floor - hysteresis), floor + hysteresis)
        states, moves = advance_tiers({"acme": score}, states, model, T0 + timedelta(days=i))
        count += len(moves)
    assert count <= 1
