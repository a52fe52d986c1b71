"""The Salesforce connector through simple-salesforce against the TLS emulator."""

from datetime import timedelta

import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite

from connectors.blocks import SalesforceCredentials
from connectors.errors import (
    AuthError,
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
)
from connectors.retry import RetryPolicy
from connectors.salesforce import (
    RequestLimitExceeded,
    SalesforceCrm,
    Watermark,
    domain_of,
)
from connectors.testing import SalesforceEmulator
from scoring.records import AccountScoreUpdate


@pytest.fixture
def salesforce(community):
    with SalesforceEmulator(community, batch_size=7) as emulator:
        yield emulator


def crm(emulator, slept=None, **kwargs) -> SalesforceCrm:
    block = SalesforceCredentials(instance_url=emulator.instance_url,
                                  session_id=emulator.session_id)
    policy = RetryPolicy("salesforce", attempts=4,
                         sleep=slept.append if slept is not None else lambda s: None)
    return SalesforceCrm(block.get_client(session=emulator.session()), policy=policy, **kwargs)


def records(pages):
    return [r for page in pages for r in page.records]


# -- reads ---------------------------------------------------------------------------------
def test_reads_every_object_across_pages(salesforce, community):
    c = crm(salesforce)
    pages = list(c.account_pages())
    assert len(pages) == -(-len(community.companies) // 7) > 3
    accounts = records(pages)
    assert len({a.id for a in accounts}) == len(community.companies)
    company = community.companies[0]
    got = next(a for a in accounts if a.name == company.name)
    assert (got.domain, got.plan, got.value) == (company.domain, company.plan, company.annual_revenue)
    owners = records(c.owner_pages())
    assert {o.email for o in owners} == {o.email for o in community.owners}
    assert got.owner_id in {o.id for o in owners}
    contacts = records(c.contact_pages())
    assert len(contacts) == len(salesforce.records("Contact"))
    assert all(x.account_id for x in contacts)
    opportunities = records(c.opportunity_pages())
    assert len(opportunities) == len(salesforce.records("Opportunity"))
    assert any(o.is_won and o.closed_at for o in opportunities)
    # every query after the first page went through query_more's nextRecordsUrl
    assert any("/query/01g" in r.path for r in salesforce.requests)


def test_positions_are_monotonic_and_incremental_reads_see_only_newer(salesforce):
    c = crm(salesforce)
    pages = list(c.contact_pages())
    positions = [p.position for p in pages]
    assert positions == sorted(positions) and positions[-1] is not None
    assert [p.high_water for p in pages] == [p.stamp for p in positions]
    assert next(iter(c.contact_pages(since=positions[-1]))).records == []
    changed = salesforce.records("Contact")[3]["Id"]
    salesforce.touch("Contact", changed, LastName="Renamed")
    [page] = list(c.contact_pages(since=positions[-1]))
    assert [x.id for x in page.records] == [changed] and page.records[0].name.endswith("Renamed")
    assert page.position == Watermark(page.high_water, changed) and page.high_water > positions[-1].stamp
    soql = salesforce.queries()[-1]
    assert "(SystemModstamp > " in soql and " AND Id > '" in soql
    assert soql.endswith("ORDER BY SystemModstamp ASC, Id ASC")
    # a bare datetime still means "changed after that second"
    [page] = list(c.contact_pages(since=positions[-1].stamp))
    assert [x.id for x in page.records] == [changed]


def test_many_records_share_a_second_like_a_bulk_loaded_org(salesforce):
    for sobject in ("Contact", "CampaignMember"):
        rows = salesforce.records(sobject)
        assert len({r["SystemModstamp"] for r in rows}) <= len(rows) / 10, sobject
    # one collection update = one transaction = one stamp for all its records
    accounts = [a["Id"] for a in salesforce.records("Account")[:30]]
    crm(salesforce).write_account_scores(
        [AccountScoreUpdate(a, 1.0, "intent", 0.0, None) for a in accounts])
    assert len({salesforce.data.get("Account", a)["SystemModstamp"] for a in accounts}) == 1


def test_request_limit_mid_second_resumes_losing_nothing_and_reading_nothing_twice(salesforce):
    members = salesforce.records("CampaignMember")
    assert len(members) > 3 * 7 and len({m["SystemModstamp"] for m in members}) == 2
    c = crm(salesforce)
    # the org's daily allowance runs out after two pages (7 records each), inside one second
    salesforce.faults.add(path="/services/data/v59.0/query", status=403, after=2)
    read: list[str] = []
    position = None
    with pytest.raises(RequestLimitExceeded):
        for page in c.campaign_member_events():
            read += [r.event.source_event_id for r in page.records]
            position = page.position
    assert len(read) == 14 and position is not None
    stored = position.encode()  # what the flow keeps between runs
    assert stored.endswith(" " + position.id)
    read += [r.event.source_event_id for page in c.campaign_member_events(Watermark.decode(stored))
             for r in page.records]
    assert len(read) == len(set(read))  # nothing twice
    assert sorted(read) == sorted(f"campaign_member:{m['Id']}" for m in members)  # nothing lost


def test_an_old_stamp_only_cursor_rereads_its_second_and_loses_nothing(salesforce):
    members = salesforce.records("CampaignMember")
    c = crm(salesforce)
    first = next(c.campaign_member_events())
    old_cursor = first.high_water.isoformat()  # the format stored before the Id tie-breaker
    legacy = Watermark.decode(old_cursor)
    assert legacy == Watermark(first.high_water, "")
    read = {r.event.source_event_id for page in c.campaign_member_events(legacy) for r in page.records}
    # the whole boundary second is read again (the saves are idempotent), nothing after it is lost
    assert {r.event.source_event_id for r in first.records} <= read
    assert read | {r.event.source_event_id for r in first.records} == {
        f"campaign_member:{m['Id']}" for m in members}


def test_campaign_members_become_webinar_events(salesforce):
    events = records(crm(salesforce).campaign_member_events())
    assert len(events) == len(salesforce.records("CampaignMember"))
    member, event = events[0]
    assert event.kind == "campaign_member" and event.source == "salesforce"
    assert event.member_key == member.key == f"salesforce:{member.external_id}"
    assert member.email and "Webinar" in (event.category or "")
    assert {e.event.tags for e in events} == {("Attended",), ("Sent",)}


def test_contact_by_email_escapes_the_apostrophe(salesforce):
    c = crm(salesforce)
    email = next(r["Email"] for r in salesforce.records("Contact") if "'" in r["Email"])
    found = c.contact_by_email(email.upper())  # Salesforce compares emails case-insensitively
    assert found is not None and found.email == email
    assert "o\\'brien@" in salesforce.queries()[-1].lower()
    assert c.contact_by_email("nobody@nowhere.example") is None


def test_domain_of_website():
    assert domain_of("https://www.Example.com/about") == "example.com"
    assert domain_of("example.org") == "example.org"
    assert domain_of("") is None and domain_of(None) is None


# -- writes --------------------------------------------------------------------------------
def test_task_upsert_is_idempotent(salesforce, now):
    c = crm(salesforce)
    account = salesforce.records("Account")[1]
    args = {"key": "intent:1:1:task", "company_id": account["Id"], "subject": "Call them",
            "body": "b", "due": now + timedelta(hours=4), "owner_id": account["OwnerId"]}
    first = c.upsert_task(**args)
    second = c.upsert_task(**{**args, "subject": "Call them today"})
    [task] = salesforce.records("Task")
    assert first == second == task["Id"]
    assert (task["Community_Action_Key__c"], task["WhatId"], task["Subject"], task["Priority"]) == (
        "intent:1:1:task", account["Id"], "Call them today", "High")
    assert task["Status"] == "Not Started"


def test_task_upsert_before_api_46_fetches_the_id_after_204(salesforce, now):
    block = SalesforceCredentials(instance_url=salesforce.instance_url,
                                  session_id=salesforce.session_id, api_version="45.0")
    c = SalesforceCrm(block.get_client(session=salesforce.session()))
    account_id = salesforce.records("Account")[0]["Id"]
    args = {"key": "k/with spaces+plus", "company_id": account_id, "subject": "s", "body": "b",
            "due": now}
    first = c.upsert_task(**args)
    assert c.upsert_task(**args) == first
    assert [r.status for r in salesforce.requests] == [201, 204, 200]
    assert len(salesforce.records("Task")) == 1


def test_campaign_member_duplicate_is_not_an_error(salesforce):
    c = crm(salesforce)
    member = salesforce.records("CampaignMember")[0]
    assert c.add_campaign_member(member["CampaignId"], member["ContactId"]) == member["Id"]
    contact = salesforce.records("Contact")[-1]["Id"]
    new = c.add_campaign_member(member["CampaignId"], contact, status="Attended")
    assert c.add_campaign_member(member["CampaignId"], contact) == new
    ours = [m for m in salesforce.records("CampaignMember") if m["ContactId"] == contact]
    assert [m["Id"] for m in ours] == [new]


# -- errors and retries --------------------------------------------------------------------
def test_request_limit_exceeded_stops_cleanly(salesforce):
    salesforce.api_limit = salesforce.api_used  # the org's allowance is used up
    with pytest.raises(RequestLimitExceeded) as caught:
        next(crm(salesforce).account_pages())
    assert caught.value.status == 403 and len(salesforce.requests) == 1


def test_expired_session_is_an_auth_error(salesforce):
    c = crm(salesforce)
    salesforce.expire_session()
    with pytest.raises(AuthError, match="session expired"):
        next(c.account_pages())
    assert len(salesforce.requests) == 1


def test_malformed_query_is_not_retried(salesforce):
    c = crm(salesforce, plan_field="No_Such_Field__c")
    with pytest.raises(InvalidRequestError, match="INVALID_FIELD"):
        next(c.account_pages())
    assert len(salesforce.requests) == 1 and salesforce.requests[0].status == 400


def test_unknown_record_is_not_found(salesforce):
    c = crm(salesforce)
    with pytest.raises(NotFoundError):
        c._call(c.client.Account.get, "001Dx9999999999AAA")


def test_500_then_success_is_retried(salesforce):
    slept: list[float] = []
    salesforce.faults.add(path="/services/data/v59.0/query", status=500)
    assert records(crm(salesforce, slept).owner_pages())
    assert len(slept) == 1 and [r.status for r in salesforce.requests][:2] == [500, 200]


def test_503_retry_after_is_honoured_mid_pagination(salesforce):
    slept: list[float] = []
    salesforce.faults.add(path="/services/data/v59.0/query/01g", status=503, retry_after=7)
    accounts = records(crm(salesforce, slept).account_pages())
    assert slept == [7.0] and len(accounts) == len(salesforce.records("Account"))


def test_dropped_connection_on_campaign_member_create_does_not_duplicate(salesforce):
    c = crm(salesforce)
    campaign = salesforce.records("Campaign")[0]["Id"]
    contact = salesforce.records("Contact")[-1]["Id"]
    salesforce.faults.add(path="/services/data/v59.0/sobjects/CampaignMember", lose_response=True)
    member_id = c.add_campaign_member(campaign, contact)
    ours = [m["Id"] for m in salesforce.records("CampaignMember") if m["ContactId"] == contact]
    assert ours == [member_id]


# -- the block -----------------------------------------------------------------------------
class TestSalesforceBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self):
        return SalesforceCredentials

    def test_has_a_valid_code_example(self, block):
        pytest.skip("our block docstrings carry no code example; the README has them")

    def test_has_a_valid_logo_url(self, block):
        pytest.skip("Prefect's check downloads the logo: needs the network")


def test_block_builds_a_working_client_and_hides_secrets(salesforce):
    block = SalesforceCredentials(instance_url=salesforce.instance_url + "/",
                                  session_id=salesforce.session_id)
    assert salesforce.session_id not in repr(block) and salesforce.session_id not in str(block.model_dump())
    client = block.get_client(session=salesforce.session())
    assert client.base_url == f"{salesforce.instance_url}/services/data/v59.0/"
    assert client.query("SELECT Id FROM User")["totalSize"] == len(salesforce.records("User"))
    assert client.api_usage["api-usage"].total == salesforce.api_limit
    with pytest.raises(ConfigurationError):
        SalesforceCredentials(instance_url=salesforce.instance_url).get_client()
