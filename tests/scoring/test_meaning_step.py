"""Issue 10 item 9: step mode forgets - dormant members fall below 25.

The step table (≤ 7 d 1.0 … > 90 d 0.1 on the days since a member's last activity) keeps its
numbers, but it multiplies the points earned within ``step_window_days`` (180) before now,
not a member's lifetime points.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import Activity, ScoringModel, score_accounts, score_members
from scoring.history import score_history

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
STEP = ScoringModel(decay_mode="step")


def act(member: str, days_ago: float, type_: str = "answer", n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def heavy_member(silent_days: float) -> list[Activity]:
    """100 answers (1,200 points) over the year before ``silent_days`` of silence."""
    return [act("heavy", silent_days + 3.65 * i, n=i) for i in range(100)]


def test_a_heavy_member_silent_for_200_days_falls_below_25() -> None:
    score = score_members(heavy_member(200), STEP, NOW)["heavy"]
    assert score < 25
    assert STEP.tier(score) in (None, "awareness")


def test_a_heavy_account_silent_for_200_days_is_no_longer_at_intent() -> None:
    history = score_history(heavy_member(200), {"heavy": "acme"}, STEP, NOW, [0])
    assert STEP.tier(history.accounts[0.0]["acme"]) != "intent"


def test_the_step_table_still_applies_to_the_points_within_the_window() -> None:
    # Silent 120 days: the answers of 120..180 days ago (17 of them) count, times 0.1.
    activities = heavy_member(120)
    in_window = sum(1 for a in activities if NOW - a.occurred_at <= timedelta(days=180))
    assert score_members(activities, STEP, NOW) == {"heavy": pytest.approx(12 * in_window * 0.1)}
    # Active yesterday: the last 180 days of points, undecayed.
    recent = [act("m", 1), act("m", 100, n=1), act("m", 181, n=2)]
    assert score_members(recent, STEP, NOW) == {"m": pytest.approx(24.0)}


def test_the_window_is_configurable_and_validated() -> None:
    long = ScoringModel(decay_mode="step", step_window_days=400)
    assert score_members(heavy_member(200), long, NOW)["heavy"] == pytest.approx(12 * 55 * 0.1)
    with pytest.raises(ValueError, match="step_window_days"):
        ScoringModel(decay_mode="step", step_window_days=0)


def test_a_member_silent_past_the_window_scores_zero_but_is_still_scored() -> None:
    assert score_members([act("m", 181)], STEP, NOW) == {"m": 0.0}
    assert score_accounts({"m": 0.0}, {"m": "acme"}, STEP) == {"acme": 0.0}
