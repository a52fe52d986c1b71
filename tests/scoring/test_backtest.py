"""The backtest: the model replayed over history, and concrete floor and weight changes with their effect."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Activity, ScoringModel
from scoring.attribution import IntentAlert, Upgrade
from scoring.backtest import _Grid, _walk, backtest, replay_alerts
from scoring.errors import ScoringError
from scoring.signals import advance_tiers

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def burst(member: str, kind: str, count: int, days_ago: float) -> list[Activity]:
    return [Activity("discourse", f"{member}-{kind}-{days_ago}-{k}", member, kind, ago(days_ago + k * 0.01))
            for k in range(count)]


def noisy_and_buyers() -> tuple[list[Activity], dict[str, str], list[Upgrade]]:
    """Six accounts reach Intent on how-to posts (90 points) and never buy; four on premium questions (120) and buy."""
    activities, account_of, upgrades = [], {}, []
    for i in range(6):
        account_of[f"noisy{i}"] = f"n{i}"
        activities += burst(f"noisy{i}", "how_to_content", 9, 150.5)
    for i in range(4):
        account_of[f"buyer{i}"] = f"b{i}"
        activities += burst(f"buyer{i}", "premium_feature_question", 6, 150.5)
        upgrades.append(Upgrade(f"b{i}", ago(120), 1000))
    return activities, account_of, upgrades


def test_a_floor_and_a_weight_change_with_what_they_would_have_changed() -> None:
    activities, account_of, upgrades = noisy_and_buyers()
    result = backtest(activities, account_of, upgrades, ScoringModel(), NOW, horizon_days=200)
    base = result.baseline.calibration
    assert (base.alerted_accounts, base.false_positive_rate, base.recall) == (10, 0.6, 1.0)
    assert {a.alerted_at for a in result.baseline.alerts} == {ago(150)}  # the first daily sync after the bursts
    by_floor = {r.model.tier_floors["intent"]: r.calibration for r in result.floors}
    assert by_floor[90].false_positive_rate == 0 and by_floor[90].recall == 1  # the how-to accounts stay below
    assert by_floor[131].recall == 0  # too high: nobody is alerted
    floor, weight = result.suggestions
    assert floor.change == "raise the intent floor from 75 to 90" and floor.draft.tier_floors["intent"] == 90
    assert "6 of 10 alerted accounts would not have been alerted" in floor.text
    assert "false-positive rate 60% -> 0% (0 of 4), recall 100% -> 100% (4 of 4)" in floor.text
    assert weight.change.startswith("lower the weight of how_to_content from 10 to 5 points")
    assert weight.draft.weights["how_to_content"].points == 5
    assert weight.replay.calibration.false_positive_rate == 0


def test_nothing_to_suggest_when_the_targets_are_met() -> None:
    activities, account_of, upgrades = noisy_and_buyers()
    buyers_only = [a for a in activities if a.member_key.startswith("buyer")]
    result = backtest(buyers_only, account_of, upgrades, ScoringModel(), NOW, horizon_days=200)
    assert result.baseline.calibration.false_positive_rate == 0 and result.suggestions == ()


def test_one_alert_per_intent_episode_at_the_moment_the_account_entered() -> None:
    activities = burst("m", "premium_feature_question", 5, 150.5) + burst("m", "premium_feature_question", 5, 50.5)
    alerts = replay_alerts(activities, {"m": "acme"}, ScoringModel(), NOW, start=ago(200))
    assert [(a.account_id, a.alerted_at, a.first_signal_at) for a in alerts] == [
        ("acme", ago(150), ago(150)), ("acme", ago(50), ago(50))]  # it left Intent in between: a new episode


def test_accounts_at_intent_when_the_replay_starts_count_as_alerted_before_it() -> None:
    activities = burst("m", "premium_feature_question", 5, 100.5)
    alerts = replay_alerts(activities, {"m": "acme"}, ScoringModel(), NOW, start=ago(100.2))
    assert alerts == []


def test_the_tier_shape_suggestion_uses_todays_score_quantiles() -> None:
    activities, account_of = [], {}
    for i in range(1, 11):  # account scores about 6, 12, ... 60: 60% awareness, 40% consideration, 0% intent
        account_of[f"m{i}"] = f"a{i}"
        activities += burst(f"m{i}", "reply", 2 * i, 0.1)
    result = backtest(activities, account_of, [], ScoringModel(), NOW)
    (shape,) = result.suggestions
    assert shape.change == "lower the consideration floor from 40 to 35, lower the intent floor from 75 to 53 (tier shape)"
    assert {t: round(s, 2) for t, s in shape.today.draft_distribution.shares.items()} == {
        "awareness": 0.5, "consideration": 0.3, "intent": 0.2}
    assert "60%/40%/0% -> 50%/30%/20%" in shape.text


def test_bad_arguments() -> None:
    with pytest.raises(ScoringError, match="step_days"):
        backtest([], {}, [], ScoringModel(), NOW, step_days=0)
    with pytest.raises(ScoringError, match="naive"):
        backtest([], {}, [], ScoringModel(), datetime(2026, 1, 1))


def reference_walk(grid: _Grid, model: ScoringModel) -> list[IntentAlert]:
    """The replay's rule spelled out with `advance_tiers`: the oracle of the vectorised walk."""
    states: dict = {}
    played: set = set()
    alerts = []
    active = grid.active(model.recency_days)
    for i, moment in enumerate(grid.moments):
        row = {a: float(grid.scores[i, j]) for j, a in enumerate(grid.accounts)}
        states, _ = advance_tiers(row, states, model, moment)
        for j, account in enumerate(grid.accounts):
            state = states.get(account)
            if state is None or state.tier != "intent" or (account, state.episode) in played:
                continue
            if i == 0 or active[i, j]:
                played.add((account, state.episode))
                if i:
                    alerts.append(IntentAlert(account, moment, first_signal_at=state.since))
    return alerts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, 30.0, 68.0, 71.0, 74.0, 75.0, 90.0, 200.0]), min_size=3, max_size=3),
                min_size=1, max_size=25),
       st.lists(st.lists(st.integers(min_value=0, max_value=30), max_size=6), min_size=3, max_size=3))
def test_the_vectorised_walk_follows_advance_tiers(rows: list[list[float]], days: list[list[int]]) -> None:
    moments = [ago(len(rows) - i) for i in range(len(rows))]
    activity = [np.sort(np.array([ago(d).timestamp() for d in ds], dtype=float)) for ds in days]
    grid = _Grid(moments, ["a", "b", "c"], np.array(rows), activity)
    assert _walk(grid, ScoringModel()) == reference_walk(grid, ScoringModel())
