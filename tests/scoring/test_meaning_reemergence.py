"""Issue 10 item 5: a return is the first non-reaction activity after 60+ silent days.

Lurkers (known for 60+ days, never active) count as returning on their first post; a like is
neither a return nor an end of the silence.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scoring import Activity, ScoringModel, detect_signals, reemerged

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
MODEL = ScoringModel()  # reemergence_gap_days 60, recency_days 14


def act(member: str, days_ago: float, type_: str = "reply", n: int = 0) -> Activity:
    return Activity("discourse", f"{member}-{type_}-{days_ago}-{n}", member, type_, NOW - timedelta(days=days_ago))


def test_a_single_like_after_90_silent_days_is_not_a_return() -> None:
    assert reemerged([act("m", 91), act("m", 1, "reaction")], MODEL, NOW) == {}


def test_a_like_does_not_end_the_silence_so_the_post_after_it_is_the_return() -> None:
    activities = [act("m", 100), act("m", 5, "reaction"), act("m", 1, "answer")]
    found = reemerged(activities, MODEL, NOW)
    assert set(found) == {"m"}
    assert found["m"].returned_at == NOW - timedelta(days=1)
    assert found["m"].silent_since == NOW - timedelta(days=100)
    assert found["m"].gap_days == pytest.approx(99)


def test_a_lurker_known_for_60_days_returns_on_the_first_post() -> None:
    known = {"lurker": NOW - timedelta(days=100), "newcomer": NOW - timedelta(days=30)}
    activities = [act("lurker", 2, "thread_started"), act("newcomer", 2, "thread_started")]
    found = reemerged(activities, MODEL, NOW, known_since=known)
    assert set(found) == {"lurker"}
    assert found["lurker"].silent_since == NOW - timedelta(days=100)
    assert found["lurker"].gap_days == pytest.approx(98)


def test_a_member_who_only_liked_for_months_is_a_lurker_whose_first_post_is_a_return() -> None:
    likes = [act("m", days, "reaction") for days in (120, 90, 45, 20)]
    found = reemerged([*likes, act("m", 3, "answer")], MODEL, NOW)
    assert set(found) == {"m"} and found["m"].gap_days == pytest.approx(117)


def test_a_first_activity_of_a_member_known_only_since_then_is_still_no_return() -> None:
    assert reemerged([act("new", 1)], MODEL, NOW) == {}
    assert reemerged([act("new", 1)], MODEL, NOW, known_since={"new": NOW - timedelta(days=59)}) == {}


def test_detect_signals_passes_known_since_on() -> None:
    known = {"lurker": NOW - timedelta(days=365)}
    signals = detect_signals([act("lurker", 1, "answer")], {"lurker": "acme"}, MODEL, NOW, known_since=known)
    assert set(signals.reemerged) == {"lurker"}
    assert set(detect_signals([act("lurker", 1, "answer")], {"lurker": "acme"}, MODEL, NOW).reemerged) == set()


def test_a_naive_known_since_is_a_clear_error() -> None:
    from scoring import ScoringError

    with pytest.raises(ScoringError, match="known_since"):
        reemerged([act("m", 1)], MODEL, NOW, known_since={"m": datetime(2026, 1, 1)})
