"""HubSpot tasks exactly once, with and without a unique task key, over real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from connectors.blocks import HubSpotCredentials
from connectors.errors import Unsettled
from connectors.hubspot import TASK_KEY_PROPERTY, HubSpotCrm
from connectors.retry import RetryPolicy
from tests.connectors.testing.spec import assert_valid, request_validator

KEY = "intent:5100000000:2025-06-01:task"
CREATE = "/crm/v3/objects/tasks"


class Clocks:
    """The connector's wall clock and the emulator's search-index clock, moved together."""

    def __init__(self, hubspot, start: datetime) -> None:
        self.now, self.index = start, 1000.0
        hubspot.store.clock = lambda: self.index

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.index += seconds


def crm(hubspot, **kwargs) -> HubSpotCrm:
    block = HubSpotCredentials(access_token=hubspot.access_token, base_url=hubspot.base_url)
    return HubSpotCrm(block.get_client(), policy=RetryPolicy("hubspot", attempts=4, sleep=lambda s: None),
                      **kwargs)


def upsert(c: HubSpotCrm, community, now: datetime, **kwargs) -> str:
    company = community.companies[0]
    args = {"key": KEY, "company_id": company.id, "subject": "Call them", "body": "Acme is in Intent",
            "due": now + timedelta(hours=4), "owner_id": company.owner_id}
    return c.upsert_task(**{**args, **kwargs})


def writes(hubspot) -> list[tuple[str, str]]:
    """The requests that could create or change a task."""
    return [(r.method, r.path) for r in hubspot.requests
            if r.path.startswith("/crm/v3/objects/tasks") and r.method in ("POST", "PATCH")
            and not r.path.endswith(("/search", "/batch/read"))]


@pytest.fixture
def no_unique(hubspot):
    hubspot.refuse_unique_task_property = True
    return hubspot


# -- the key property ------------------------------------------------------------------------
def test_unique_key_property_is_created_once(hubspot):
    c = crm(hubspot)
    assert c.ensure_task_key_property() is True and c.task_keys_unique is True
    assert crm(hubspot).ensure_task_key_property() is True  # found by the GET
    assert [r.method for r in hubspot.requests] == ["GET", "POST", "GET"]
    assert hubspot.property_store.get("tasks", TASK_KEY_PROPERTY)["hasUniqueValue"] is True


def test_refused_unique_key_falls_back_to_a_plain_property(no_unique):
    c = crm(no_unique)
    assert c.ensure_task_key_property() is False and c.task_keys_unique is False
    assert [r.status for r in no_unique.requests] == [404, 400, 201]
    assert no_unique.property_store.get("tasks", TASK_KEY_PROPERTY)["hasUniqueValue"] is False
    assert crm(no_unique).ensure_task_key_property() is False  # read from the GET


def test_key_property_create_whose_answer_was_lost(hubspot):
    hubspot.faults.add(path="/crm/v3/properties/tasks", method="POST", lose_response=True)
    assert crm(hubspot).ensure_task_key_property() is True
    assert [(r.method, r.status) for r in hubspot.requests] == [("GET", 404), ("POST", 201), ("GET", 200)]


# -- unique keys -----------------------------------------------------------------------------
def test_unique_key_creates_once_with_the_company_in_the_same_call(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.clear_requests()
    first = upsert(c, community, now)
    second = upsert(c, community, now, subject="Changed")
    [task] = hubspot.tasks()
    assert first == second == task["id"] and task["company_ids"] == [community.companies[0].id]
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    assert task["properties"]["hs_task_subject"] == "Call them"  # an existing task is left as it is
    assert [(r.method, r.status) for r in hubspot.requests] == [("GET", 404), ("POST", 201), ("GET", 200)]
    create = hubspot.requests[1].json()
    assert_valid(request_validator("hubspot", CREATE), create)
    assert create["associations"] == [{"to": {"id": community.companies[0].id}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]
    assert hubspot.requests[0].query["idProperty"] == [TASK_KEY_PROPERTY]


def test_unique_key_lost_answer_on_create_is_looked_up_not_resent(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.faults.add(path=CREATE, method="POST", lose_response=True)
    task_id = upsert(c, community, now)
    assert [t["id"] for t in hubspot.tasks()] == [task_id]
    assert writes(hubspot) == [("POST", CREATE)]


def test_unique_key_5xx_on_create_looks_up_before_the_next_create(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.clear_requests()
    hubspot.faults.add(path=CREATE, method="POST", status=503)
    task_id = upsert(c, community, now)
    assert [(r.method, r.status) for r in hubspot.requests] == [
        ("GET", 404), ("POST", 503), ("GET", 404), ("POST", 201)]
    assert [t["id"] for t in hubspot.tasks()] == [task_id]


def test_unique_key_conflict_on_create_returns_the_other_task(hubspot, community, now):
    """Another run created the task between our lookup and our create: HubSpot says 409."""
    c = crm(hubspot)
    c.ensure_task_key_property()
    other = hubspot.store.create({TASK_KEY_PROPERTY: KEY, "hs_timestamp": "2025-06-01T16:00:00Z"})
    hubspot.faults.add(path=f"{CREATE}/", method="GET", status=404)  # the lookup raced it
    hubspot.clear_requests()
    assert upsert(c, community, now) == other.id
    assert [(r.method, r.status) for r in hubspot.requests] == [("GET", 404), ("POST", 409), ("GET", 200)]
    assert len(hubspot.tasks()) == 1


@pytest.mark.parametrize("unique", [True, False])
def test_a_completed_task_is_never_reopened(hubspot, community, now, unique):
    hubspot.refuse_unique_task_property = not unique
    clocks = Clocks(hubspot, now)
    c = crm(hubspot, clock=clocks, search_settle=60)
    first = upsert(c, community, now)
    hubspot.complete_task(first)
    clocks.advance(5)  # the index has caught up
    hubspot.clear_requests()
    assert upsert(c, community, now, maybe_sent_at=now) == first
    [task] = hubspot.tasks()
    assert task["properties"]["hs_task_status"] == "COMPLETED"
    assert writes(hubspot) == []


# -- without unique keys: search, which lags ------------------------------------------------
def test_first_attempt_without_unique_keys_creates_without_searching(no_unique, community, now):
    c = crm(no_unique)
    c.ensure_task_key_property()
    no_unique.clear_requests()
    task_id = upsert(c, community, now)
    assert [(r.method, r.path) for r in no_unique.requests] == [("POST", CREATE)]
    assert [t["id"] for t in no_unique.tasks()] == [task_id]


def test_lost_create_without_unique_keys_is_unsettled_until_search_shows_it(no_unique, community, now):
    no_unique.search_lag = 3.0
    clocks = Clocks(no_unique, now)
    c = crm(no_unique, clock=clocks, search_settle=30)
    c.ensure_task_key_property()
    no_unique.faults.add(path=CREATE, method="POST", lose_response=True)
    with pytest.raises(Unsettled):  # created, answer lost; the retry's search cannot tell yet
        upsert(c, community, now)
    assert len(no_unique.tasks()) == 1 and writes(no_unique) == [("POST", CREATE)]
    clocks.advance(1)
    with pytest.raises(Unsettled):  # a later run, the index still behind
        upsert(c, community, now, maybe_sent_at=now)
    clocks.advance(2)
    [task] = no_unique.tasks()
    assert upsert(c, community, now, maybe_sent_at=now) == task["id"]
    assert writes(no_unique) == [("POST", CREATE)]


def test_nothing_found_after_the_settle_time_means_nothing_was_created(no_unique, community, now):
    clocks = Clocks(no_unique, now)
    c = crm(no_unique, clock=clocks, search_settle=30)
    c.ensure_task_key_property()
    with pytest.raises(Unsettled):
        upsert(c, community, now, maybe_sent_at=now - timedelta(seconds=29))
    task_id = upsert(c, community, now, maybe_sent_at=now - timedelta(seconds=31))
    assert [t["id"] for t in no_unique.tasks()] == [task_id]
    search = [r.json() for r in no_unique.requests if r.path.endswith("/search")]
    assert search[-1]["filterGroups"] == [{"filters": [
        {"propertyName": TASK_KEY_PROPERTY, "operator": "EQ", "value": KEY}]}]


def test_a_429_on_create_is_not_a_maybe(no_unique, community, now):
    """HubSpot refuses a rate-limited call unread: the retry creates without waiting for search."""
    no_unique.search_lag = 60.0
    c = crm(no_unique, clock=Clocks(no_unique, now), search_settle=30)
    c.ensure_task_key_property()
    no_unique.faults.add(path=CREATE, method="POST", status=429)
    task_id = upsert(c, community, now)
    assert [t["id"] for t in no_unique.tasks()] == [task_id]


# -- reading back ----------------------------------------------------------------------------
def test_tasks_closed_reads_a_hundred_per_call(hubspot):
    ids = [hubspot.store.create({"hs_timestamp": "2025-06-01T12:00:00Z"}).id for _ in range(150)]
    for task_id in ids[::7]:
        hubspot.complete_task(task_id)
    closed = crm(hubspot).tasks_closed([*ids, "12345", ids[0]])
    assert closed == {t: ids.index(t) % 7 == 0 for t in ids}
    reads = [r.json() for r in hubspot.requests if r.path == "/crm/v3/objects/tasks/batch/read"]
    assert [len(r["inputs"]) for r in reads] == [100, 51]
    for body in reads:
        assert_valid(request_validator("hubspot", "/crm/v3/objects/tasks/batch/read"), body)
    assert crm(hubspot).tasks_closed([]) == {}
