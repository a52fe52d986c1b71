"""Attribution of upgrades to Intent alerts, and the calibration backtest."""

from datetime import datetime, timedelta, timezone

import pytest

from scoring import ScoringModel
from scoring.attribution import (
    IntentAlert,
    Upgrade,
    attribute_upgrades,
    calibrate,
    dormant_members,
    tier_distribution,
)

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_an_upgrade_within_90_days_of_an_alert_is_community_influenced() -> None:
    alerts = [IntentAlert("acme", ago(200)), IntentAlert("acme", ago(100)), IntentAlert("beta", ago(200))]
    upgrades = [Upgrade("acme", ago(10), 5000, "opp-1"), Upgrade("beta", ago(109), 1000), Upgrade("gamma", ago(5), 700)]
    found = attribute_upgrades(alerts, upgrades)
    assert [(a.upgrade.account_id, a.alert.alerted_at) for a in found] == [("acme", ago(100))]
    assert attribute_upgrades(alerts, [Upgrade("beta", ago(110), 1)]) != []  # exactly 90 days
    assert [a.upgrade.id for a in attribute_upgrades(alerts, upgrades, window_days=100)] == [None, "opp-1"]  # beta: 91 days


def test_calibration_metrics_by_hand() -> None:
    alerts = [
        IntentAlert("a", ago(200), first_signal_at=ago(200) - timedelta(hours=1)),  # upgraded 150 ago: TP
        IntentAlert("b", ago(150), first_signal_at=ago(150) - timedelta(hours=3)),  # no upgrade: FP
        IntentAlert("c", ago(120), first_signal_at=ago(120) - timedelta(hours=2)),  # upgraded only before the alert: FP
        IntentAlert("d", ago(100)),  # upgraded 20 ago: TP
        IntentAlert("e", ago(30)),  # too young to judge
    ]
    upgrades = [Upgrade("a", ago(150), 1000), Upgrade("d", ago(20), 3000), Upgrade("x", ago(10), 500),
                Upgrade("c", ago(200), 9000)]
    tiers = {"a": "intent", "b": "consideration", "c": "awareness", "d": None}
    result = calibrate(alerts, upgrades, tiers, ScoringModel(), NOW)
    assert (result.alerts, result.alerted_accounts, result.judged_accounts, result.pending_accounts) == (5, 5, 4, 1)
    assert result.false_positive_accounts == 2 and result.false_positive_rate == pytest.approx(0.5)
    assert result.upgrades == 4 and result.upgraded_accounts == 4 and result.influenced_upgrades == 2
    assert result.recalled_accounts == 2 and result.recall == pytest.approx(0.5)
    assert result.missed_accounts == 2 and result.false_negative_rate == pytest.approx(0.5)  # x never, c only after
    assert result.influenced_revenue == 4000
    assert result.median_signal_to_alert == timedelta(hours=2)
    assert result.tiers.counts == {"awareness": 1, "consideration": 1, "intent": 1}
    text = "\n".join(result.recommendations)
    assert "false-positive rate is 50% (2 of 4 accounts" in text and "raise the intent floor above 75" in text
    assert "Recall of upgrades is 50% (2 of 4 upgraded accounts" in text and "lower the intent floor below 75" in text
    assert "change the activity weights" in text
    assert "Tier distribution is 33%/33%/33%" in text


def test_a_healthy_backtest_recommends_nothing() -> None:
    alerts = [IntentAlert(f"a{i}", ago(200)) for i in range(4)]
    upgrades = [Upgrade(f"a{i}", ago(150), 100) for i in range(4)]
    tiers = {f"m{i}": t for i, t in enumerate(["awareness"] * 5 + ["consideration"] * 3 + ["intent"] * 2)}
    result = calibrate(alerts, upgrades, tiers, ScoringModel(), NOW)
    assert result.false_positive_rate == 0 and result.recall == 1
    assert result.recommendations == ()


def test_undefined_rates_are_none() -> None:
    result = calibrate([IntentAlert("a", ago(5))], [], {}, ScoringModel(), NOW)
    assert result.false_positive_rate is None and result.recall is None
    assert result.median_signal_to_alert is None and result.recommendations == ()


def test_tier_shape_far_from_50_30_20_names_the_floor_to_move() -> None:
    tiers = {f"m{i}": t for i, t in enumerate(["awareness"] * 8 + ["consideration"] * 1 + ["intent"] * 1)}
    dist = tier_distribution(tiers)
    assert dist.shares == pytest.approx({"awareness": 0.8, "consideration": 0.1, "intent": 0.1})
    (advice,) = calibrate([], [], tiers, ScoringModel(), NOW).recommendations
    assert "80%/10%/10%" in advice and "lower the consideration floor below 40" in advice


def test_issue_10_item_3_calibration_counts_accounts_not_alerts() -> None:
    """One account alerted four times and upgraded once: per event FP 5/7 and recall 2/5, per account 1/2 and 1/2."""
    alerts = [IntentAlert("a", ago(d)) for d in (400, 300, 200, 100)]  # upgraded 50 days after the last one
    alerts += [IntentAlert("b", ago(150)), IntentAlert("c", ago(200)), IntentAlert("d", ago(150))]
    upgrades = [Upgrade("a", ago(50)), Upgrade("b", ago(100)), Upgrade("e", ago(80)), Upgrade("e", ago(30)),
                Upgrade("f", ago(20))]
    result = calibrate(alerts, upgrades, {}, ScoringModel(), NOW)
    # Counting alerts and upgrades (the bug) gives 5/7 = 0.714 and 2/5 = 0.40.
    assert result.false_positive_rate == pytest.approx(0.5)  # c and d of a, b, c, d
    assert result.recall == pytest.approx(0.5)  # a and b of a, b, e, f
    assert result.false_negative_rate == pytest.approx(0.5)  # e and f were never alerted
    assert (result.alerts, result.upgrades, result.influenced_upgrades) == (7, 5, 2)  # events stay counted


def test_an_account_is_judged_by_its_first_alert_and_converts_through_any_alert() -> None:
    alerts = [IntentAlert("a", ago(200)), IntentAlert("a", ago(20)),  # judged; its young alert converted
              IntentAlert("b", ago(60)),  # first alert too young: pending, even though it has not upgraded
              IntentAlert("c", ago(300)), IntentAlert("c", ago(10))]  # judged, no upgrade yet: a false positive
    upgrades = [Upgrade("a", ago(5)), Upgrade("d", ago(400)), Upgrade("d", ago(30))]
    result = calibrate(alerts + [IntentAlert("d", ago(200))], upgrades, {}, ScoringModel(), NOW)
    assert (result.judged_accounts, result.pending_accounts) == (3, 1)  # a, c, d judged; b pending
    assert result.false_positive_accounts == 2  # c, and d (alerted 200 ago, upgraded 400 and 30 ago: 170 days)
    assert (result.recalled_accounts, result.upgraded_accounts) == (1, 2)
    assert result.missed_accounts == 0 and result.false_negative_rate == 0  # d was alerted before its last upgrade


def test_duplicated_records_count_once() -> None:
    alerts = [IntentAlert("a", ago(200), ago(201))] * 3
    upgrades = [Upgrade("a", ago(150), 100.0, "o1")] * 2
    result = calibrate(alerts, upgrades, {}, ScoringModel(), NOW)
    assert (result.alerts, result.upgrades, result.influenced_revenue) == (1, 1, 100.0)


def test_dormant_members_below_the_floor() -> None:
    last = {"old-low": ago(120), "old-high": ago(100), "fresh": ago(3), "edge": ago(90)}
    scores = {"old-low": 3.0, "old-high": 60.0, "fresh": 80.0, "edge": 50.0}
    dormancy = dormant_members(scores, last, NOW)
    assert (dormancy.members, dormancy.dormant, dormancy.below) == (4, 2, 1)  # 90 days ago exactly is not dormant
    assert dormancy.share_below == 0.5 and dormancy.highest == 60.0
    (advice,) = calibrate([], [], {}, ScoringModel(), NOW, dormancy=dormancy).recommendations
    assert "1 of 2 dormant members" in advice and "shorten the half-lives" in advice
    assert dormant_members({}, {}, NOW).share_below is None
