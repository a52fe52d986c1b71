"""The Salesforce emulator on the wire: TLS, SOQL subset, paging, writes, error shapes."""

import os
from datetime import datetime, timezone

import pytest
import requests
from simple_salesforce import format_soql

from connectors.testing import SalesforceData, SalesforceEmulator
from connectors.testing.salesforce import SalesforceApiError, parse_soql


@pytest.fixture
def sf(community):
    with SalesforceEmulator(community, batch_size=10) as emulator:
        yield emulator


def call(sf, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {sf.session_id}", **kwargs.pop("headers", {})}
    return sf.session().request(method, f"{sf.instance_url}/services/data/v59.0/{path}",
                                headers=headers, **kwargs)


def soql(sf, text):
    return call(sf, "GET", "query/", params={"q": text})


# -- TLS -----------------------------------------------------------------------------------
def test_serves_tls_that_only_the_emulator_session_trusts(sf):
    assert sf.instance_url.startswith("https://127.0.0.1:")
    plain = requests.Session()
    plain.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        plain.get(sf.instance_url + "/services/data/v59.0/limits/")
    assert call(sf, "GET", "limits/").status_code == 200


def test_ca_file_is_removed_on_stop(community):
    emulator = SalesforceEmulator(community).start()
    path = emulator.ca_file
    assert os.path.exists(path)
    emulator.stop()
    assert not os.path.exists(path)


# -- data ----------------------------------------------------------------------------------
def test_records_are_deterministic_and_shaped_like_salesforce(community):
    first, second = SalesforceData(community), SalesforceData(community)
    assert first.objects == second.objects
    prefixes = {"User": "005", "Account": "001", "Contact": "003", "Opportunity": "006",
                "Campaign": "701", "CampaignMember": "00v"}
    for sobject, prefix in prefixes.items():
        assert first.objects[sobject], sobject
        assert all(rid.startswith(prefix) and len(rid) == 18 for rid in first.objects[sobject])
    assert any("'" in c["Email"] for c in first.objects["Contact"].values())
    statuses = {m["Status"] for m in first.objects["CampaignMember"].values()}
    assert statuses == {"Attended", "Sent"}


# -- queries -------------------------------------------------------------------------------
def test_query_pages_with_next_records_url(sf):
    first = soql(sf, "SELECT Id, Name FROM Account ORDER BY SystemModstamp ASC").json()
    assert first["totalSize"] == len(sf.records("Account")) and not first["done"]
    assert len(first["records"]) == 10
    assert first["records"][0]["attributes"]["type"] == "Account"
    seen = [r["Id"] for r in first["records"]]
    url = first["nextRecordsUrl"]
    while url:
        page = sf.session().get(sf.instance_url + url,
                                headers={"Authorization": f"Bearer {sf.session_id}"}).json()
        seen += [r["Id"] for r in page["records"]]
        url = page.get("nextRecordsUrl")
    assert len(seen) == len(set(seen)) == first["totalSize"]


def test_soql_filters_with_escaped_strings_in_or_and_limit(sf):
    contact = next(c for c in sf.records("Contact") if "'" in c["Email"])
    q = format_soql("SELECT Id, Email FROM Contact WHERE Email = {} OR Email IN {} LIMIT 5",
                    contact["Email"], ["x@y.example", contact["Email"]])
    body = soql(sf, q).json()
    assert [r["Id"] for r in body["records"]] == [contact["Id"]]
    since = datetime(2025, 1, 1, tzinfo=timezone.utc)
    q = format_soql("SELECT Id FROM Contact WHERE (SystemModstamp > {} AND AccountId != null) "
                    "ORDER BY SystemModstamp DESC", since)
    expected = [c for c in sf.records("Contact") if c["SystemModstamp"] > "2025-01-01T00:00:00"]
    assert soql(sf, q).json()["totalSize"] == len(expected)


def test_relationship_fields_are_nested(sf):
    body = soql(sf, "SELECT Id, Campaign.Name, Contact.Email FROM CampaignMember LIMIT 1").json()
    record = body["records"][0]
    assert record["Campaign"]["attributes"]["type"] == "Campaign" and record["Campaign"]["Name"]
    assert "@" in record["Contact"]["Email"]


@pytest.mark.parametrize("text, code", [
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
    ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Nothing__c", "INVALID_TYPE"),
])
def test_bad_queries_answer_400_with_salesforce_errors(sf, text, code):
    response = soql(sf, text)
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == code and error["message"]


def test_parser_unescapes_what_format_soql_escapes():
    tricky = "o'brien \\ \"quoted\"\n"
    query = parse_soql(format_soql("SELECT Id FROM Contact WHERE Email = {}", tricky))
    assert query.where == ("cmp", "Email", "=", tricky)
    with pytest.raises(SalesforceApiError):
        parse_soql("SELECT Id FROM Contact ORDER BY")


# -- auth, limits, faults ------------------------------------------------------------------
def test_sessions_limits_and_the_limit_header(sf):
    ok = call(sf, "GET", "limits/")
    assert ok.headers["Sforce-Limit-Info"] == f"api-usage={sf.api_used}/{sf.api_limit}"
    old = sf.session_id
    sf.expire_session()
    expired = sf.session().get(sf.instance_url + "/services/data/v59.0/limits/",
                               headers={"Authorization": f"Bearer {old}"})
    assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    sf.api_limit = sf.api_used
    refused = call(sf, "GET", "limits/")
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_faults_answer_in_salesforce_shape(sf):
    sf.faults.add(path="/services/data/v59.0/query", status=503, retry_after=2)
    response = soql(sf, "SELECT Id FROM User")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert "Sforce-Limit-Info" in response.headers
    assert soql(sf, "SELECT Id FROM User").status_code == 200


def test_unknown_record_is_404_not_found(sf):
    response = call(sf, "GET", "sobjects/Account/001Dx9999999999AAA")
    assert response.status_code == 404 and response.json()[0]["errorCode"] == "NOT_FOUND"


# -- writes --------------------------------------------------------------------------------
def test_create_update_and_upsert_by_external_id(sf):
    account = sf.records("Account")[0]["Id"]
    created = call(sf, "PATCH", "sobjects/Task/Community_Action_Key__c/a%3A1",
                   json={"Subject": "s", "WhatId": account})
    assert created.status_code == 201 and created.json()["created"] is True
    updated = call(sf, "PATCH", "sobjects/Task/Community_Action_Key__c/a%3A1", json={"Subject": "t"})
    assert updated.status_code == 200 and updated.json() == {
        "id": created.json()["id"], "success": True, "errors": [], "created": False}
    [task] = sf.records("Task")
    assert (task["Subject"], task["Community_Action_Key__c"]) == ("t", "a:1")
    assert call(sf, "PATCH", f"sobjects/Task/{task['Id']}", json={"Status": "Completed"}).status_code == 204
    assert call(sf, "GET", f"sobjects/Task/{task['Id']}").json()["Status"] == "Completed"
    bad = call(sf, "PATCH", "sobjects/Task/Subject/x", json={})
    assert bad.status_code == 404
    wrong = call(sf, "POST", "sobjects/Task/", json={"Priority": "Urgent"})
    assert wrong.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_duplicate_campaign_member_is_duplicate_value(sf):
    member = sf.records("CampaignMember")[0]
    response = call(sf, "POST", "sobjects/CampaignMember/",
                    json={"CampaignId": member["CampaignId"], "ContactId": member["ContactId"]})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "DUPLICATE_VALUE"


def test_collections_limit_and_all_or_none(sf):
    ids = [a["Id"] for a in sf.records("Account")]
    too_many = [{"attributes": {"type": "Account"}, "Id": ids[0], "Community_Score__c": 1}] * 201
    response = call(sf, "PATCH", "composite/sobjects", json={"allOrNone": False, "records": too_many})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    records = [{"attributes": {"type": "Account"}, "Id": ids[0], "Community_Score__c": 3},
               {"attributes": {"type": "Account"}, "Id": ids[1], "Community_Score__c": "high"}]
    results = call(sf, "PATCH", "composite/sobjects", json={"allOrNone": True, "records": records}).json()
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.data.get("Account", ids[0])["Community_Score__c"] is None
    created = call(sf, "POST", "composite/sobjects", json={"records": [
        {"attributes": {"type": "Task"}, "Subject": "a", "WhatId": ids[0]}]}).json()
    assert created[0]["success"] and created[0]["id"].startswith("00T")
