"""Opportunities in the CRM cache and inbound-event deduplication, on both backends."""

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from connectors.store import StoreError
from scoring.records import Activity, CrmOpportunity

WON = datetime(2026, 10, 2, 15, tzinfo=timezone.utc)


def test_opportunities_round_trip_and_upsert(store) -> None:
    deal = CrmOpportunity("006A", "001A", "Expansion", "Closed Won", 12000.0, WON, True, False)
    store.upsert_opportunities("salesforce", [deal, CrmOpportunity("006B", None)])
    store.upsert_opportunities("salesforce", [replace(deal, community_influenced=True)])
    got = store.opportunities("salesforce")
    assert [o.id for o in got] == ["006A", "006B"]
    assert got[0].community_influenced and got[0].closed_at == WON and got[0].is_won
    assert store.opportunities("hubspot") == []


def test_an_inbound_event_is_stored_once(store) -> None:
    like = Activity("slack", "reaction:C1:1.0:U1:tada", "slack:U1", "reaction", WON)
    assert store.save_inbound_event("slack", "Ev123", [like]) == 1
    assert store.save_inbound_event("slack", "Ev123", [like]) is None
    assert store.save_inbound_event("discourse", "Ev123") == 0
    assert store.count_activities() == 1


def test_a_failed_inbound_event_leaves_no_claim(store) -> None:
    broken = Activity("slack", "msg:C1:2.0", None, "reply", WON)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.save_inbound_event("slack", "Ev9", [broken])
    assert store.save_inbound_event("slack", "Ev9", []) == 0  # the retry is processed
