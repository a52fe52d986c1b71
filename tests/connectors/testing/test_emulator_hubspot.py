"""The HubSpot emulator through hubspot-api-client, checked against HubSpot's OpenAPI specs."""

from __future__ import annotations

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.tasks.exceptions import ApiException as TaskApiException
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.properties.exceptions import ApiException as PropertyApiException

from tests.connectors.testing.spec import (
    assert_valid,
    request_validator,
    response_validator,
)

KEY = "community_action_key"


@pytest.fixture
def api(hubspot) -> HubSpot:
    return HubSpot(access_token="pat-test", host=hubspot.base_url)


def _get(hubspot, path: str, **params) -> dict:
    response = requests.get(hubspot.base_url + path, params=params, timeout=5,
                            headers={"Authorization": "Bearer pat-test"})
    assert response.status_code == 200, response.text
    return response.json()


def _create_key_property(api) -> None:
    api.crm.properties.core_api.create("tasks", PropertyCreate(
        name=KEY, label="Community action key", type="string", field_type="text",
        group_name="task_information", has_unique_value=True))


def _upsert(api, key: str, **properties):
    inputs = [SimplePublicObjectBatchInputUpsert(id_property=KEY, id=key, properties=properties)]
    return api.crm.objects.tasks.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))


def test_companies_page_through(api, community):
    companies, after = [], None
    props = ["name", "domain", "hubspot_owner_id", "annualrevenue", "plan"]
    while True:
        page = api.crm.companies.basic_api.get_page(limit=20, after=after, properties=props)
        companies.extend(page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    assert [c.id for c in companies] == sorted((c.id for c in community.companies), key=int)
    first = community.company_by_id(companies[0].id)
    assert companies[0].properties["domain"] == first.domain
    assert companies[0].properties["plan"] == first.plan


def test_companies_match_spec(hubspot, community):
    validator = response_validator("hubspot", "/crm/v3/objects/companies")
    body = _get(hubspot, "/crm/v3/objects/companies", limit=100,
                properties="name,domain,hubspot_owner_id,annualrevenue,plan")
    assert_valid(validator, body)
    assert len(body["results"]) == 50 and "paging" not in body  # limit is capped at 100
    assert_valid(validator, _get(hubspot, "/crm/v3/objects/companies", limit=5))


def test_contacts_with_company_associations(api, hubspot, community):
    contacts, after = [], None
    while True:
        page = api.crm.contacts.basic_api.get_page(
            limit=100, after=after, properties=["email", "firstname", "lastname", "company"],
            associations=["companies"])
        contacts.extend(page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    expected = {p.contact_id: p for p in community.people if p.contact_id}
    assert {c.id for c in contacts} == set(expected)
    for contact in contacts[:20]:
        person = expected[contact.id]
        assert contact.properties["email"] == person.email
        assert contact.associations["companies"].results[0].id == person.company_id
    body = _get(hubspot, "/crm/v3/objects/contacts", limit=10, associations="companies",
                properties="email,company")
    assert_valid(response_validator("hubspot", "/crm/v3/objects/contacts"), body)


def test_owners(api, hubspot, community):
    # No vendored spec (connectors/testing/spec_files) describes /crm/v3/owners: checked through the client's
    # models (required id, type, createdAt, updatedAt, archived) only.
    owners, after = [], None
    while True:
        page = api.crm.owners.owners_api.get_page(limit=2, after=after)
        owners.extend(page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    assert [o.email for o in owners] == [o.email for o in community.owners]
    one = api.crm.owners.owners_api.get_page(email=community.owners[1].email)
    assert [o.id for o in one.results] == [community.owners[1].id]
    assert hubspot.requests[-1].path == "/crm/v3/owners/"


def test_unique_property_lifecycle(api, hubspot):
    with pytest.raises(PropertyApiException) as raised:
        api.crm.properties.core_api.get_by_name("tasks", KEY)
    assert raised.value.status == 404
    _create_key_property(api)
    prop = api.crm.properties.core_api.get_by_name("tasks", KEY)
    assert prop.has_unique_value is True
    body = _get(hubspot, f"/crm/v3/properties/tasks/{KEY}")
    assert_valid(response_validator("hubspot", "/crm/v3/properties/{objectType}/{propertyName}"), body)
    with pytest.raises(PropertyApiException) as raised:
        _create_key_property(api)
    assert raised.value.status == 409


def test_batch_upsert_is_idempotent(api, hubspot):
    _create_key_property(api)
    props = {"hs_timestamp": "2025-06-01T12:00:00.000Z", "hs_task_subject": "Call Acme",
             "hs_task_priority": "HIGH"}
    first = _upsert(api, "acme:intent:2025-06-01", **props)
    second = _upsert(api, "acme:intent:2025-06-01", hs_task_subject="Call Acme today")
    assert first.status == "COMPLETE" and first.results[0].new is True
    assert second.results[0].new is False and second.results[0].id == first.results[0].id
    tasks = hubspot.tasks()
    assert len(tasks) == 1
    assert tasks[0]["properties"][KEY] == "acme:intent:2025-06-01"
    assert tasks[0]["properties"]["hs_task_subject"] == "Call Acme today"
    upserts = [r for r in hubspot.requests if r.path.endswith("/batch/upsert")]
    request_schema = request_validator("hubspot", "/crm/v3/objects/tasks/batch/upsert")
    response_schema = response_validator("hubspot", "/crm/v3/objects/tasks/batch/upsert", "post")
    for recorded in upserts:
        assert_valid(request_schema, recorded.json())
        assert recorded.json()["inputs"][0]["idProperty"] == KEY
    raw = requests.post(hubspot.base_url + "/crm/v3/objects/tasks/batch/upsert", timeout=5,
                        headers={"Authorization": "Bearer pat-test"}, json=upserts[0].json())
    assert_valid(response_schema, raw.json())


def test_upsert_validation(api):
    with pytest.raises(TaskApiException) as raised:  # not a unique-value property yet
        _upsert(api, "k", hs_timestamp="2025-06-01T00:00:00Z")
    assert raised.value.status == 400
    _create_key_property(api)
    with pytest.raises(TaskApiException) as raised:  # hs_timestamp is required on create
        _upsert(api, "k", hs_task_subject="x")
    assert raised.value.status == 400
    assert "hs_timestamp" in raised.value.body


def test_create_get_list_search_associate(api, hubspot, community):
    hubspot.search_lag = 0  # search sees writes at once (see test_search_lags_writes)
    _create_key_property(api)
    company = community.companies[0]
    created = api.crm.objects.tasks.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": "2025-06-01T12:00:00Z", "hs_task_subject": "Follow up",
                    KEY: "key-1"},
        associations=[{"to": {"id": company.id},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]))
    got = api.crm.objects.tasks.basic_api.get_by_id(created.id)
    assert got.properties["hs_task_subject"] == "Follow up"
    by_key = api.crm.objects.tasks.basic_api.get_by_id("key-1", id_property=KEY)
    assert by_key.id == created.id
    other = _upsert(api, "key-2", hs_timestamp="2025-06-02T00:00:00Z").results[0]
    result = api.crm.associations.v4.basic_api.create_default("tasks", other.id, "companies", company.id)
    assert result.status == "COMPLETE"
    api.crm.associations.v4.basic_api.create_default("tasks", other.id, "companies", company.id)
    assert {t["id"]: t["company_ids"] for t in hubspot.tasks()} == {
        created.id: [company.id], other.id: [company.id]}
    path = f"/crm/v4/objects/tasks/{other.id}/associations/default/companies/{company.id}"
    assert hubspot.requests[-1].path == path
    raw = requests.put(hubspot.base_url + path, timeout=5, headers={"Authorization": "Bearer pat-test"})
    assert_valid(response_validator(
        "hubspot", "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/"
                   "{toObjectType}/{toObjectId}", "put"), raw.json())
    listed = api.crm.objects.tasks.basic_api.get_page(limit=1)
    assert len(listed.results) == 1 and listed.paging.next.after
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks"),
                 _get(hubspot, "/crm/v3/objects/tasks", limit=1))
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks/{taskId}"),
                 _get(hubspot, f"/crm/v3/objects/tasks/{created.id}"))
    found = api.crm.objects.tasks.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": KEY, "operator": "EQ", "value": "key-2"}]}],
        properties=[KEY], limit=10))
    assert [t.id for t in found.results] == [other.id] and found.total == 1
    search = requests.post(hubspot.base_url + "/crm/v3/objects/tasks/search", timeout=5,
                           headers={"Authorization": "Bearer pat-test"},
                           json={"filterGroups": [], "limit": 1})
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks/search", "post"), search.json())
    post = requests.post(hubspot.base_url + "/crm/v3/objects/tasks", timeout=5,
                         headers={"Authorization": "Bearer pat-test"},
                         json={"properties": {"hs_timestamp": "2025-06-01T00:00:00Z"}, "associations": []})
    assert_valid(response_validator("hubspot", "/crm/v3/objects/tasks", "post", 201), post.json())


def test_missing_token(hubspot):
    response = requests.get(hubspot.base_url + "/crm/v3/objects/companies", timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["category"] == "INVALID_AUTHENTICATION" and body["status"] == "error"
    assert body["correlationId"]
