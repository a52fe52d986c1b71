"""One rule for time in the whole public API: a naive datetime is a clear ScoringError, never a TypeError."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import Activity, ScoringError, ScoringModel, score_members
from scoring.attribution import IntentAlert, Upgrade, attribute_upgrades, calibrate
from scoring.records import TierState
from scoring.signals import advance_tiers, detect_signals, recently_active, reemerged, seasonal_factor

AWARE = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
NAIVE = datetime(2026, 6, 1, 12)
MODEL = ScoringModel()


def activity(at: datetime) -> Activity:
    return Activity("discourse", "post:1", "discourse:1", "answer", at)


CALLS = {
    "score_members now": lambda: score_members([activity(AWARE)], MODEL, NAIVE),
    "detect_signals now": lambda: detect_signals([activity(AWARE)], {}, MODEL, NAIVE),
    "advance_tiers now": lambda: advance_tiers({"a": 80.0}, {}, MODEL, NAIVE),
    "advance_tiers previous": lambda: advance_tiers({"a": 80.0}, {"a": TierState("a", "intent", 80.0, NAIVE, 1)},
                                                    MODEL, AWARE),
    "recently_active now": lambda: recently_active({"a": AWARE}, MODEL, NAIVE),
    "recently_active times": lambda: recently_active({"a": NAIVE}, MODEL, AWARE),
    "reemerged now": lambda: reemerged([activity(AWARE)], MODEL, NAIVE),
    "reemerged activity": lambda: reemerged([activity(NAIVE)], MODEL, AWARE),
    "seasonal_factor now": lambda: seasonal_factor([activity(AWARE)], MODEL, NAIVE),
    "seasonal_factor activity": lambda: seasonal_factor([activity(NAIVE)], MODEL, AWARE),
    "seasonal_factor history_start": lambda: seasonal_factor([], MODEL, AWARE, history_start=NAIVE),
    "calibrate now": lambda: calibrate([], [], {}, MODEL, NAIVE),
    "calibrate alert": lambda: calibrate([IntentAlert("a", NAIVE)], [], {}, MODEL, AWARE),
    "attribute_upgrades alert": lambda: attribute_upgrades([IntentAlert("a", NAIVE)],
                                                           [Upgrade("a", AWARE + timedelta(days=1))]),
    "attribute_upgrades upgrade": lambda: attribute_upgrades([IntentAlert("a", AWARE)], [Upgrade("a", NAIVE)]),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_naive_datetime_is_a_clear_scoring_error(call: str) -> None:
    with pytest.raises(ScoringError, match="naive datetime .*timezone-aware"):
        CALLS[call]()


def test_aware_datetimes_in_any_zone_are_fine() -> None:
    elsewhere = AWARE.astimezone(timezone(timedelta(hours=-5)))
    assert recently_active({"a": elsewhere}, MODEL, AWARE) == {"a"}
    assert advance_tiers({"a": 80.0}, {}, MODEL, elsewhere)[0]["a"].tier == "intent"
