"""Stored activities read as columns: exactly what the records say, on both backends."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from connectors.store import Store, columns
from scoring.model import ScoringModel
from scoring.records import ACTIVITY_TYPES, Activity
from scoring.score import score_members

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def history(n: int, seed: int = 3) -> list[Activity]:
    """Activities at awkward times: microseconds, midnights, the same instant twice, one far in the past."""
    rng = random.Random(seed)
    moments = [T0, T0 + timedelta(microseconds=1), T0 - timedelta(microseconds=1),
               datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)]
    found = []
    for i in range(n):
        at = moments[i] if i < len(moments) else T0 - timedelta(seconds=rng.uniform(0, 200 * 86400))
        found.append(Activity(source="discourse", source_event_id=str(i), member_key=f"discourse:{rng.randrange(40)}",
                              type=rng.choice(ACTIVITY_TYPES), occurred_at=at, title=f"Topic {i}"))
    return found


def test_the_frame_holds_every_stored_activity_with_its_exact_second(store: Store) -> None:
    stored = history(3000)
    store.add_activities(stored)

    frame = store.activity_frame()

    assert list(frame.member_keys) == sorted({a.member_key for a in stored})
    rows = sorted(zip((frame.member_keys[m] for m in frame.member.tolist()),
                      (ACTIVITY_TYPES[k] for k in frame.type.tolist()), frame.occurred_at.tolist()))
    assert rows == sorted((a.member_key, a.type, a.occurred_at.timestamp()) for a in stored)


def test_the_frame_is_whole_when_read_in_many_id_ranges_some_of_them_empty(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "ID_SPAN", 7)  # PostgreSQL packs each range into one value
    stored = history(500)
    store.add_activities(stored)
    store.forget(member_key="discourse:3")
    kept = [a for a in stored if a.member_key != "discourse:3"]

    frame = store.activity_frame()

    assert list(frame.member_keys) == sorted({a.member_key for a in kept})
    rows = sorted(zip((frame.member_keys[m] for m in frame.member.tolist()),
                      (ACTIVITY_TYPES[k] for k in frame.type.tolist()), frame.occurred_at.tolist()))
    assert rows == sorted((a.member_key, a.type, a.occurred_at.timestamp()) for a in kept)


def test_scores_from_the_frame_equal_scores_from_the_records_bit_for_bit(store: Store) -> None:
    store.add_activities(history(3000))
    model, now = ScoringModel(), T0 + timedelta(hours=1)

    assert score_members(store.activity_frame(), model, now) == score_members(store.activities(), model, now)


def test_an_empty_store_is_an_empty_frame(store: Store) -> None:
    frame = store.activity_frame()

    assert len(frame) == 0 and frame.member_keys == ()


def test_activities_of_some_members_only_in_time_order(store: Store) -> None:
    stored = history(3000)
    store.add_activities(stored)
    wanted = {f"discourse:{i}" for i in range(0, 40, 3)} | {f"nobody:{i}" for i in range(600)}  # > one IN list

    found = store.activities(member_keys=wanted)

    assert sorted(a.source_event_id for a in found) == sorted(a.source_event_id for a in stored
                                                              if a.member_key in wanted)
    assert [a.occurred_at for a in found] == sorted(a.occurred_at for a in found)


def test_the_latest_activities_of_each_member_of_some_types(store: Store) -> None:
    stored = history(3000)
    store.add_activities(stored)
    wanted, types = {"discourse:1", "discourse:2", "discourse:3"}, {"reply", "answer"}

    found = store.activities(member_keys=wanted, types=types, latest=2)

    expected = []
    for key in sorted(wanted):
        mine = sorted((a for a in stored if a.member_key == key and a.type in types),
                      key=lambda a: (a.occurred_at, int(a.source_event_id)))  # ids grow with insertion
        expected += mine[-2:]
    assert sorted(a.source_event_id for a in found) == sorted(a.source_event_id for a in expected)
