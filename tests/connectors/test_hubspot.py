"""The HubSpot connector through hubspot-api-client against the emulator."""

from datetime import timedelta

import pytest

from connectors.blocks import HubSpotCredentials
from connectors.errors import AuthError
from connectors.hubspot import TASK_KEY_PROPERTY, HubSpotCrm
from connectors.retry import RetryPolicy


def crm(hubspot, slept=None, token=None) -> HubSpotCrm:
    block = HubSpotCredentials(access_token=token or hubspot.access_token, base_url=hubspot.base_url)
    return HubSpotCrm(block.get_client(), policy=RetryPolicy(
        "hubspot", attempts=4, sleep=slept.append if slept is not None else lambda s: None))


def test_reads_owners_companies_and_contacts_across_pages(hubspot, community):
    c = crm(hubspot)
    accounts = [a for page in c.account_pages() for a in page]
    contacts = [x for page in c.contact_pages() for x in page]
    owners = [o for page in c.owner_pages() for o in page]
    assert len(accounts) == len(community.companies) and len(owners) == len(community.owners)
    company = community.companies[0]
    got = next(a for a in accounts if a.id == company.id)
    assert (got.domain, got.owner_id, got.plan) == (company.domain, company.owner_id, company.plan)
    with_contacts = [p for p in community.people if p.contact_id]
    assert len(contacts) == len(with_contacts)
    person = with_contacts[0]
    assert next(x for x in contacts if x.id == person.contact_id).account_id == person.company_id


def test_task_upsert_is_idempotent_and_associated(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    c.ensure_task_key_property()  # second call finds it
    company = community.companies[1]
    args = dict(key="intent:1:1:task", company_id=company.id, subject="Call them", body="b",
                due=now + timedelta(hours=4), owner_id=company.owner_id)
    first = c.upsert_task(**args)
    second = c.upsert_task(**args)
    [task] = hubspot.tasks()
    assert first == second == task["id"]
    assert task["properties"][TASK_KEY_PROPERTY] == "intent:1:1:task"
    assert company.id in task["company_ids"]


def test_429_without_retry_after_backs_off_then_succeeds(hubspot):
    slept: list[float] = []
    hubspot.faults.add(path="/crm/v3/objects/companies", status=429)
    assert next(crm(hubspot, slept).account_pages())
    assert len(slept) == 1 and slept[0] <= 60


def test_429_with_retry_after_is_honoured(hubspot):
    slept: list[float] = []
    hubspot.faults.add(path="/crm/v3/objects/companies", status=429, retry_after=3)
    assert next(crm(hubspot, slept).account_pages())
    assert slept == [3.0]
    assert [r.status for r in hubspot.requests] == [429, 200]  # urllib3 did not retry on its own


def test_500_then_success(hubspot):
    slept: list[float] = []
    hubspot.faults.add(path="/crm/v3/objects/contacts", status=500)
    assert next(crm(hubspot, slept).contact_pages())
    assert len(slept) == 1


def test_bad_token_is_permanent(hubspot):
    with pytest.raises(AuthError):
        next(crm(hubspot, token="pat-wrong").account_pages())
    assert len(hubspot.requests) == 1


def test_task_body_is_stored_as_escaped_html(hubspot, community, now):
    """Community text with <script> and <img onerror> reaches hs_task_body (an HTML field) as text."""
    import html
    import re

    c = crm(hubspot)
    c.ensure_task_key_property()
    company = community.companies[2]
    body = ("Acme <script>alert(1)</script> & Co crossed into Intent.\nTop members:\n"
            "- Eve <img src=x onerror=alert(2)> (41)\r\n- \"Bob\" (12)")
    c.upsert_task(key="intent:2:1:task", company_id=company.id, subject="Call them", body=body,
                  due=now + timedelta(hours=4))
    [task] = hubspot.tasks()
    stored = task["properties"]["hs_task_body"]
    assert re.findall(r"<[^>]*>", stored) == ["<br>"] * 3  # our line breaks are the only tags
    assert html.unescape(stored.replace("<br>", "\n")) == body.replace("\r\n", "\n")


def test_task_body_html_is_cut_after_escaping_without_splitting_an_entity():
    from connectors.hubspot import task_body_html

    for limit in range(2, 30):
        cut = task_body_html("<&>\n" * 20, limit)
        assert len(cut) <= limit and cut.endswith("…")
        body = cut.removesuffix("…")
        assert body.count("&") == body.count(";") and body.count("<") == body.count(">")
    assert len(task_body_html("<" * 32_000)) <= 65_536  # 128,000 characters escaped, cut
