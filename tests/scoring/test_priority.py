"""Priority = score × max(value, 1) and the per-owner weekly capacity cap."""

import math

from hypothesis import given, strategies as st

from scoring import ScoringModel
from scoring.priority import Candidate, apply_capacity, priority


def test_priority_is_score_times_value_with_a_floor_of_one() -> None:
    assert priority(80, 5000) == 400_000
    assert priority(80, 0) == 80
    assert priority(80, 0.5) == 80


def test_capacity_keeps_the_top_20_of_25_for_one_owner() -> None:
    candidates = [Candidate(f"intent:a{i}:1", f"a{i}", "rep", score=75 + i, value=1000) for i in range(25)]
    kept, deferred = apply_capacity(candidates, {}, ScoringModel())
    assert [c.account_id for c in kept] == [f"a{i}" for i in range(24, 4, -1)]
    assert [d.candidate.account_id for d in deferred] == ["a4", "a3", "a2", "a1", "a0"]
    assert "capacity of 20" in deferred[0].reason and "rep" in deferred[0].reason


def test_plays_already_sent_this_week_count_and_owners_are_capped_separately() -> None:
    candidates = [Candidate(f"k{i}", f"a{i}", owner, 80, 1) for i, owner in enumerate(["x", "x", "x", "y", None])]
    kept, deferred = apply_capacity(candidates, {"x": 18, "y": 20}, ScoringModel())
    assert [c.key for c in kept] == ["k0", "k1", "k4"]
    assert [d.candidate.key for d in deferred] == ["k2", "k3"]
    assert "18 earlier this week" in deferred[0].reason


def test_ties_break_by_score_then_account_then_key() -> None:
    model = ScoringModel(capacity_per_owner_per_week=2)
    candidates = [Candidate("k3", "b", "r", 100, 1), Candidate("k2", "a", "r", 50, 2), Candidate("k1", "a", "r", 100, 1)]
    kept, deferred = apply_capacity(candidates, {}, model)
    assert [c.key for c in kept] == ["k1", "k3"] and [d.candidate.key for d in deferred] == ["k2"]


@given(st.lists(st.tuples(st.sampled_from(["r1", "r2", None]), st.floats(0, 200), st.floats(0, 1e6)), max_size=60),
       st.randoms())
def test_capacity_never_exceeds_the_cap_and_ignores_input_order(rows, rnd) -> None:
    model = ScoringModel(capacity_per_owner_per_week=5)
    candidates = [Candidate(f"k{i}", f"a{i}", owner, score, value) for i, (owner, score, value) in enumerate(rows)]
    kept, deferred = apply_capacity(candidates, {"r1": 2}, model)
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert apply_capacity(shuffled, {"r1": 2}, model) == (kept, deferred)
    assert len(kept) + len(deferred) == len(candidates)
    assert sum(c.owner_id == "r1" for c in kept) <= 3
    assert all(sum(c.owner_id == o for c in kept) <= 5 for o in ("r2", None))


def test_a_nan_or_infinite_account_value_counts_as_unknown_and_order_does_not_matter() -> None:
    """HubSpot's "NaN" parsed as a float must not make the deferred set depend on input order."""
    model = ScoringModel(capacity_per_owner_per_week=2)
    candidates = [Candidate(f"k{n}", f"a{n}", "o", 80.0 + n, value) for n, value in
                  enumerate([float("nan"), 5000.0, float("inf"), 100.0, float("-inf"), float("nan")])]
    assert priority(80.0, float("nan")) == priority(80.0, 0.0) == 80.0
    assert priority(80.0, float("inf")) == 80.0
    results = {tuple(c.key for c in apply_capacity(order, {}, model)[0])
               for order in (candidates, candidates[::-1], candidates[2:] + candidates[:2])}
    assert results == {("k1", "k3")}  # the two finite, highest values


@given(st.lists(st.tuples(st.sampled_from(["r1", "r2", None]), st.floats(), st.floats(),
                          st.sampled_from(["a", "b", "c"])), max_size=40),
       st.randoms())
def test_order_never_matters_with_nan_or_inf_anywhere(rows, rnd) -> None:
    """Scores and values of any float - NaN, ±inf, huge - rank the same whatever the input order."""
    model = ScoringModel(capacity_per_owner_per_week=3)
    candidates = [Candidate(f"k{i}", account, owner, score, value)
                  for i, (owner, score, value, account) in enumerate(rows)]
    kept, deferred = apply_capacity(candidates, {"r2": 1}, model)
    for _ in range(3):
        shuffled = list(candidates)
        rnd.shuffle(shuffled)
        again_kept, again_deferred = apply_capacity(shuffled, {"r2": 1}, model)
        assert [c.key for c in again_kept] == [c.key for c in kept]
        assert [d.candidate.key for d in again_deferred] == [d.candidate.key for d in deferred]
    assert all(math.isfinite(c.priority) for c in candidates)
