"""Properties of the scoring math: order-free, monotone, additive, equal to the oracle."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    ACTIVITY_TYPES,
    Activity,
    ScoringModel,
    score_accounts,
    score_members,
)
from scoring.frame import ActivityFrame
from scoring.sums import group_sums
from tests.scoring.reference import reference_score_accounts, reference_score_members

NOW = datetime(2026, 11, 1, 12, 30, 15, 250_000, tzinfo=timezone.utc)
MEMBERS = ("ann", "bob", "cid", "dee")
#: Capped types drawn more often, so that random data hits the caps often.
TYPES = ("reaction",) * 6 + ("reply",) * 3 + ("answer",) * 2 + ACTIVITY_TYPES

#: Small caps on several types so that random data hits them often.
TIGHT_CAPS = {
    "reaction": {"points": 1, "half_life_days": 7, "daily_cap": 3},
    "reply": {"points": 3, "half_life_days": 7, "daily_cap": 2},
    "answer": {"points": 12, "half_life_days": 14, "daily_cap": 1},
    "thread_started": {"points": 5, "half_life_days": 14},
    "how_to_content": {"points": 10, "half_life_days": 30},
}
MODELS = {
    "half_life": ScoringModel(),
    "half_life_tight_caps": ScoringModel(weights=TIGHT_CAPS),
    "step": ScoringModel(decay_mode="step"),
    "step_tight_caps": ScoringModel(decay_mode="step", weights=TIGHT_CAPS),
}

# Offsets before NOW in microseconds: mostly within a few days (so caps bite), some up to a
# year, some after NOW; equal instants are likely.
offsets = st.one_of(
    st.integers(-86_400_000_000, 86_400_000_000),
    st.integers(-2 * 86_400_000_000, 3 * 86_400_000_000),
    st.integers(-86_400_000_000, 365 * 86_400_000_000),
    st.sampled_from([0, 1, 3_600_000_000, 86_400_000_000, 7 * 86_400_000_000]),
)
rows = st.tuples(st.sampled_from(MEMBERS[:2]) | st.sampled_from(MEMBERS), st.sampled_from(TYPES), offsets)


def activities_of(items: list[tuple[str, str, int]]) -> list[Activity]:
    return [
        Activity("discourse", f"e{i}", member, type_, NOW - timedelta(microseconds=micros))
        for i, (member, type_, micros) in enumerate(items)
    ]


@st.composite
def crowds(draw: st.DrawFn) -> list[tuple[str, str, int]]:
    """Larger, denser data than list strategies grow: a seeded draw of up to 400 rows."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = draw(st.integers(0, 400))
    span_days = draw(st.sampled_from([0.5, 2, 10, 200]))
    tick = draw(st.sampled_from([1, 1_000_000, 3_600_000_000]))  # µs, s or hours: ties get likely
    members = rng.choice(MEMBERS, size)
    types = rng.choice(TYPES, size)
    micros = (rng.uniform(-0.1, 1, size) * span_days * 86_400_000_000 // tick * tick).astype(np.int64)
    return list(zip(members.tolist(), types.tolist(), micros.tolist()))


data = st.lists(rows, max_size=60) | crowds()


@settings(max_examples=150, deadline=None)
@given(data, st.sampled_from(sorted(MODELS)), st.randoms(use_true_random=False))
def test_order_of_activities_never_changes_any_score(items, model_name, rnd) -> None:
    activities = activities_of(items)
    shuffled = list(activities)
    rnd.shuffle(shuffled)
    model = MODELS[model_name]
    assert score_members(activities, model, NOW) == score_members(shuffled, model, NOW)


@settings(max_examples=150, deadline=None)
@given(data, st.sampled_from(sorted(MODELS)), st.sets(st.sampled_from(MEMBERS), max_size=2))
def test_vectorised_equals_the_reference(items, model_name, exclude) -> None:
    activities = activities_of(items)
    model = MODELS[model_name]
    found = score_members(activities, model, NOW, exclude=exclude)
    expected = reference_score_members(activities, model, NOW, exclude=exclude)
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-9, abs=0), key


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ACTIVITY_TYPES), st.integers(0, 400 * 86_400), st.integers(0, 400 * 86_400),
       st.sampled_from(sorted(MODELS)))
def test_decay_is_monotone_in_age(type_, age1, age2, model_name) -> None:
    young, old = sorted((age1, age2))
    model = MODELS[model_name]
    score = [score_members([Activity("s", "1", "m", type_, NOW - timedelta(seconds=a))], model, NOW)["m"]
             for a in (young, old)]
    assert score[1] <= score[0]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.floats(0, 1e4), max_size=20),
       st.dictionaries(st.text(min_size=1, max_size=3), st.sampled_from(["acme", "globex", "initech"]), max_size=20))
def test_account_is_the_sum_of_its_members_without_breadth(members, account_of) -> None:
    model = ScoringModel()
    accounts = score_accounts(members, account_of, model)
    for account, score in accounts.items():
        assert score == math.fsum(s for k, s in members.items() if account_of.get(k) == account)
    assert set(accounts) == {account_of[k] for k in members if k in account_of}
    breadth = ScoringModel(breadth={"enabled": True, "min_active_members": 2, "multiplier": 1.5})
    active = set(sorted(members)[::2])
    assert score_accounts(members, account_of, breadth, active=active) == reference_score_accounts(
        members, account_of, breadth, active=active)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1e300, allow_subnormal=True)), max_size=80),
       st.randoms(use_true_random=False))
def test_group_sums_are_order_free_and_accurate(pairs, rnd) -> None:
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    sums = [group_sums(np.array([g for g, _ in p], dtype=np.int32), np.array([v for _, v in p]), 5) for p in (pairs, shuffled)]
    assert sums[0].tobytes() == sums[1].tobytes()
    for group in range(5):
        exact = math.fsum(v for g, v in pairs if g == group)
        assert sums[0][group] == pytest.approx(exact, rel=1e-12, abs=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_group_sums_keep_small_groups_exact_beside_large_ones(seed) -> None:
    """Groups of every magnitude, from the largest down to far below the shared grid, some with
    thousands of rows: each within 1e-12 of its exact sum, and the same bits in any order."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 150, 20_000).astype(np.int32)
    values = rng.random(20_000) * np.exp2(-group.astype(np.float64))  # group g holds values < 2**-g
    values[group == 7] = 0.0
    sums = group_sums(group, values, 152)
    order = rng.permutation(values.size)
    assert group_sums(group[order], values[order], 152).tobytes() == sums.tobytes()
    for g in range(152):
        assert sums[g] == pytest.approx(math.fsum(values[group == g]), rel=1e-12, abs=0)


@settings(max_examples=50, deadline=None)
@given(data, st.sampled_from(sorted(MODELS)), st.integers(0, 2**32 - 1))
def test_a_frame_scores_like_its_records_whatever_the_row_order(items, model_name, seed) -> None:
    activities = activities_of(items)
    frame = ActivityFrame.from_activities(activities)
    order = np.random.default_rng(seed).permutation(len(frame))
    permuted = ActivityFrame.from_arrays(
        frame.member_keys, frame.member[order], frame.type[order], frame.occurred_at[order]
    )
    model = MODELS[model_name]
    assert score_members(permuted, model, NOW) == score_members(activities, model, NOW)
