"""Companies and contacts changed since a time, through HubSpot's search, with its 10,000 cap."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import connectors.hubspot
import connectors.testing._hubspot_search
from tests.connectors.test_hubspot import crm


def test_only_what_changed_is_read_with_its_company(hubspot, community):
    c = crm(hubspot)
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert [a for page in c.account_pages(before) for a in page] == []  # nothing changed since
    assert [x for page in c.contact_pages(before) for x in page] == []
    person = next(p for p in community.people if p.contact_id and p.company_id)
    lonely = next(p for p in community.people if p.contact_id and p.company_id and p is not person)
    time.sleep(0.01)
    hubspot.update_contact(person.contact_id, email="moved@example.org")
    hubspot.update_contact(lonely.contact_id, company_id=None)  # left their company
    hubspot.clear_requests()
    changed = {x.id: x for page in c.contact_pages(before) for x in page}
    assert set(changed) == {person.contact_id, lonely.contact_id}
    assert (changed[person.contact_id].email, changed[person.contact_id].account_id) == (
        "moved@example.org", person.company_id)
    assert changed[lonely.contact_id].account_id is None
    assert [r.path for r in hubspot.requests] == ["/crm/v3/objects/contacts/search",
                                                  "/crm/v4/associations/contacts/companies/batch/read"]


def test_more_changes_than_one_query_returns_start_again_from_the_last_one(hubspot, community, monkeypatch):
    monkeypatch.setattr(connectors.testing._hubspot_search, "SEARCH_CAP", 40)
    monkeypatch.setattr(connectors.hubspot, "SEARCH_CAP", 40)
    monkeypatch.setattr(connectors.hubspot, "SEARCH_PAGE", 20)
    before = datetime.now(UTC) - timedelta(seconds=1)
    people = [p for p in community.people if p.contact_id][:70]
    for person in people:
        hubspot.update_contact(person.contact_id, name=f"{person.name} Jr")
        time.sleep(0.002)  # distinct change times, as HubSpot's are in milliseconds
    hubspot.clear_requests()
    read = [x.id for page in crm(hubspot).contact_pages(before) for x in page]
    assert set(read) == {p.contact_id for p in people}
    searches = [r.json() for r in hubspot.requests if r.path.endswith("/search")]
    assert max(int(s["after"]) + s["limit"] for s in searches) <= 40  # never past the cap
    assert len({s["filterGroups"][0]["filters"][0]["value"] for s in searches}) >= 2  # restarted
