"""Holdouts: a deterministic draw per account and episode, and the lift of played over held-out accounts."""

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from scoring.attribution import Upgrade
from scoring.errors import ScoringError
from scoring.holdouts import HoldoutConfig, assign_groups, holdout_lift, is_held_out

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_the_draw_is_a_salted_hash_of_account_and_episode() -> None:
    assert is_held_out("acme", 1, 0.0, "s") is False and is_held_out("acme", 1, 1.0, "s") is True
    draws = {(a, e): is_held_out(a, e, 0.5, "s") for a in ("acme", "beta", "gamma") for e in range(1, 20)}
    assert draws == {(a, e): is_held_out(a, e, 0.5, "s") for a, e in draws}  # same answer every time
    assert len(set(draws.values())) == 2  # episodes of one account are drawn independently
    other = {k: is_held_out(*k, 0.5, "other") for k in draws}
    assert other != draws  # a new salt is a new experiment
    assert HoldoutConfig(share=0.5, salt="s").holds_out("acme", 3) == draws[("acme", 3)]


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ScoringError, match="share"):
        is_held_out("acme", 1, share, "s")


def test_config_bounds() -> None:
    assert HoldoutConfig().share == 0.0
    with pytest.raises(ValidationError):
        HoldoutConfig(share=10)  # 10 meaning 10% is a mistake, not 1000%
    with pytest.raises(ValidationError):
        HoldoutConfig(salt="")


def test_each_account_counts_in_the_group_of_its_first_decision() -> None:
    played, held = assign_groups([("a", ago(100)), ("b", ago(50)), ("a", ago(10)), ("c", ago(5))],
                                 [("b", ago(80)), ("c", ago(5)), ("d", ago(200)), ("d", ago(100))])
    assert played == {"a": ago(100), "c": ago(5)}  # c: a tie counts as played
    assert held == {"b": ago(80), "d": ago(200)}


def test_lift_by_hand() -> None:
    played = {f"p{i}": ago(120) for i in range(10)} | {"young": ago(30)}
    held = {f"h{i}": ago(120) for i in range(4)}
    upgrades = [Upgrade(f"p{i}", ago(60)) for i in range(5)]  # 5 of 10 played within 90 days
    upgrades += [Upgrade("p9", ago(200)), Upgrade("p8", ago(10))]  # before the play; 110 days after: not counted
    upgrades += [Upgrade("h0", ago(100)), Upgrade("young", ago(5))]
    lift = holdout_lift(played, held, upgrades, 90, NOW)
    assert (lift.played, lift.held, lift.played_pending, lift.held_pending) == (10, 4, 1, 0)
    assert (lift.played_upgraded, lift.held_upgraded) == (5, 1)
    assert lift.rate_played == 0.5 and lift.rate_held == 0.25
    assert lift.difference == pytest.approx(0.25) and lift.ratio == pytest.approx(2.0)
    assert lift.ci_low < 0 < lift.difference < lift.ci_high and not lift.significant
    assert lift.required_held is not None and lift.required_played is not None
    assert lift.still_needed == (lift.required_held - 4) + (lift.required_played - 10)


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    played = {f"p{i}": ago(100) for i in range(70)}
    held = {f"h{i}": ago(100) for i in range(80)}
    upgrades = [Upgrade(f"p{i}", ago(50)) for i in range(56)] + [Upgrade(f"h{i}", ago(50)) for i in range(48)]
    lift = holdout_lift(played, held, upgrades, 90, NOW)
    assert lift.difference == pytest.approx(0.2)
    assert lift.ci_low == pytest.approx(0.0524, abs=5e-5) and lift.ci_high == pytest.approx(0.3339, abs=5e-5)
    assert lift.significant and lift.still_needed == 0


def test_sample_size_for_20_vs_10_percent_is_the_textbook_199_per_group() -> None:
    played = {f"p{i}": ago(100) for i in range(10)}
    held = {f"h{i}": ago(100) for i in range(10)}
    upgrades = [Upgrade("p0", ago(50)), Upgrade("p1", ago(50)), Upgrade("h0", ago(50))]
    lift = holdout_lift(played, held, upgrades, 90, NOW)
    assert (lift.required_held, lift.required_played) == (199, 199)
    assert lift.still_needed == 2 * (199 - 10)
    at_share = holdout_lift(played, held, upgrades, 90, NOW, share=0.1)  # 9 played per held-out account
    h, p = at_share.required_held, at_share.required_played
    assert h is not None and p is not None and 9 * (h - 1) < p <= 9 * h and h + p > 2 * 199  # unequal costs more
    # New decisions arrive 1 held : 9 played; the group that falls shorter sets how many.
    assert at_share.still_needed == max(-(-(h - 10) * 10 // 1), -(-(p - 10) * 10 // 9))


def test_no_data_or_equal_rates_is_n_a() -> None:
    empty = holdout_lift({}, {}, [], 90, NOW)
    assert empty.rate_played is None and empty.difference is None and empty.still_needed is None
    assert not empty.significant
    only_played = holdout_lift({"a": ago(100)}, {}, [], 90, NOW)
    assert only_played.rate_played == 0 and only_played.rate_held is None and only_played.still_needed is None
    equal = holdout_lift({"a": ago(100)}, {"b": ago(100)}, [], 90, NOW)
    assert equal.difference == 0 and equal.ratio is None and equal.still_needed is None


def test_an_account_in_both_groups_and_naive_times_are_refused() -> None:
    with pytest.raises(ScoringError, match="both played and held"):
        holdout_lift({"a": ago(100)}, {"a": ago(100)}, [], 90, NOW)
    with pytest.raises(ScoringError, match="naive"):
        holdout_lift({"a": datetime(2026, 1, 1)}, {}, [], 90, NOW)
    with pytest.raises(ScoringError, match="naive"):
        assign_groups([], [("a", datetime(2026, 1, 1))])
