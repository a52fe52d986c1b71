"""HubSpot tasks 100 a call with their company inline, still exactly once, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.errors import RetryableError
from connectors.hubspot import TASK_KEY_PROPERTY
from connectors.batch import TaskSpec
from tests.connectors.test_hubspot_tasks import Clocks, crm

BATCH = "/crm/v3/objects/tasks/batch/create"


def specs(community, now, n: int, **kwargs) -> list[TaskSpec]:
    companies = community.companies
    return [TaskSpec(f"intent:{i}:task", companies[i % 3].id, f"Call {i}", "Acme is in Intent",
                     now + timedelta(hours=4), companies[i % 3].owner_id, **kwargs) for i in range(n)]


def calls(hubspot) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in hubspot.requests if r.path.startswith("/crm/v3/objects/tasks")]


def test_250_tasks_take_three_calls_with_their_companies_inline(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.clear_requests()
    wanted = specs(community, now, 250)
    batch = c.create_tasks(wanted)
    assert calls(hubspot) == [("POST", BATCH)] * 3
    assert [len(r.json()["inputs"]) for r in hubspot.requests] == [100, 100, 50]
    tasks = {t["properties"][TASK_KEY_PROPERTY]: t for t in hubspot.tasks()}
    assert set(batch.ids) == set(tasks) == {s.key for s in wanted} and not batch.failed and not batch.unsettled
    assert all(tasks[s.key]["company_ids"] == [s.company_id] for s in wanted)
    assert {batch.ids[k] for k in batch.ids} == {t["id"] for t in tasks.values()}


def test_a_lost_batch_answer_is_looked_up_by_key_not_sent_again(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.clear_requests()
    hubspot.faults.add(path=BATCH, method="POST", lose_response=True)
    batch = c.create_tasks(specs(community, now, 30))
    assert calls(hubspot) == [("POST", BATCH), ("POST", "/crm/v3/objects/tasks/batch/read")]
    assert len(hubspot.tasks()) == 30 and len(batch.ids) == 30


@pytest.mark.parametrize("caught_up", [False, True])
def test_without_unique_keys_a_maybe_sent_batch_waits_for_search_then_settles(no_unique, community, now, caught_up):
    no_unique.search_lag = 3.0
    clocks = Clocks(no_unique, now)
    c = crm(no_unique, clock=clocks, search_settle=30)
    c.ensure_task_key_property()
    no_unique.faults.add(path=BATCH, method="POST", lose_response=True)
    first = c.create_tasks(specs(community, now, 20))
    assert len(first.unsettled) == 20 and not first.ids and len(no_unique.tasks()) == 20
    clocks.advance(5 if caught_up else 1)
    again = c.create_tasks(specs(community, now, 20, maybe_sent_at=now))
    assert (len(again.ids), len(again.unsettled)) == ((20, 0) if caught_up else (0, 20))
    assert len(no_unique.tasks()) == 20  # never sent twice
    search = [r.json() for r in no_unique.requests if r.path.endswith("/search")]
    assert search[-1]["filterGroups"][0]["filters"][0]["operator"] == "IN"


def test_a_batch_hubspot_refuses_is_done_one_task_at_a_time(hubspot, community, now):
    """One key HubSpot already has (409 for the whole batch): that one is returned, the rest created once."""
    c = crm(hubspot)
    c.ensure_task_key_property()
    wanted = specs(community, now, 5)
    other = hubspot.store.create({TASK_KEY_PROPERTY: wanted[2].key, "hs_timestamp": "2025-06-01T16:00:00Z"})
    batch = c.create_tasks(wanted)
    assert batch.ids[wanted[2].key] == other.id and len(batch.ids) == 5
    assert sorted(t["properties"][TASK_KEY_PROPERTY] for t in hubspot.tasks()) == sorted(s.key for s in wanted)


def test_a_task_for_a_deleted_company_fails_alone(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    wanted = specs(community, now, 4)
    wanted[1] = TaskSpec(wanted[1].key, "999999999", "x", "y", now + timedelta(hours=1))
    batch = c.create_tasks(wanted)
    assert set(batch.failed) == {wanted[1].key} and len(batch.ids) == 3


def test_hubspot_down_raises_after_the_retries_for_the_run_to_leave_the_batch_open(hubspot, community, now):
    c = crm(hubspot)
    c.ensure_task_key_property()
    hubspot.faults.add(path=BATCH, method="POST", status=503, times=10)
    with pytest.raises(RetryableError):
        c.create_tasks(specs(community, now, 3))
    assert hubspot.tasks() == []


@pytest.fixture
def no_unique(hubspot):
    hubspot.refuse_unique_task_property = True
    return hubspot
