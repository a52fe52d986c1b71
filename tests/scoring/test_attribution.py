"""Attribution of upgrades to Intent alerts, and the calibration backtest."""

from datetime import datetime, timedelta, timezone

import pytest

from scoring import ScoringModel
from scoring.attribution import IntentAlert, Upgrade, attribute_upgrades, calibrate, tier_distribution

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
    assert (result.alerts, result.matured_alerts, result.pending_alerts) == (5, 4, 1)
    assert result.false_positives == 2 and result.false_positive_rate == pytest.approx(0.5)
    assert result.upgrades == 4 and result.influenced_upgrades == 2 and result.recall == pytest.approx(0.5)
    assert result.influenced_revenue == 4000
    assert result.median_signal_to_alert == timedelta(hours=2)
    assert result.tiers.counts == {"awareness": 1, "consideration": 1, "intent": 1}
    text = "\n".join(result.recommendations)
    assert "false-positive rate is 50% (2 of 4" in text and "raise the intent floor above 75" in text
    assert "Recall of upgrades is 50% (2 of 4" in text and "lower the intent floor below 75" in text
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
