"""The HubSpot emulator's endpoints for the playbooks (lists, sequences, properties, company
batch updates, task batch reads, a lagging search, deals), checked against HubSpot's specs."""

from __future__ import annotations

import pytest
import requests
from hubspot import HubSpot

from connectors.testing.specs import _validator
from tests.connectors.testing.spec import (
    assert_valid,
    request_validator,
    response_validator,
)

AUTH = {"Authorization": "Bearer pat-test"}


def call(hubspot, method: str, path: str, expect: int | None = 200, **kwargs) -> requests.Response:
    response = requests.request(method, hubspot.base_url + path, headers=AUTH, timeout=5, **kwargs)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


def assert_error(response: requests.Response, status: int, category: str, path: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["category"] == category
    # The documents' default answer is ``*/*`` content of the Error schema.
    assert_valid(_validator("hubspot", path, ["components", "schemas", "Error"], True), body)
    return body


def contact_ids(community, n: int) -> list[str]:
    return [p.contact_id for p in community.people if p.contact_id][:n]


# -- lists ---------------------------------------------------------------------------------
ADD = "/crm/v3/lists/{listId}/memberships/add"
MEMBERS = "/crm/v3/lists/{listId}/memberships"


def test_list_add_is_idempotent_and_names_missing_ids(hubspot, community):
    ids = contact_ids(community, 5)
    path = f"/crm/v3/lists/{hubspot.nurture_list_id}/memberships/add"
    assert_valid(request_validator("hubspot", ADD, "put"), ids + ["999"])
    first = call(hubspot, "PUT", path, json=ids[:3] + ["999"]).json()
    assert_valid(response_validator("hubspot", ADD, "put"), first)
    assert first == {"recordIdsMissing": ["999"], "recordIdsRemoved": [], "recordsIdsAdded": ids[:3]}
    second = call(hubspot, "PUT", path, json=ids).json()
    assert second["recordsIdsAdded"] == ids[3:] and second["recordIdsMissing"] == []
    assert hubspot.list_members(hubspot.nurture_list_id) == sorted(ids, key=int)
    assert hubspot.list_members(hubspot.newsletter_list_id) == []


def test_list_memberships_page_by_record_id(hubspot, community):
    ids = contact_ids(community, 7)
    call(hubspot, "PUT", f"/crm/v3/lists/{hubspot.newsletter_list_id}/memberships/add", json=ids)
    seen, after = [], None
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        page = call(hubspot, "GET", f"/crm/v3/lists/{hubspot.newsletter_list_id}/memberships", params=params).json()
        assert_valid(response_validator("hubspot", MEMBERS), page)
        seen += [r["recordId"] for r in page["results"]]
        after = (page.get("paging") or {}).get("next", {}).get("after")
        if not after:
            break
    assert seen == sorted(ids, key=int)
    api = HubSpot(access_token="pat-test", host=hubspot.base_url)
    assert len(api.crm.lists.memberships_api.get_page(hubspot.newsletter_list_id, limit=250).results) == 7


def test_list_add_refusals(hubspot, community):
    ids = contact_ids(community, 3)
    dynamic = call(hubspot, "PUT", f"/crm/v3/lists/{hubspot.customers_list_id}/memberships/add", None, json=ids)
    assert_error(dynamic, 400, "VALIDATION_ERROR", ADD)
    assert_error(call(hubspot, "PUT", "/crm/v3/lists/424242/memberships/add", None, json=ids),
                 404, "OBJECT_NOT_FOUND", ADD)
    assert_error(call(hubspot, "PUT", f"/crm/v3/lists/{hubspot.nurture_list_id}/memberships/add", None,
                      json={"ids": ids}), 400, "VALIDATION_ERROR", ADD)
    hubspot.lists.add_limit = 2
    assert_error(call(hubspot, "PUT", f"/crm/v3/lists/{hubspot.nurture_list_id}/memberships/add", None,
                      json=ids), 400, "VALIDATION_ERROR", ADD)
    assert hubspot.list_members(hubspot.nurture_list_id) == []


# -- sequences -----------------------------------------------------------------------------
ENROLL = "/automation/v4/sequences/enrollments"
OF_CONTACT = "/automation/v4/sequences/enrollments/contact/{contactId}"


def test_sequence_enrollment_lifecycle(hubspot, community):
    owner = community.owners[0]
    contact = contact_ids(community, 1)[0]
    listed = call(hubspot, "GET", "/automation/v4/sequences", params={"userId": owner.user_id}).json()
    assert_valid(response_validator("hubspot", "/automation/v4/sequences"), listed)
    assert {s["id"] for s in listed["results"]} == {hubspot.nurture_sequence_id, hubspot.champion_sequence_id}
    assert_error(call(hubspot, "GET", f"/automation/v4/sequences/enrollments/contact/{contact}", None),
                 404, "OBJECT_NOT_FOUND", OF_CONTACT)
    body = {"contactId": contact, "sequenceId": hubspot.nurture_sequence_id, "senderEmail": owner.email}
    assert_valid(request_validator("hubspot", ENROLL), body)
    enrolled = call(hubspot, "POST", ENROLL, params={"userId": owner.user_id}, json=body).json()
    assert_valid(response_validator("hubspot", ENROLL, "post"), enrolled)
    current = call(hubspot, "GET", f"/automation/v4/sequences/enrollments/contact/{contact}").json()
    assert_valid(response_validator("hubspot", OF_CONTACT), current)
    assert (current["id"], current["sequenceId"]) == (enrolled["id"], hubspot.nurture_sequence_id)
    again = call(hubspot, "POST", ENROLL, None, params={"userId": owner.user_id},
                 json={**body, "sequenceId": hubspot.champion_sequence_id})
    assert "already enrolled" in assert_error(again, 400, "VALIDATION_ERROR", ENROLL)["message"]
    hubspot.finish_enrollment(contact)
    call(hubspot, "GET", f"/automation/v4/sequences/enrollments/contact/{contact}", 404)
    call(hubspot, "POST", ENROLL, params={"userId": owner.user_id}, json=body)
    assert [e["state"] for e in hubspot.enrollments()] == ["FINISHED", "ACTIVE"]


@pytest.mark.parametrize(("change", "status"), [
    ({"senderEmail": "someone@else.example"}, 400), ({"sequenceId": "9"}, 404),
    ({"contactId": "9"}, 404), ({"userId": "9"}, 400), ({"userId": None}, 400)])
def test_enrollment_refusals(hubspot, community, change, status):
    owner = community.owners[0]
    body = {"contactId": contact_ids(community, 1)[0], "sequenceId": hubspot.nurture_sequence_id,
            "senderEmail": owner.email}
    user = change.pop("userId", owner.user_id)
    params = {"userId": user} if user else {}
    response = call(hubspot, "POST", ENROLL, None, params=params, json={**body, **change})
    assert_error(response, status, "VALIDATION_ERROR" if status == 400 else "OBJECT_NOT_FOUND", ENROLL)
    assert hubspot.enrollments() == []


# -- properties ----------------------------------------------------------------------------
GROUPS = "/crm/v3/properties/{objectType}/groups"
PROPS = "/crm/v3/properties/{objectType}"


def test_property_groups_and_typed_properties(hubspot):
    group = {"name": "community_scoring", "label": "Community scoring", "displayOrder": -1}
    assert_valid(request_validator("hubspot", GROUPS), group)
    created = call(hubspot, "POST", "/crm/v3/properties/companies/groups", 201, json=group).json()
    assert_valid(response_validator("hubspot", GROUPS, "post", 201), created)
    got = call(hubspot, "GET", "/crm/v3/properties/companies/groups/community_scoring").json()
    assert_valid(response_validator("hubspot", "/crm/v3/properties/{objectType}/groups/{groupName}"), got)
    assert_valid(response_validator("hubspot", GROUPS), call(hubspot, "GET", "/crm/v3/properties/companies/groups").json())
    assert call(hubspot, "POST", "/crm/v3/properties/companies/groups", None, json=group).status_code == 409
    tier = {"name": "community_tier", "label": "Tier", "type": "enumeration", "fieldType": "select",
            "groupName": "community_scoring",
            "options": [{"label": "Intent", "value": "intent", "hidden": False}]}
    assert_valid(request_validator("hubspot", PROPS), tier)
    prop = call(hubspot, "POST", "/crm/v3/properties/companies", 201, json=tier).json()
    assert_valid(response_validator("hubspot", PROPS, "post", 201), prop)
    assert_valid(response_validator("hubspot", PROPS), call(hubspot, "GET", "/crm/v3/properties/companies").json())
    bad = {"name": "x_score", "label": "X", "type": "number", "groupName": "community_scoring"}
    for change in ({"fieldType": "text"}, {"fieldType": "number", "groupName": "nope"},
                   {"fieldType": "select", "type": "enumeration"}, {"fieldType": "number", "name": "X Y"}):
        assert_error(call(hubspot, "POST", "/crm/v3/properties/companies", None, json={**bad, **change}),
                     400, "VALIDATION_ERROR", PROPS)


def test_unique_task_property_can_be_refused(hubspot):
    key = {"name": "community_action_key", "label": "Key", "type": "string", "fieldType": "text",
           "groupName": "task_information", "hasUniqueValue": True}
    hubspot.refuse_unique_task_property = True
    refused = call(hubspot, "POST", "/crm/v3/properties/tasks", None, json=key)
    assert "not supported" in assert_error(refused, 400, "VALIDATION_ERROR", PROPS)["message"]
    plain = call(hubspot, "POST", "/crm/v3/properties/tasks", 201, json={**key, "hasUniqueValue": False}).json()
    assert plain["hasUniqueValue"] is False
    unique_on_companies = {**key, "groupName": "companyinformation"}
    assert call(hubspot, "POST", "/crm/v3/properties/companies", 201, json=unique_on_companies).json()["hasUniqueValue"]


# -- companies -----------------------------------------------------------------------------
UPDATE = "/crm/v3/objects/companies/batch/update"


def _score_property(hubspot) -> None:
    call(hubspot, "POST", "/crm/v3/properties/companies", 201, json={
        "name": "community_score", "label": "Score", "type": "number", "fieldType": "number",
        "groupName": "companyinformation"})


def test_company_batch_update_names_unknown_ids_in_a_207(hubspot, community):
    _score_property(hubspot)
    known = [c.id for c in community.companies[:2]]
    batch = {"inputs": [{"id": known[0], "properties": {"community_score": "41.5"}},
                        {"id": "123", "properties": {"community_score": "1"}},
                        {"id": known[1], "properties": {"community_score": "7"}}]}
    assert_valid(request_validator("hubspot", UPDATE), batch)
    partial = call(hubspot, "POST", UPDATE, 207, json=batch).json()
    assert_valid(response_validator("hubspot", UPDATE, "post", 207), partial)
    assert [r["id"] for r in partial["results"]] == known
    assert [(e["category"], e["context"]) for e in partial["errors"]] == [("OBJECT_NOT_FOUND", {"ids": ["123"]})]
    complete = call(hubspot, "POST", UPDATE, 200, json={"inputs": [batch["inputs"][0]]}).json()
    assert_valid(response_validator("hubspot", UPDATE, "post"), complete)
    assert hubspot.company_values(known[0]) == {"community_score": "41.5"}
    listed = call(hubspot, "GET", "/crm/v3/objects/companies",
                  params={"limit": 100, "properties": "community_score"}).json()
    assert {c["id"]: c["properties"]["community_score"] for c in listed["results"]
            if c["properties"]["community_score"]} == {known[0]: "41.5", known[1]: "7"}


@pytest.mark.parametrize("inputs", [
    [{"id": "X", "properties": {"community_score": "not a number"}}],
    [{"id": "X", "properties": {"no_such_property": "1"}}],
    [{"id": "X", "properties": {"createdate": "2025-01-01T00:00:00Z"}}],
    [{"id": "X", "properties": {}}, {"id": "X", "properties": {}}],
    [{"id": str(i), "properties": {}} for i in range(101)]])
def test_company_batch_update_refusals_write_nothing(hubspot, community, inputs):
    _score_property(hubspot)
    company = community.companies[0].id
    inputs = [{**i, "id": company if i["id"] == "X" else i["id"]} for i in inputs]
    response = call(hubspot, "POST", UPDATE, None, json={"inputs": inputs})
    assert_error(response, 400, "VALIDATION_ERROR", UPDATE)
    assert hubspot.company_values(company) == {}


# -- tasks ---------------------------------------------------------------------------------
def _task(hubspot, company_id: str | None = None, **props) -> dict:
    body = {"properties": {"hs_timestamp": "2025-06-01T12:00:00Z", **props}, "associations": []}
    if company_id:
        body["associations"] = [{"to": {"id": company_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]
    assert_valid(request_validator("hubspot", "/crm/v3/objects/tasks"), body)
    return call(hubspot, "POST", "/crm/v3/objects/tasks", 201, json=body).json()


def test_task_create_associates_inline_and_defaults_to_not_started(hubspot, community):
    company = community.companies[0].id
    created = _task(hubspot, company, hs_task_subject="Call")
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks", "post", 201), created)
    assert created["properties"]["hs_task_status"] == "NOT_STARTED"
    assert [t["company_ids"] for t in hubspot.tasks()] == [[company]]
    missing = {"properties": {"hs_timestamp": "2025-06-01T12:00:00Z"}, "associations": [
        {"to": {"id": "1"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]}
    for body in (missing, {"properties": {"hs_timestamp": "2025-06-01T12:00:00Z", "hs_task_status": "DONE"}},
                 {"properties": {"hs_timestamp": "tomorrow"}}):
        assert_error(call(hubspot, "POST", "/crm/v3/objects/tasks", None, json=body), 400, "VALIDATION_ERROR",
                     "/crm/v3/objects/tasks")
    assert len(hubspot.tasks()) == 1


def test_task_batch_read_names_missing_ids(hubspot):
    ids = [_task(hubspot)["id"] for _ in range(2)]
    hubspot.complete_task(ids[1])
    read = {"inputs": [{"id": ids[0]}, {"id": ids[1]}, {"id": "5"}], "properties": ["hs_task_status"],
            "propertiesWithHistory": []}
    assert_valid(request_validator("hubspot", "/crm/v3/objects/tasks/batch/read"), read)
    partial = call(hubspot, "POST", "/crm/v3/objects/tasks/batch/read", 207, json=read).json()
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks/batch/read", "post", 207), partial)
    assert {r["id"]: r["properties"]["hs_task_status"] for r in partial["results"]} == {
        ids[0]: "NOT_STARTED", ids[1]: "COMPLETED"}
    assert partial["errors"][0]["context"] == {"ids": ["5"]}
    whole = call(hubspot, "POST", "/crm/v3/objects/tasks/batch/read", 200, json={**read, "inputs": read["inputs"][:2]})
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks/batch/read", "post"), whole.json())


def test_search_lags_writes(hubspot):
    clock = [100.0]
    hubspot.store.clock = lambda: clock[0]
    hubspot.search_lag = 2.0
    hubspot.store.property_store.create("tasks", {
        "name": "k", "label": "K", "type": "string", "fieldType": "text", "groupName": "task_information"})
    task = _task(hubspot, k="one")

    def search() -> list[dict]:
        body = {"filterGroups": [{"filters": [{"propertyName": "k", "operator": "EQ", "value": "one"}]}],
                "properties": ["k", "hs_task_status"]}
        answer = call(hubspot, "POST", "/crm/v3/objects/tasks/search", json=body).json()
        assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks/search", "post"), answer)
        return answer["results"]

    assert search() == [] and call(hubspot, "GET", f"/crm/v3/objects/tasks/{task['id']}").ok  # by id at once
    clock[0] += 2.0
    assert [t["properties"]["hs_task_status"] for t in search()] == ["NOT_STARTED"]
    hubspot.complete_task(task["id"])
    assert [t["properties"]["hs_task_status"] for t in search()] == ["NOT_STARTED"]  # the old version
    clock[0] += 2.0
    assert [t["properties"]["hs_task_status"] for t in search()] == ["COMPLETED"]


# -- deals ---------------------------------------------------------------------------------
def test_deals_page_with_company_associations(hubspot, community):
    # No vendored spec describes deals (see spec_files/README.md): checked through the client's models.
    api = HubSpot(access_token="pat-test", host=hubspot.base_url)
    deals, after = [], None
    while True:
        page = api.crm.deals.basic_api.get_page(limit=5, after=after, associations=["companies"],
                                                properties=["dealname", "dealstage", "amount", "closedate"])
        deals += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert [d.id for d in deals] == [d.id for d in hubspot.deals]
    assert {d.properties["dealstage"] for d in deals} == {"closedwon", "closedlost", "appointmentscheduled",
                                                           "contractsent"}
    first = hubspot.deals[0]
    assert deals[0].associations["companies"].results[0].id == first.company_id
    assert community.company_by_id(first.company_id) is not None


# -- lost answers: the emulator acted, the client never heard -------------------------------
@pytest.mark.parametrize("endpoint", ["list", "enroll", "companies", "property", "group", "task"])
def test_lost_response_on_every_write_endpoint_keeps_the_write(hubspot, community, endpoint):
    owner, contact = community.owners[0], contact_ids(community, 1)[0]
    company = community.companies[0].id
    if endpoint == "companies":
        _score_property(hubspot)
    method, path, body, done = {
        "list": ("PUT", f"/crm/v3/lists/{hubspot.nurture_list_id}/memberships/add", [contact],
                 lambda: hubspot.list_members(hubspot.nurture_list_id) == [contact]),
        "enroll": ("POST", ENROLL, {"contactId": contact, "sequenceId": hubspot.nurture_sequence_id,
                                    "senderEmail": owner.email}, lambda: len(hubspot.enrollments()) == 1),
        "companies": ("POST", UPDATE, {"inputs": [{"id": company, "properties": {"community_score": "3"}}]},
                      lambda: hubspot.company_values(company) == {"community_score": "3"}),
        "property": ("POST", "/crm/v3/properties/companies", {
            "name": "p", "label": "P", "type": "string", "fieldType": "text", "groupName": "companyinformation"},
            lambda: "p" in hubspot.property_store.of("companies")),
        "group": ("POST", "/crm/v3/properties/companies/groups", {"name": "g", "label": "G"},
                  lambda: "g" in hubspot.property_store.groups["companies"]),
        "task": ("POST", "/crm/v3/objects/tasks", {"properties": {"hs_timestamp": "2025-06-01T00:00:00Z"}},
                 lambda: len(hubspot.tasks()) == 1),
    }[endpoint]
    hubspot.faults.add(path=path.split("?")[0], method=method, lose_response=True)
    with pytest.raises(requests.ConnectionError):
        requests.request(method, hubspot.base_url + path, headers=AUTH, timeout=5, json=body,
                         params={"userId": owner.user_id} if endpoint == "enroll" else None)
    assert done()
    assert hubspot.requests[-1].status in (200, 201)
