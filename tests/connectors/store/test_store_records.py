"""Members, activities, pages, CRM cache, identity, cursors and tier state, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.store import Store, StoreError
from scoring.records import (
    Activity,
    CrmAccount,
    CrmContact,
    CrmOwner,
    Match,
    Member,
    Resolution,
    TierState,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def activity(i: int, *, source: str = "discourse", at: datetime | None = None) -> Activity:
    return Activity(
        source=source,
        source_event_id=str(i),
        member_key=f"{source}:{i % 7}",
        type="reply",
        occurred_at=at or T0 + timedelta(minutes=i),
        url=f"https://forum.example/t/{i}",
        title=f"Topic {i}",
        excerpt="first words…",
    )


def member(i: int, **changes: object) -> Member:
    fields: dict[str, object] = {
        "key": f"discourse:{i}",
        "source": "discourse",
        "external_id": str(i),
        "username": f"user{i}",
        "email": f"user{i}@example.com",
    }
    fields.update(changes)
    return Member(**fields)  # type: ignore[arg-type]


def test_members_upsert(store: Store) -> None:
    assert store.upsert_members([member(1), member(2, is_staff=True)]) == 2
    store.upsert_members([member(1, company="Acme", is_bot=True)])
    stored = {m.key: m for m in store.members()}
    assert stored["discourse:1"] == member(1, company="Acme", is_bot=True)
    assert stored["discourse:2"].is_staff is True


def test_members_repeated_in_one_call_keep_the_last(store: Store) -> None:
    assert store.upsert_members([member(1, name="old"), member(1, name="new")]) == 1
    assert [m.name for m in store.members()] == ["new"]


def test_activities_round_trip(store: Store) -> None:
    page = [activity(i) for i in range(5)]
    assert store.add_activities(page) == 5
    assert store.activities() == page
    assert store.count_activities() == 5


def test_activities_are_unique_on_source_and_event_id(store: Store) -> None:
    page = [activity(i) for i in range(10)]
    assert store.add_activities(page) == 10
    assert store.add_activities(page) == 0
    # Same event id from another source is another activity; a repeat inside a page counts once.
    other = [activity(1, source="slack"), activity(1, source="slack"), activity(11)]
    assert store.add_activities(other) == 2
    assert store.count_activities() == 12


def test_activities_since(store: Store) -> None:
    store.add_activities([activity(i) for i in range(10)])
    since = (T0 + timedelta(minutes=7)).astimezone(timezone(timedelta(hours=-5)))
    assert [a.source_event_id for a in store.activities(since=since)] == ["7", "8", "9"]


def test_datetimes_come_back_aware_in_utc(store: Store) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2025, 6, 30, 23, 45, 12, 123456, tzinfo=ist)
    store.add_activities([activity(1, at=local)])
    (stored,) = store.activities()
    assert stored.occurred_at == local
    assert stored.occurred_at.tzinfo is timezone.utc
    assert stored.occurred_at.hour == 18 and stored.occurred_at.minute == 15


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="naive"):
        store.add_activities([activity(1, at=datetime(2025, 1, 1))])
    assert store.count_activities() == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)),
    offset_minutes=st.integers(min_value=-14 * 60 + 1, max_value=14 * 60 - 1),
)
def test_any_aware_datetime_round_trips(
    store: Store, moment: datetime, offset_minutes: int
) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    store.save_tier_states("account", [TierState("e", "intent", 1.0, aware)])
    since = store.tier_states("account")["e"].since
    assert since == aware
    assert since.tzinfo is timezone.utc


def test_save_page_commits_members_activities_and_cursor_together(store: Store) -> None:
    new = store.save_page(
        members=[member(1)],
        activities=[activity(i) for i in range(3)],
        cursor=("discourse:posts", "3"),
    )
    assert new == 3
    assert store.get_cursor("discourse:posts") == "3"
    assert [m.key for m in store.members()] == ["discourse:1"]
    # The same page again: nothing new, cursor unchanged in meaning.
    again = store.save_page(
        activities=[activity(i) for i in range(3)], cursor=("discourse:posts", "3")
    )
    assert again == 0


def test_a_failing_page_leaves_neither_data_nor_cursor(store: Store) -> None:
    store.set_cursor("discourse:posts", "before")
    broken = Activity("discourse", "bad", None, "reply", T0)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.save_page(
            members=[member(1)],
            activities=[activity(1), activity(2), broken],
            cursor=("discourse:posts", "after"),
        )
    assert store.count_activities() == 0
    assert store.members() == []
    assert store.get_cursor("discourse:posts") == "before"


def test_cursors(store: Store) -> None:
    assert store.get_cursor("slack:C1") is None
    store.set_cursor("slack:C1", "1700000000.000100")
    store.set_cursor("slack:C1", "1700000001.000200")
    assert store.get_cursor("slack:C1") == "1700000001.000200"


def test_crm_upserts(store: Store) -> None:
    store.upsert_owners("hubspot", [CrmOwner("o1", "sdr@acme.test", "Sam")])
    store.upsert_owners("hubspot", [CrmOwner("o1", "sdr@acme.test", "Samantha"), CrmOwner("o2")])
    assert store.owners("hubspot") == [CrmOwner("o1", "sdr@acme.test", "Samantha"), CrmOwner("o2")]

    store.upsert_accounts("hubspot", [CrmAccount("a1", "Acme", "acme.test", "o1", "free", 0.0)])
    store.upsert_accounts(
        "hubspot",
        [CrmAccount("a1", "Acme Inc", "acme.test", "o2", "pro", 1200.5), CrmAccount("a2", "Beta")],
    )
    store.upsert_accounts("salesforce", [CrmAccount("a1", "Other CRM's a1")])
    assert store.accounts("hubspot") == [
        CrmAccount("a1", "Acme Inc", "acme.test", "o2", "pro", 1200.5),
        CrmAccount("a2", "Beta"),
    ]
    assert [a.name for a in store.accounts("salesforce")] == ["Other CRM's a1"]

    store.upsert_contacts("hubspot", [CrmContact("c1", "Jo@Acme.test", "a1", "Jo")])
    store.upsert_contacts("hubspot", [CrmContact("c1", "jo@acme.test", "a1", "Jo B")])
    assert store.contacts("hubspot") == [CrmContact("c1", "jo@acme.test", "a1", "Jo B")]
    assert store.contacts("salesforce") == []


def test_bulk_crm_upsert(store: Store) -> None:
    contacts = [CrmContact(f"c{i}", f"p{i}@example.com", f"a{i % 50}") for i in range(12_000)]
    assert store.upsert_contacts("hubspot", contacts) == 12_000
    assert store.upsert_contacts("hubspot", contacts[:10]) == 10
    assert len(store.contacts("hubspot")) == 12_000


def test_resolution_replaces_the_previous_one(store: Store) -> None:
    first = Resolution(
        matches={
            "discourse:1": Match("discourse:1", "a1", "email", 1.0, "c1"),
            "discourse:2": Match("discourse:2", "a2", "domain", 0.7),
        },
        unmatched={"discourse:3": "no email", "discourse:4": "ambiguous domain"},
    )
    store.save_resolution(first)
    assert store.matches() == first.matches
    assert store.unmatched() == first.unmatched

    second = Resolution(
        matches={"discourse:3": Match("discourse:3", "a3", "manual", 1.0)},
        unmatched={"discourse:1": "contact deleted"},
    )
    store.save_resolution(second)
    assert store.matches() == second.matches
    assert store.unmatched() == second.unmatched

    store.save_resolution(Resolution())
    assert store.matches() == {} and store.unmatched() == {}


def test_tier_states_upsert_per_kind(store: Store) -> None:
    store.save_tier_states(
        "account",
        [TierState("a1", "awareness", 12.5, T0, 1), TierState("a2", None, 0.0, T0)],
    )
    later = T0 + timedelta(days=3)
    store.save_tier_states("account", [TierState("a1", "intent", 80.0, later, 2)])
    store.save_tier_states("member", [TierState("a1", "consideration", 40.0, T0, 1)])
    accounts = store.tier_states("account")
    assert accounts == {
        "a1": TierState("a1", "intent", 80.0, later, 2),
        "a2": TierState("a2", None, 0.0, T0, 0),
    }
    assert store.tier_states("member") == {"a1": TierState("a1", "consideration", 40.0, T0, 1)}
    assert store.tier_states("nothing") == {}


def test_twenty_thousand_activities_in_one_call(store: Store) -> None:
    """The time it takes is measured by benchmarks/bench_hot_paths.py, not asserted here."""
    page = [activity(i) for i in range(20_000)]
    assert store.add_activities(page) == 20_000
    assert store.add_activities(page[:100]) == 0


def test_tier_states_are_written_when_they_moved(store: Store) -> None:
    before = {s.entity_id: s for s in (TierState("a1", "intent", 80.0, T0, 1), TierState("a2", "awareness", 5.0, T0, 1),
                                       TierState("a3", "consideration", 30.0, T0, 2))}
    store.save_tier_states("account", before.values())
    later = T0 + timedelta(days=1)
    after = [TierState("a1", "intent", 79.95, T0, 1),  # a drift below the step: not written
             TierState("a2", "awareness", 5.25, T0, 1),  # a step: written
             TierState("a3", "intent", 30.0, later, 3),  # a new tier
             TierState("a4", "awareness", 2.0, later, 1)]  # a new entity

    written = store.save_tier_states("account", after, store.tier_states("account"))

    assert written == 3
    assert store.tier_states("account") == {"a1": before["a1"], **{s.entity_id: s for s in after[1:]}}
