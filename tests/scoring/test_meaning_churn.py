"""Issue 10 item 10: churn risk means disengagement, not decay alone.

The default rule (``churn_rule: disengagement``) flags an account whose score fell a share of
its peak within the churn window *and* whose own activity (member-days) fell well below its
usual rate. The absolute rule of PRODUCT.md (40 points in 30 days) stays available as
``churn_rule: drop_points``. The seasonal factor only ever suppresses (issue 10 item 2).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import Activity, ScoringModel, detect_signals
from scoring.history import score_history
from scoring.signals import churn_risks

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
MODEL = ScoringModel()  # 14-day half-lives for answers and premium questions, 7 for replies
ABSOLUTE = ScoringModel(churn_rule="drop_points")


def act(member: str, days_ago: float, type_: str = "reply", n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def every(member: str, days: float, start: float, stop: float, type_: str) -> list[Activity]:
    """``member`` does ``type_`` every ``days`` from ``start`` days ago until ``stop`` days ago (exclusive)."""
    found, at = [], start
    while at > stop:
        found.append(act(member, at, type_, len(found)))
        at -= days
    return found


def steady(members: str, until: float = -1) -> list[Activity]:
    """A reply every 4 days per member for 200 days, up to ``until`` days ago."""
    return [a for j, m in enumerate(members) for a in every(m, 4, 200 + j, until, "reply")]


def risks(activities: list[Activity], account_of: dict[str, str], model: ScoringModel, at: datetime = NOW):
    return detect_signals(activities, account_of, model, at).churn_risks


def test_an_account_is_not_flagged_after_an_intent_burst_while_nobody_leaves() -> None:
    account_of = {"a": "acme", "b": "acme"}
    burst = [act("a", 30, "premium_feature_question", n) for n in range(6)]  # 120 points on one day
    activities = steady("ab") + burst
    for days_after in range(8, 31, 2):  # evaluated 8..30 days after the burst; replies go on
        at = NOW - timedelta(days=30 - days_after)
        assert risks(activities, account_of, MODEL, at) == {}, days_after
    ten_days_after = NOW - timedelta(days=20)
    assert set(risks(activities, account_of, ABSOLUTE, ten_days_after)) == {"acme"}  # what decay alone does


def test_a_7000_point_account_is_not_flagged_after_two_quiet_days() -> None:
    account_of = {f"m{i}": "big" for i in range(30)}
    activities = [a for i in range(30) for a in every(f"m{i}", 1, 120 + i / 30, 2, "answer")]
    history = score_history(activities, account_of, MODEL, NOW)
    assert history.accounts[2.0]["big"] > 7000
    assert churn_risks(history, MODEL) == {}
    assert set(churn_risks(history, ABSOLUTE)) == {"big"}  # 690 points of decay in two days


def disengaging() -> list[Activity]:
    """Three members at ~72 points; one leaves six weeks ago, another two weeks ago."""
    stops = {"a": 42, "b": 14, "c": -1}
    activities = []
    for j, member in enumerate("abc"):
        activities += every(member, 3, 200 + j, stops[member], "reply")
        activities += every(member, 18, 201 + 5 * j, max(stops[member], 0), "answer")
    return activities


def test_a_real_disengagement_from_72_to_31_over_six_weeks_is_flagged() -> None:
    account_of = dict.fromkeys("abc", "acme")
    activities = disengaging()
    history = score_history(activities, account_of, MODEL, NOW, [*range(31), 42])
    assert history.accounts[42.0]["acme"] == pytest.approx(72, abs=3)
    assert history.accounts[0.0]["acme"] == pytest.approx(31, abs=1)
    found = churn_risks(history, MODEL)
    assert set(found) == {"acme"}
    risk = found["acme"]
    assert risk.drop == pytest.approx(risk.peak_score - risk.score)
    assert risk.threshold == pytest.approx(0.4 * risk.peak_score)  # what the drop was compared with
    assert risk.drop >= risk.threshold
    assert set(risks(activities, account_of, MODEL)) == {"acme"}
    assert churn_risks(history, ABSOLUTE) == {}  # never 40 points within 30 days


def test_the_absolute_rule_stays_available_as_configured() -> None:
    model = ScoringModel(churn_rule="drop_points", churn_drop_points=25)
    history = score_history(disengaging(), dict.fromkeys("abc", "acme"), model, NOW)
    (risk,) = churn_risks(history, model).values()
    assert risk.threshold == 25 and risk.drop >= 25


def test_a_quiet_season_suppresses_and_a_busy_one_never_adds_disengagement_alarms() -> None:
    history = score_history(disengaging(), dict.fromkeys("abc", "acme"), MODEL, NOW)
    assert churn_risks(history, MODEL, factor=0.5) == {}  # half the community is quiet: needs twice the fall
    busy = churn_risks(history, MODEL, factor=1.5)
    calm = churn_risks(history, MODEL, factor=1.0)
    assert busy == calm and busy["acme"].threshold == pytest.approx(0.4 * busy["acme"].peak_score)


def test_a_small_drop_is_never_a_churn_risk() -> None:
    activities = every("solo", 30, 150, 40, "answer")  # one answer a month, then quiet
    history = score_history(activities, {"solo": "tiny"}, MODEL, NOW)
    assert churn_risks(history, MODEL) == {}  # fell more than 40% of ~5 points, but less than 15 points
