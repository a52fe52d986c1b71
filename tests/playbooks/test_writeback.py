"""Score write-back (pure): what each account should show, and only what changed goes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from playbooks.writeback import changed_scores, score_updates
from scoring import ScoringModel
from scoring.records import AccountScoreUpdate

WHEN = datetime(2026, 10, 30, 8, 15, 42, 987654, tzinfo=UTC)
KNOWN = {"a1": object(), "a2": object()}


def wanted(score: float = 71.23456, velocity: float = -3.14159) -> dict[str, AccountScoreUpdate]:
    return score_updates({"a1": score, "zz": 50.0}, {"a1": velocity}, {"a1": WHEN}, KNOWN, {"a1": "consideration"})


def test_every_known_account_rounded_as_the_crm_shows_it() -> None:
    assert wanted() == {
        "a1": AccountScoreUpdate("a1", 71.23, "consideration", -3.14, WHEN.replace(microsecond=0)),
        "a2": AccountScoreUpdate("a2", 0.0, None, 0.0, None),
    }


def test_the_tier_comes_from_the_tier_states_not_a_fresh_reading_of_the_floors() -> None:
    model = ScoringModel()
    in_the_hysteresis_band = model.tier_floors["consideration"] - 1
    assert model.tier(in_the_hysteresis_band) == "awareness"
    updates = score_updates({"a1": in_the_hysteresis_band}, {}, {}, KNOWN, {"a1": "consideration"})
    assert updates["a1"].tier == "consideration"


def test_the_first_write_sends_everything_then_only_changes() -> None:
    first = wanted()
    assert [row.account_id for row in changed_scores(first, {})] == ["a1", "a2"]
    assert changed_scores(first, first) == []
    assert changed_scores(wanted(score=71.2301, velocity=-3.1401), first) == []  # same once rounded
    moved = wanted(score=71.24)
    assert changed_scores(moved, first) == [moved["a1"]]
    later = score_updates({}, {}, {"a2": WHEN + timedelta(seconds=1)}, KNOWN, {})
    assert [row.account_id for row in changed_scores(later, first)] == ["a1", "a2"]


def test_an_instant_in_another_zone_is_not_a_change() -> None:
    elsewhere = WHEN.astimezone(timezone(timedelta(hours=2)))
    shifted = score_updates({"a1": 71.23456}, {"a1": -3.14159}, {"a1": elsewhere}, KNOWN, {"a1": "consideration"})
    assert changed_scores(shifted, wanted()) == []
