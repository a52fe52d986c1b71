"""Signals over columns equal the plain loops over records, at the exact boundaries too."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ACTIVITY_TYPES, Activity, ScoringModel, score_accounts, score_members
from scoring.frame import ActivityFrame
from scoring.history import score_history
from scoring.score import active_members
from scoring.signals import last_activity, reemerged, seasonal_factor
from tests.scoring.reference import reference_reemerged, reference_trailing_count

NOW = datetime(2026, 11, 1, 12, 30, 15, 250_000, tzinfo=timezone.utc)
DAY = 86_400_000_000
MEMBERS = ("ann", "bob", "cid", "dee", "eve")
#: Offsets before NOW in microseconds, biased to the re-emergence gap (60 days) and recency (14 days) edges.
offsets = st.one_of(
    st.integers(-DAY, 200 * DAY),
    st.integers(2 * DAY, 4 * DAY),  # crowded days: the caps bite
    st.sampled_from([0, 1, 14 * DAY, 14 * DAY + 1, 60 * DAY, 74 * DAY, 74 * DAY + 1, 28 * DAY, 120 * DAY]),
)
rows = st.lists(st.tuples(st.sampled_from(MEMBERS), st.sampled_from(("reaction", "reply", *ACTIVITY_TYPES)),
                          offsets), max_size=60)
#: Breadth on, and caps small enough that random rows on one day exceed them.
BREADTH = ScoringModel(breadth={"enabled": True, "multiplier": 1.5, "min_active_members": 2},
                       weights={"reaction": {"points": 1, "half_life_days": 7, "daily_cap": 2},
                                "reply": {"points": 3, "half_life_days": 7, "daily_cap": 1},
                                "answer": {"points": 12, "half_life_days": 14, "daily_cap": 1}})


def activities_of(items: list[tuple[str, str, int]]) -> list[Activity]:
    return [Activity("discourse", f"e{i}", member, type_, NOW - timedelta(microseconds=micros))
            for i, (member, type_, micros) in enumerate(items)]


@settings(max_examples=300, deadline=None)
@given(rows, st.dictionaries(st.sampled_from(MEMBERS), offsets, max_size=3))
def test_reemergence_equals_the_loops_over_records(items: list[tuple[str, str, int]],
                                                   known: dict[str, int]) -> None:
    activities = activities_of(items)
    known_since = {k: NOW - timedelta(microseconds=v) for k, v in known.items()}
    model = ScoringModel()

    found = reemerged(ActivityFrame.from_activities(activities), model, NOW, known_since=known_since)

    assert {k: (r.silent_since, r.returned_at) for k, r in found.items()} == reference_reemerged(
        activities, model, NOW, known_since)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_last_activity_and_the_trailing_count_equal_the_records(items: list[tuple[str, str, int]]) -> None:
    activities = activities_of(items)
    frame = ActivityFrame.from_activities(activities)
    latest: dict[str, datetime] = {}
    for a in activities:
        latest[a.member_key] = max(latest.get(a.member_key, a.occurred_at), a.occurred_at)

    assert last_activity(frame) == latest
    assert seasonal_factor(frame, ScoringModel(), NOW).trailing_count == reference_trailing_count(
        activities, NOW, ScoringModel().seasonal.trailing_days)


@settings(max_examples=150, deadline=None)
@given(rows, st.dictionaries(st.sampled_from(MEMBERS), st.sampled_from(("acme", "globex")), max_size=5))
def test_history_accounts_equal_score_accounts_with_breadth(items: list[tuple[str, str, int]],
                                                            account_of: dict[str, str]) -> None:
    activities = activities_of(items)

    history = score_history(activities, account_of, BREADTH, NOW, days_ago=[0.0, 3.0])

    for day in (0.0, 3.0):
        moment = NOW - timedelta(days=day)
        members = {k: v for k, v in score_members(activities, BREADTH, moment).items()
                   if any(a.member_key == k and a.occurred_at <= moment for a in activities)}
        assert history.members[day] == members
        assert history.accounts[day] == score_accounts(members, account_of, BREADTH,
                                                       active=active_members(activities, BREADTH, moment))


def test_regroup_merges_renames_and_drops_members() -> None:
    activities = activities_of([("ann", "reply", DAY), ("bob", "reply", 2 * DAY), ("cid", "reaction", 3 * DAY),
                                ("dee", "answer", 4 * DAY)])
    frame = ActivityFrame.from_activities(activities)

    people = frame.regroup({"bob": "ann", "cid": None, "dee": "dora"})

    assert people.member_keys == ("ann", "dora")
    assert [people.member_keys[m] for m in people.member.tolist()] == ["ann", "ann", "dora"]
    assert people.occurred_at.tolist() == [a.occurred_at.timestamp() for a in activities if a.member_key != "cid"]
    assert score_members(people, ScoringModel(), NOW) == score_members(
        [a if a.member_key not in ("bob", "dee") else
         Activity(a.source, a.source_event_id, {"bob": "ann", "dee": "dora"}[a.member_key], a.type, a.occurred_at)
         for a in activities if a.member_key != "cid"], ScoringModel(), NOW)
