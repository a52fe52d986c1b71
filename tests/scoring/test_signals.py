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
