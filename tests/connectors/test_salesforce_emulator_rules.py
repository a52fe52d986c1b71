"""The Salesforce emulator's rules for the playbooks' writes, on the wire (no client library).

Seeded campaigns, Task.IsClosed derived from Status, sObject Collections (200-record limit,
one result per record in order, duplicates within a call, all-or-none rollback), field
validation (length, precision, strict JSON), id filters in SOQL and the URI length limit.
"""

from typing import Any

import pytest
import requests
from simple_salesforce import format_soql

from connectors.testing import SalesforceData, SalesforceEmulator


@pytest.fixture
def sf(community):
    with SalesforceEmulator(community) as emulator:
        yield emulator


def call(sf: SalesforceEmulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {sf.session_id}", **kwargs.pop("headers", {})}
    return sf.session().request(method, f"{sf.instance_url}/services/data/v59.0/{path}",
                                headers=headers, **kwargs)


def collection(sf: SalesforceEmulator, method: str, records: list[dict], all_or_none: bool = False):
    return call(sf, method, "composite/sobjects", json={"allOrNone": all_or_none, "records": records})


def member(campaign: str, contact: str) -> dict:
    return {"attributes": {"type": "CampaignMember"}, "CampaignId": campaign, "ContactId": contact}


def account(account_id: str, **fields: Any) -> dict:
    return {"attributes": {"type": "Account"}, "Id": account_id, **fields}


# -- seeded data ---------------------------------------------------------------------------
def test_nurture_and_newsletter_campaigns_are_seeded_without_members(sf, community):
    campaigns = {c["Id"]: c for c in sf.records("Campaign")}
    nurture, newsletter = campaigns[sf.nurture_campaign_id], campaigns[sf.newsletter_campaign_id]
    assert (nurture["Name"], newsletter["Name"]) == ("Community nurture", "Community newsletter")
    assert nurture["Type"] == newsletter["Type"] == "Email" and nurture["IsActive"]
    members = {m["CampaignId"] for m in sf.records("CampaignMember")}
    assert not members & {sf.nurture_campaign_id, sf.newsletter_campaign_id}
    # deterministic: the same community gives the same ids
    assert SalesforceData(community).community_campaigns == {
        "nurture": sf.nurture_campaign_id, "newsletter": sf.newsletter_campaign_id}
    body = call(sf, "GET", "query/", params={"q": format_soql(
        "SELECT Id FROM Campaign WHERE Name = {}", "Community nurture")}).json()
    assert [r["Id"] for r in body["records"]] == [sf.nurture_campaign_id]


def test_accounts_have_the_velocity_field(sf):
    [row] = call(sf, "GET", "query/", params={
        "q": "SELECT Id, Community_Velocity__c FROM Account LIMIT 1"}).json()["records"]
    assert row["Community_Velocity__c"] is None


# -- tasks ---------------------------------------------------------------------------------
def test_is_closed_follows_status_and_cannot_be_written(sf):
    account_id = sf.records("Account")[0]["Id"]
    created = call(sf, "POST", "sobjects/Task/", json={"Subject": "s", "WhatId": account_id}).json()
    task_id = created["id"]
    assert sf.data.get("Task", task_id)["IsClosed"] is False
    done = sf.complete_task(task_id)
    assert (done["Status"], done["IsClosed"]) == ("Completed", True)
    refused = call(sf, "PATCH", f"sobjects/Task/{task_id}", json={"IsClosed": False})
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert call(sf, "PATCH", f"sobjects/Task/{task_id}", json={"Status": "Deferred"}).status_code == 204
    assert sf.data.get("Task", task_id)["IsClosed"] is False
    with pytest.raises(ValueError):
        sf.complete_task(task_id, status="Done-ish")


def test_soql_in_over_task_ids_and_an_id_filter_that_is_no_id(sf):
    account_id = sf.records("Account")[0]["Id"]
    ids = [call(sf, "POST", "sobjects/Task/", json={"Subject": f"t{i}", "WhatId": account_id}).json()["id"]
           for i in range(3)]
    sf.complete_task(ids[1])
    q = format_soql("SELECT Id, IsClosed FROM Task WHERE Id IN {}", [*ids, "00TDx9999999999AAA"])
    rows = call(sf, "GET", "query/", params={"q": q}).json()["records"]
    assert {r["Id"]: r["IsClosed"] for r in rows} == {ids[0]: False, ids[1]: True, ids[2]: False}
    bad = call(sf, "GET", "query/", params={"q": format_soql(
        "SELECT Id FROM Task WHERE Id IN {}", ["not-an-id"])})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_a_uri_over_16_kb_is_414(sf):
    ids = [f"00TDx{i:010d}AAA" for i in range(800)]
    too_long = call(sf, "GET", "query/", params={"q": format_soql(
        "SELECT Id FROM Task WHERE Id IN {}", ids)})
    assert too_long.status_code == 414
    ok = call(sf, "GET", "query/", params={"q": format_soql(
        "SELECT Id FROM Task WHERE Id IN {}", ids[:200])})
    assert ok.status_code == 200 and len(ok.request.url) < 16_384 // 2


# -- collections ---------------------------------------------------------------------------
def test_more_than_200_records_is_refused_as_a_whole(sf):
    contacts = [c["Id"] for c in sf.records("Contact")]
    records = [member(sf.nurture_campaign_id, contacts[i % len(contacts)]) for i in range(201)]
    response = collection(sf, "POST", records)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert not [m for m in sf.records("CampaignMember") if m["CampaignId"] == sf.nurture_campaign_id]


def test_member_creates_answer_in_order_with_per_record_errors(sf):
    contacts = [c["Id"] for c in sf.records("Contact")]
    existing = sf.records("CampaignMember")[0]
    records = [
        member(sf.nurture_campaign_id, contacts[0]),
        member(sf.nurture_campaign_id, contacts[0]),  # twice in one call: the second is a duplicate
        member(sf.nurture_campaign_id, "003Dx9999999999AAA"),  # no such contact
        member(sf.nurture_campaign_id, "bogus"),
        member(existing["CampaignId"], existing["ContactId"]),  # already a member
        {**member(sf.nurture_campaign_id, contacts[1]), "Status": "x" * 300},
        member(sf.nurture_campaign_id, contacts[2]),
    ]
    results = collection(sf, "POST", records).json()
    assert [r["success"] for r in results] == [True, False, False, False, False, False, True]
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in results]
    assert codes == [None, "DUPLICATE_VALUE", "INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID",
                     "DUPLICATE_VALUE", "STRING_TOO_LONG", None]
    ours = [m for m in sf.records("CampaignMember") if m["CampaignId"] == sf.nurture_campaign_id]
    assert sorted(m["ContactId"] for m in ours) == sorted([contacts[0], contacts[2]])
    assert {r["id"] for r in results if r["success"]} == {m["Id"] for m in ours}
    assert all(m["Status"] == "Sent" for m in ours)  # the campaign's default member status


def test_updates_report_unknown_and_malformed_ids_and_bad_values_per_record(sf):
    ids = [a["Id"] for a in sf.records("Account")[:3]]
    results = collection(sf, "PATCH", [
        account(ids[0], Community_Score__c=12.345, Community_Velocity__c=-3.5),
        account("001Dx9999999999AAA", Community_Score__c=1),
        account("001-nope", Community_Score__c=1),
        account(ids[1], Community_Score__c=1e14),  # Number(16, 2): 14 digits before the point
        account(ids[2], Community_Tier__c="t" * 41),  # Text(40)
    ]).json()
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in results]
    assert codes == [None, "INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID",
                     "NUMBER_OUTSIDE_VALID_RANGE", "STRING_TOO_LONG"]
    stored = sf.data.get("Account", ids[0])
    assert (stored["Community_Score__c"], stored["Community_Velocity__c"]) == (12.35, -3.5)
    assert sf.data.get("Account", ids[1])["Community_Score__c"] is None


def test_all_or_none_rolls_back_creates_and_updates(sf):
    ids = [a["Id"] for a in sf.records("Account")[:2]]
    contact = sf.records("Contact")[0]["Id"]
    before_members = len(sf.records("CampaignMember"))
    results = collection(sf, "POST", [member(sf.nurture_campaign_id, contact),
                                      member(sf.nurture_campaign_id, "003Dx9999999999AAA")],
                         all_or_none=True).json()
    assert [r["errors"][0]["statusCode"] for r in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_CROSS_REFERENCE_KEY"]
    assert len(sf.records("CampaignMember")) == before_members
    collection(sf, "PATCH", [account(ids[0], Community_Score__c=5), account("001Dx9999999999AAA")],
               all_or_none=True)
    assert sf.data.get("Account", ids[0])["Community_Score__c"] is None
    # nothing of the rolled-back create is left behind: the same member can be added now
    [again] = collection(sf, "POST", [member(sf.nurture_campaign_id, contact)]).json()
    assert again["success"]


def test_nan_in_a_body_is_a_json_parser_error_for_the_whole_call(sf):
    account_id = sf.records("Account")[0]["Id"]
    body = ('{"allOrNone": false, "records": [{"attributes": {"type": "Account"}, '
            f'"Id": "{account_id}", "Community_Score__c": NaN}}]}}')
    response = call(sf, "PATCH", "composite/sobjects", data=body,
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert sf.data.get("Account", account_id)["Community_Score__c"] is None


def test_create_with_an_id_is_refused_per_record(sf):
    contact = sf.records("Contact")[0]["Id"]
    [result] = collection(sf, "POST", [{**member(sf.nurture_campaign_id, contact),
                                        "Id": "00vDx0000000001AAA"}]).json()
    assert not result["success"] and result["errors"][0]["statusCode"] == "INVALID_FIELD"
