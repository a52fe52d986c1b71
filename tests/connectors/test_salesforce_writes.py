"""The playbooks' Salesforce writes over real HTTPS: score write-back, campaign members,
exactly-once tasks that stay completed, and task SLA reads."""

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from connectors.blocks import SalesforceCredentials
from connectors.retry import RetryPolicy
from connectors.salesforce import SalesforceCrm
from connectors.testing import SalesforceEmulator
from scoring.records import AccountScoreUpdate

COLLECTIONS = "/services/data/v59.0/composite/sobjects"
TASK_BY_KEY = "/services/data/v59.0/sobjects/Task/Community_Action_Key__c"


@pytest.fixture
def salesforce(community):
    with SalesforceEmulator(community) as emulator:
        yield emulator


def crm(emulator: SalesforceEmulator, slept: list[float] | None = None) -> SalesforceCrm:
    block = SalesforceCredentials(instance_url=emulator.instance_url, session_id=emulator.session_id)
    policy = RetryPolicy("salesforce", attempts=4,
                         sleep=slept.append if slept is not None else lambda s: None)
    return SalesforceCrm(block.get_client(session=emulator.session()), policy=policy)


def collection_calls(emulator: SalesforceEmulator, method: str) -> list[list[dict]]:
    return [r.json()["records"] for r in emulator.requests
            if r.path == COLLECTIONS and r.method == method]


def accounts(emulator: SalesforceEmulator, n: int) -> list[str]:
    """``n`` account ids: the generated ones, then more created the way an import would."""
    ids = [a["Id"] for a in emulator.records("Account")]
    ids += [emulator.data.insert("Account", {"Name": f"Extra {i}"}) for i in range(n - len(ids))]
    return ids[:n]


def contacts(emulator: SalesforceEmulator, n: int) -> list[str]:
    ids = [c["Id"] for c in emulator.records("Contact")]
    ids += [emulator.data.insert("Contact", {"LastName": f"Extra {i}", "Email": f"x{i}@x.example"})
            for i in range(n - len(ids))]
    return ids[:n]


def nurture_members(emulator: SalesforceEmulator) -> list[dict]:
    return [m for m in emulator.records("CampaignMember")
            if m["CampaignId"] == emulator.nurture_campaign_id]


# -- score write-back ----------------------------------------------------------------------
def test_score_write_back_450_accounts_in_three_calls(salesforce, now):
    ids = accounts(salesforce, 450)
    rows = [AccountScoreUpdate(a, i + 0.126, "intent", i / 3 - 50, now - timedelta(hours=i))
            for i, a in enumerate(ids)]
    result = crm(salesforce).write_account_scores(rows)
    assert [len(call) for call in collection_calls(salesforce, "PATCH")] == [200, 200, 50]
    assert result.done == ids and result.failed == {}
    stored = salesforce.data.get("Account", ids[7])
    assert (stored["Community_Score__c"], stored["Community_Tier__c"], stored["Community_Velocity__c"]) == (
        7.13, "intent", round(7 / 3 - 50, 2))
    assert stored["Community_Last_Activity__c"].startswith(
        (now - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_score_write_back_fails_exactly_the_refused_accounts(salesforce, now):
    ids = accounts(salesforce, 450)
    rows = [AccountScoreUpdate(a, 1.0, "consideration", 0.5, now) for a in ids]
    rows[3] = AccountScoreUpdate("001Dx9999999999AAA", 1.0, "intent", 0.0, None)  # deleted meanwhile
    rows[250] = AccountScoreUpdate(ids[250], 1.0, "t" * 41, 0.0, None)  # Text(40)
    rows[420] = AccountScoreUpdate(ids[420], 1e15, "intent", 0.0, None)  # Number(16, 2)
    rows[421] = AccountScoreUpdate(ids[421], float("nan"), "intent", 0.0, None)
    result = crm(salesforce).write_account_scores(rows)
    refused = {"001Dx9999999999AAA", ids[250], ids[420], ids[421]}
    assert set(result.failed) == refused
    assert "INVALID_CROSS_REFERENCE_KEY" in result.failed["001Dx9999999999AAA"]
    assert "STRING_TOO_LONG" in result.failed[ids[250]]
    assert "NUMBER_OUTSIDE_VALID_RANGE" in result.failed[ids[420]]
    assert "finite" in result.failed[ids[421]]
    assert result.done == [r.account_id for r in rows if r.account_id not in refused]
    # the NaN row never left the process; the others went out 200 a call
    sent = [r["Id"] for call in collection_calls(salesforce, "PATCH") for r in call]
    assert ids[421] not in sent and [len(c) for c in collection_calls(salesforce, "PATCH")] == [200, 200, 49]
    assert salesforce.data.get("Account", ids[0])["Community_Tier__c"] == "consideration"
    assert salesforce.data.get("Account", ids[250])["Community_Tier__c"] is None


def test_score_write_back_sends_each_account_once_last_row_wins(salesforce, now):
    a, b = accounts(salesforce, 2)
    rows = [AccountScoreUpdate(a, 1.0, "awareness", 0.0, None), AccountScoreUpdate(b, 2.0, None, 0.0, None),
            AccountScoreUpdate(a, 3.0, "intent", 1.0, now)]
    assert crm(salesforce).write_account_scores(rows).done == [a, b]
    [call] = collection_calls(salesforce, "PATCH")
    assert [r["Id"] for r in call] == [a, b]
    assert salesforce.data.get("Account", a)["Community_Score__c"] == 3.0


def test_score_write_back_refuses_a_naive_datetime_before_sending(salesforce):
    [a] = accounts(salesforce, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        crm(salesforce).write_account_scores([AccountScoreUpdate(a, 1.0, None, 0.0, datetime(2025, 1, 1))])
    assert salesforce.requests == []


def test_nothing_to_write_sends_nothing(salesforce):
    c = crm(salesforce)
    assert c.write_account_scores([]) == ([], {})
    assert c.add_campaign_members(salesforce.nurture_campaign_id, []) == ([], {})
    assert c.tasks_closed([]) == {}
    assert salesforce.requests == []


def test_flag_opportunities(salesforce):
    ids = [o["Id"] for o in salesforce.records("Opportunity")[:3]]
    result = crm(salesforce).flag_opportunities([*ids, ids[0]])
    assert result.done == ids and result.failed == {}
    assert all(salesforce.data.get("Opportunity", i)["Community_Influenced__c"] for i in ids)


# -- campaign members ----------------------------------------------------------------------
def test_campaign_members_450_in_three_calls_and_again_adds_nobody(salesforce):
    people = contacts(salesforce, 450)
    c = crm(salesforce)
    first = c.add_campaign_members(salesforce.nurture_campaign_id, people)
    assert first.done == people and first.failed == {}
    assert [len(call) for call in collection_calls(salesforce, "POST")] == [200, 200, 50]
    assert sorted(m["ContactId"] for m in nurture_members(salesforce)) == sorted(people)
    salesforce.clear_requests()
    again = c.add_campaign_members(salesforce.nurture_campaign_id, [*people, people[0]])
    assert again.done == people and again.failed == {}  # DUPLICATE_VALUE: already a member
    assert [len(call) for call in collection_calls(salesforce, "POST")] == [200, 200, 50]
    assert len(nurture_members(salesforce)) == 450


def test_campaign_members_fail_exactly_the_refused_contacts(salesforce):
    people = contacts(salesforce, 5)
    asked = [people[0], "003Dx9999999999AAA", people[1], "nope", people[2]]
    result = crm(salesforce).add_campaign_members(salesforce.newsletter_campaign_id, asked,
                                                  status="Responded")
    assert result.done == [people[0], people[1], people[2]]
    assert set(result.failed) == {"003Dx9999999999AAA", "nope"}
    assert "INVALID_CROSS_REFERENCE_KEY" in result.failed["003Dx9999999999AAA"]
    assert "MALFORMED_ID" in result.failed["nope"]
    added = [m for m in salesforce.records("CampaignMember")
             if m["CampaignId"] == salesforce.newsletter_campaign_id]
    assert {m["Status"] for m in added} == {"Responded"} and len(added) == 3


def test_campaign_members_lost_answer_is_retried_without_duplicates(salesforce):
    people = contacts(salesforce, 250)
    slept: list[float] = []
    salesforce.faults.add(path=COLLECTIONS, method="POST", lose_response=True)
    result = crm(salesforce, slept).add_campaign_members(salesforce.nurture_campaign_id, people)
    assert result.done == people and result.failed == {} and len(slept) == 1
    assert sorted(m["ContactId"] for m in nurture_members(salesforce)) == sorted(people)
    posts = [r for r in salesforce.requests if r.path == COLLECTIONS]
    assert [len(r.json()["records"]) for r in posts] == [200, 200, 50]  # the first chunk twice


# -- tasks ---------------------------------------------------------------------------------
def task_args(salesforce: SalesforceEmulator, now: datetime, **extra):
    account = salesforce.records("Account")[1]
    return dict(key="intent:acct:1:task", company_id=account["Id"], subject="Call them",
                body="b", due=now + timedelta(hours=4), owner_id=account["OwnerId"], **extra)


def test_a_completed_task_stays_completed_when_upserted_again(salesforce, now):
    c = crm(salesforce)
    task_id = c.upsert_task(**task_args(salesforce, now))
    salesforce.complete_task(task_id)  # the owner closes it in Salesforce
    again = c.upsert_task(**task_args(salesforce, now, maybe_sent_at=now - timedelta(minutes=5)))
    [task] = salesforce.records("Task")
    assert again == task_id == task["Id"]
    assert (task["Status"], task["IsClosed"]) == ("Completed", True)
    upserts = [r for r in salesforce.requests if r.path.startswith(TASK_BY_KEY)]
    assert len(upserts) == 2 and all("Status" not in r.json() for r in upserts)
    assert c.tasks_closed([task_id]) == {task_id: True}


def test_a_lost_upsert_answer_is_retried_into_exactly_one_task(salesforce, now):
    slept: list[float] = []
    salesforce.faults.add(path=TASK_BY_KEY, lose_response=True)
    task_id = crm(salesforce, slept).upsert_task(**task_args(salesforce, now))
    [task] = salesforce.records("Task")
    assert task_id == task["Id"] and len(slept) == 1
    # the first attempt created the task (its answer lost); the retry found it by key
    assert [r.status for r in salesforce.requests] == [201, 200]


def test_tasks_closed_queries_200_ids_at_a_time(salesforce):
    account_id = salesforce.records("Account")[0]["Id"]
    ids = [salesforce.data.insert("Task", {"Subject": f"t{i}", "WhatId": account_id,
                                           "Status": "Not Started"}) for i in range(430)]
    for task_id in ids[::7]:
        salesforce.complete_task(task_id)
    missing = "00TDx9999999999AAA"
    asked = [*ids, missing, "not an id", ids[0]]
    closed = crm(salesforce).tasks_closed(asked)
    assert closed == {task_id: i % 7 == 0 for i, task_id in enumerate(ids)}
    queries = [r for r in salesforce.requests if "q" in r.query]
    assert len(queries) == 3 and all("FROM Task WHERE Id IN (" in r.query["q"][0] for r in queries)
    # each URL stays far below Salesforce's 16 KB URI limit
    assert all(len(r.path) + 1 + len(urlencode(r.query, doseq=True)) < 8_000 for r in queries)


def test_tasks_closed_follows_pages_and_keeps_15_character_ids(community):
    with SalesforceEmulator(community, batch_size=7) as salesforce:
        account_id = salesforce.records("Account")[0]["Id"]
        ids = [salesforce.data.insert("Task", {"Subject": f"t{i}", "WhatId": account_id})
               for i in range(20)]
        salesforce.complete_task(ids[3])
        short = ids[3][:15]
        closed = crm(salesforce).tasks_closed([short, *ids[4:]])
        assert closed == {short: True, **{t: False for t in ids[4:]}}
        assert any("/query/01g" in r.path for r in salesforce.requests)


def test_due_dates_are_utc_days(salesforce):
    late_evening = datetime(2025, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    crm(salesforce).upsert_task(**{**task_args(salesforce, late_evening), "due": late_evening})
    [task] = salesforce.records("Task")
    assert task["ActivityDate"] == "2025-06-02"


def test_450_tasks_in_three_calls_exactly_once_and_completed_ones_stay_completed(salesforce, now):
    from connectors.batch import TaskSpec

    ids = accounts(salesforce, 3)
    specs = [TaskSpec(f"intent:{i}:task", ids[i % 3], f"Call {i}", "b", now + timedelta(hours=4)) for i in range(450)]
    c = crm(salesforce)
    first = c.create_tasks(specs)
    assert len(first.ids) == 450 and not first.failed
    upserts = [r for r in salesforce.requests if r.path == f"{COLLECTIONS}/Task/Community_Action_Key__c"]
    assert [len(r.json()["records"]) for r in upserts] == [200, 200, 50]
    assert all("Status" not in record for r in upserts for record in r.json()["records"])
    salesforce.complete_task(first.ids["intent:7:task"])

    salesforce.faults.add(path=f"{COLLECTIONS}/Task/Community_Action_Key__c", lose_response=True)
    again = c.create_tasks(specs)  # a re-run after a lost answer: the same tasks, none reopened
    assert again.ids == first.ids and len(salesforce.records("Task")) == 450
    closed = [t for t in salesforce.records("Task") if t["IsClosed"]]
    assert [t["Id"] for t in closed] == [first.ids["intent:7:task"]]


def test_a_task_salesforce_refuses_fails_alone(salesforce, now):
    from connectors.batch import TaskSpec

    ids = accounts(salesforce, 2)
    specs = [TaskSpec("a", ids[0], "ok", "b", now), TaskSpec("b", "001000000000000AAA", "bad account", "b", now),
             TaskSpec("c", ids[1], "ok", "b", now)]
    batch = crm(salesforce).create_tasks(specs)
    assert set(batch.ids) == {"a", "c"} and set(batch.failed) == {"b"}
