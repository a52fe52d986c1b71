"""Opportunities in the CRM cache and inbound-event deduplication, on both backends."""

from dataclasses import replace
from datetime import datetime, timezone

from scoring.records import CrmOpportunity

WON = datetime(2026, 10, 2, 15, tzinfo=timezone.utc)


def test_opportunities_round_trip_and_upsert(store) -> None:
    deal = CrmOpportunity("006A", "001A", "Expansion", "Closed Won", 12000.0, WON, True, False)
    store.upsert_opportunities("salesforce", [deal, CrmOpportunity("006B", None)])
    store.upsert_opportunities("salesforce", [replace(deal, community_influenced=True)])
    got = store.opportunities("salesforce")
    assert [o.id for o in got] == ["006A", "006B"]
    assert got[0].community_influenced and got[0].closed_at == WON and got[0].is_won
    assert store.opportunities("hubspot") == []


def test_an_inbound_event_is_claimed_once(store) -> None:
    assert store.claim_inbound_event("slack", "Ev123") is True
    assert store.claim_inbound_event("slack", "Ev123") is False
    assert store.claim_inbound_event("discourse", "Ev123") is True
