"""The Salesforce cursor in the store: stopped part-way through one second, resumed exactly,
and a cursor stored in the old stamp-only format still read. Real emulator, both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from connectors.salesforce import RequestLimitExceeded, SalesforceCrm, Watermark
from connectors.store import Store
from connectors.testing import SalesforceEmulator, generate_community
from flows.pulls import _stored_pages
from scoring.classify import ClassificationRules, to_activity

NOW = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
CURSOR = "salesforce:campaign_members"


@pytest.fixture
def salesforce() -> Iterator[SalesforceEmulator]:
    community = generate_community(members=250, companies=50, activities=500, seed=11, now=NOW)
    with SalesforceEmulator(community, batch_size=7) as emulator:
        yield emulator


def webinar_reader(store: Store, emulator: SalesforceEmulator):
    crm = SalesforceCrm(emulator.client())
    saved: list[str] = []

    def save(records: list) -> None:
        saved.extend(r.event.source_event_id for r in records)
        activities = [a for a in (to_activity(r.event, ClassificationRules()) for r in records) if a]
        store.save_page(members=[r.member for r in records], activities=activities)

    return (lambda: _stored_pages(store, "campaign_members", crm.campaign_member_events, save)), saved


def test_limit_mid_second_then_resume_stores_every_member_once(store: Store, salesforce) -> None:
    members = salesforce.records("CampaignMember")
    assert len({m["SystemModstamp"] for m in members}) == 2  # 39 memberships in two seconds
    read, saved = webinar_reader(store, salesforce)
    salesforce.faults.add(path="/services/data/v59.0/query", status=403, after=2)
    with pytest.raises(RequestLimitExceeded):
        read()
    cursor = store.get_cursor(CURSOR)
    assert cursor is not None and Watermark.decode(cursor).id == sorted(
        members, key=lambda m: (m["SystemModstamp"], m["Id"]))[13]["Id"]
    assert read() == len(members) - 14
    assert len(saved) == len(set(saved)) == len(members)  # each record read once, none lost
    stored = [a.source_event_id for a in store.activities() if a.source == "salesforce"]
    expected = {f"campaign_member:{m['Id']}" for m in members if m["Status"] == "Attended"}
    assert sorted(stored) == sorted(expected) and expected
    assert read() == 0  # nothing new: nothing read again


def test_an_old_plain_timestamp_cursor_is_still_read(store: Store, salesforce) -> None:
    members = salesforce.records("CampaignMember")
    last_second = max(m["SystemModstamp"] for m in members)
    store.set_cursor(CURSOR, datetime.fromisoformat(last_second).isoformat())  # the old format
    read, saved = webinar_reader(store, salesforce)
    count = read()
    # the boundary second is read again (saves are idempotent); the new format replaces the old
    assert count == len(saved) == sum(m["SystemModstamp"] == last_second for m in members)
    assert " " in (store.get_cursor(CURSOR) or "")
    assert read() == 0
