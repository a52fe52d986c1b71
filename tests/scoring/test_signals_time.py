"""Signals over time with hand-computed values: recency, velocity, re-emergence, churn,
champions, the seasonal baseline, routing, and a full evaluation at scale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import Activity, ScoringModel
from scoring.history import score_history, signal_days
from scoring.signals import (
    champions,
    churn_risks,
    detect_signals,
    last_activity,
    recently_active,
    reemerged,
    route,
    seasonal_factor,
    velocities,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
FOREVER = None  # points that do not fade: step decay with one step keeping everything


def act(member: str, days_ago: float, type_: str = "answer", n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def flat(points: float, half_life: float | None = FOREVER, **changes: object) -> ScoringModel:
    """A model where an ``answer`` is worth ``points`` and fades with ``half_life`` (None: never)."""
    if half_life is None:
        changes = {"decay_mode": "step", "step_multipliers": [{"max_days": None, "multiplier": 1}], **changes}
    weights = {"answer": {"points": points, "half_life_days": half_life or 14}}
    return ScoringModel.model_validate({"weights": weights, **changes})


# --- history ---------------------------------------------------------------------------------


def test_members_at_30_25_and_45_make_an_intent_account_of_100() -> None:
    model = flat(5)
    activities = [act(m, 1, n=i) for m, count in (("a", 6), ("b", 5), ("c", 9)) for i in range(count)]
    history = score_history(activities, {"a": "acme", "b": "acme", "c": "acme"}, model, NOW, [0])
    assert history.members[0.0] == pytest.approx({"a": 30, "b": 25, "c": 45})
    assert history.accounts[0.0] == pytest.approx({"acme": 100})
    assert model.tier(history.accounts[0.0]["acme"]) == "intent"


def test_past_moments_only_count_what_had_happened_by_then() -> None:
    history = score_history([act("m", 5), act("m", 20, n=1)], {}, flat(10), NOW, [0, 10, 30])
    assert history.members[0.0] == pytest.approx({"m": 20})
    assert history.members[10.0] == pytest.approx({"m": 10})
    assert history.members[30.0] == {}


def test_signal_days_cover_churn_window_streak_and_velocity_start() -> None:
    days = signal_days(ScoringModel())
    assert days[0] == 0 and days[-1] == 30 and len(days) == 31 and 14 in days


# --- recency -----------------------------------------------------------------------------------


def test_recency_filter_keeps_activity_of_the_last_14_days() -> None:
    latest = last_activity([act("a", 13.9), act("b", 14.1), act("b", 30, n=1), act("c", 1)], {"a": "acme", "b": "beta"})
    assert latest == {"acme": NOW - timedelta(days=13.9), "beta": NOW - timedelta(days=14.1)}
    assert recently_active(latest, ScoringModel(), NOW) == {"acme"}


# --- velocity -------------------------------------------------------------------------------------


def test_velocity_is_score_now_minus_score_a_window_ago() -> None:
    model = ScoringModel()  # answer: 12 points, half-life 14 days, window 14 days
    history = score_history([act("m", 14)], {}, model, NOW, [0, 14])
    (v,) = velocities(history.members[0.0], history.members[14.0], model).values()
    assert (v.score, v.score_before, v.gain) == pytest.approx((6, 12, -6))
    assert v.per_day == pytest.approx(-6 / 14) and not v.fast_rising


def test_gaining_30_points_in_the_window_is_fast_rising_and_29_is_not() -> None:
    model = ScoringModel()
    found = velocities({"fast": 50.0, "slow": 49.0}, {"fast": 20.0, "slow": 20.0}, model)
    assert found["fast"].fast_rising and not found["slow"].fast_rising
    assert found["fast"].threshold == 30


def test_a_quiet_season_lowers_the_velocity_threshold() -> None:
    found = velocities({"acme": 20.0}, {}, ScoringModel(), factor=0.5)
    assert found["acme"].threshold == 15 and found["acme"].fast_rising


# --- re-emergence ----------------------------------------------------------------------------------


def test_silent_61_days_then_active_has_re_emerged_and_59_has_not() -> None:
    model = ScoringModel()
    found = reemerged([act("back", 62), act("back", 1, n=1), act("quiet", 60), act("quiet", 1, n=1)], model, NOW)
    assert set(found) == {"back"}
    assert found["back"].gap_days == pytest.approx(61)
    assert found["back"].returned_at == NOW - timedelta(days=1)


def test_activity_after_the_return_keeps_the_flag_until_the_return_is_old() -> None:
    model = ScoringModel()
    activities = [act("m", 80), act("m", 10, n=1), act("m", 10, "reaction", n=2), act("m", 2, n=3)]
    assert reemerged(activities, model, NOW)["m"].gap_days == pytest.approx(70)
    assert reemerged([act("m", 100), act("m", 20, n=1)], model, NOW) == {}  # returned 20 days ago


def test_a_first_activity_is_not_a_return() -> None:
    assert reemerged([act("new", 1)], ScoringModel(), NOW) == {}


# --- churn -----------------------------------------------------------------------------------------


def test_a_drop_of_40_points_within_30_days_is_a_churn_risk() -> None:
    model = flat(80, half_life=30, churn_rule="drop_points")  # the absolute rule (the default is disengagement)
    history = score_history([act("a", 30), act("b", 29)], {"a": "acme", "b": "beta"}, model, NOW)
    risks = churn_risks(history, model)
    assert set(risks) == {"acme"}  # beta fell 80 - 80·0.5^(29/30) = 38.6
    risk = risks["acme"]
    assert (risk.peak_score, risk.score, risk.drop, risk.threshold) == pytest.approx((80, 40, 40, 40))
    assert risk.peak_at == NOW - timedelta(days=30)


def test_a_holiday_dip_raises_the_churn_threshold() -> None:
    model = flat(80, half_life=30, churn_rule="drop_points")  # the absolute rule (the default is disengagement)
    history = score_history([act("a", 30)], {"a": "acme"}, model, NOW)
    assert churn_risks(history, model, factor=0.5) == {}


def test_a_busy_season_never_lowers_the_churn_threshold() -> None:
    """Factor 1.5 (a growing community) must not turn a 38.6-point fall into a churn alarm."""
    model = flat(80, half_life=30, churn_rule="drop_points")  # the absolute rule (the default is disengagement)
    history = score_history([act("a", 30), act("b", 29)], {"a": "acme", "b": "beta"}, model, NOW)
    risks = churn_risks(history, model, factor=1.5)
    assert set(risks) == {"acme"} and risks["acme"].threshold == pytest.approx(40)


# --- champions -------------------------------------------------------------------------------------


def test_champion_after_30_days_at_intent_but_not_29() -> None:
    model = flat(80)
    history = score_history([act("veteran", 30), act("newcomer", 29)], {}, model, NOW)
    found = champions(history, model)
    assert set(found) == {"veteran"}
    assert found["veteran"].streak_days == 30 and found["veteran"].lowest_score == pytest.approx(80)


def test_a_dip_below_the_floor_breaks_the_streak() -> None:
    model = flat(80, half_life=60)  # 80 at 30 days ago, 80·0.5^(30/60) = 56.6 now
    history = score_history([act("m", 30)], {}, model, NOW)
    assert champions(history, model) == {}
    model = flat(80, half_life=400)  # 80·0.5^(30/400) = 75.9 ... stays above the floor
    history = score_history([act("m", 30)], {}, model, NOW)
    assert set(champions(history, model)) == {"m"}
    model = flat(76, half_life=200)  # 76·0.5^(30/200) = 68.5 < 75 - 5
    history = score_history([act("m", 30)], {}, model, NOW)
    assert champions(history, model) == {}


def test_a_member_below_the_intent_floor_is_no_champion_even_within_the_hysteresis_band() -> None:
    model = flat(76, half_life=1000)  # 76 at 30 days ago, 76·0.5^(30/1000) = 74.4 now: Intent by hysteresis only
    history = score_history([act("m", 30)], {}, model, NOW)
    assert champions(history, model) == {}
    model = flat(78, half_life=1000)  # 78·0.5^(30/1000) = 76.4 >= 75 every day
    history = score_history([act("m", 30)], {}, model, NOW)
    assert set(champions(history, model)) == {"m"}


# --- seasonal baseline -----------------------------------------------------------------------------


def test_seasonal_factor_is_trailing_count_over_the_long_run_average_window() -> None:
    model = ScoringModel()  # trailing 90 days, factor clamped to [0.5, 1.5]
    start = NOW - timedelta(days=360)
    busy = [act("m", 100 + i * 0.8, n=i) for i in range(300)]  # 300 before the window
    quiet = [act("m", 1 + i, n=1000 + i) for i in range(60)]  # 60 in the window
    found = seasonal_factor(busy + quiet, model, NOW, history_start=start)
    assert found.trailing_count == 60
    assert found.long_run_average == pytest.approx(360 * 90 / 360)
    assert found.factor == pytest.approx(60 / 90)


def test_seasonal_factor_is_clamped_and_neutral_without_enough_history() -> None:
    model = ScoringModel()
    start = NOW - timedelta(days=360)
    dead = [act("m", 100 + i, n=i) for i in range(100)]
    assert seasonal_factor(dead, model, NOW, history_start=start).factor == 0.5
    assert seasonal_factor([act("m", 1)], model, NOW).factor == 1.0  # 1 day of history
    assert seasonal_factor([], model, NOW).factor == 1.0
    off = ScoringModel.model_validate({"seasonal": {"enabled": False}})
    assert seasonal_factor(dead, off, NOW, history_start=start).factor == 1.0


# --- routing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "motion"),
    [(None, "conversion"), ("", "conversion"), ("Free", "conversion"), (" trial ", "conversion"),
     ("pro", "expansion"), ("Enterprise", "expansion")],
)
def test_free_and_trial_go_to_conversion_and_paid_plans_to_expansion(plan, motion) -> None:
    assert route(plan) == motion


def test_free_plan_names_are_configurable() -> None:
    assert route("community", free_plans={"community"}) == "conversion"
    assert route("free", free_plans={"community"}) == "expansion"


# --- all at once, at scale ----------------------------------------------------------------------------


def test_detect_signals_for_1000_accounts_over_30_days_of_100k_activities() -> None:
    """The time it takes is measured by benchmarks/bench_hot_paths.py, not asserted here."""
    members = 5000
    types = ["answer", "reply", "reaction", "premium_feature_question", "thread_started"]
    activities = [
        Activity("d", str(i), f"m{(i * 7919) % members}", types[i % len(types)],
                 NOW - timedelta(days=(i * 0.618033) % 365))
        for i in range(100_000)
    ]
    account_of = {f"m{i}": f"a{i % 1000}" for i in range(members)}
    found = detect_signals(activities, account_of, ScoringModel(), NOW)
    assert len(found.history.accounts[0.0]) == 1000 and len(found.history.days_ago) == 31
