"""HubSpot list memberships, sequence enrollments, score write-back and won deals, over real HTTP."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from connectors.blocks import HubSpotCredentials
from connectors.errors import InvalidRequestError, NotFoundError
from connectors.hubspot import SCORE_PROPERTIES, HubSpotCrm
from connectors.retry import RetryPolicy
from scoring.records import AccountScoreUpdate
from tests.connectors.testing.spec import assert_valid, request_validator

UPDATE = "/crm/v3/objects/companies/batch/update"
ENROLL = "/automation/v4/sequences/enrollments"


def crm(hubspot, **kwargs) -> HubSpotCrm:
    block = HubSpotCredentials(access_token=hubspot.access_token, base_url=hubspot.base_url)
    return HubSpotCrm(block.get_client(), policy=RetryPolicy("hubspot", attempts=4, sleep=lambda s: None),
                      **kwargs)


def contacts(community) -> list[str]:
    return [p.contact_id for p in community.people if p.contact_id]


# -- lists -----------------------------------------------------------------------------------
def test_add_to_list_is_idempotent_and_fails_only_missing_ids(hubspot, community):
    ids = contacts(community)[:20]
    c = crm(hubspot)
    first = c.add_to_list(hubspot.nurture_list_id, [*ids[:10], "999", ids[0]])
    assert first.done == ids[:10] and set(first.failed) == {"999"}
    again = c.add_to_list(hubspot.nurture_list_id, ids)
    assert again.done == ids and again.failed == {}  # members already in count as done
    assert hubspot.list_members(hubspot.nurture_list_id) == sorted(ids, key=int)
    for body in (r.json() for r in hubspot.requests if r.method == "PUT"):
        assert_valid(request_validator("hubspot", "/crm/v3/lists/{listId}/memberships/add", "put"), body)


def test_add_to_list_chunks_large_additions(hubspot, community):
    hubspot.lists.add_limit = 500
    real = contacts(community)
    ids = real + [str(10**12 + i) for i in range(1100 - len(real))]
    result = crm(hubspot).add_to_list(hubspot.newsletter_list_id, ids)
    assert [len(r.json()) for r in hubspot.requests] == [500, 500, 100]
    assert result.done == real and len(result.failed) == 1100 - len(real)


def test_add_to_list_lost_answer_is_repeated_harmlessly(hubspot, community):
    ids = contacts(community)[:3]
    hubspot.faults.add(path=f"/crm/v3/lists/{hubspot.nurture_list_id}/memberships/add", lose_response=True)
    assert crm(hubspot).add_to_list(hubspot.nurture_list_id, ids).done == ids
    assert [r.status for r in hubspot.requests] == [200, 200]


def test_add_to_list_refusals_raise(hubspot, community):
    ids = contacts(community)[:2]
    with pytest.raises(InvalidRequestError):
        crm(hubspot).add_to_list(hubspot.customers_list_id, ids)  # a dynamic list
    with pytest.raises(NotFoundError):
        crm(hubspot).add_to_list("424242", ids)
    assert crm(hubspot).add_to_list(hubspot.nurture_list_id, []) == ([], {})


# -- sequences -------------------------------------------------------------------------------
def enroll(c: HubSpotCrm, hubspot, community, contact: str, sequence: str | None = None) -> str:
    owner = community.owners[0]
    return c.enroll_in_sequence(sequence_id=sequence or hubspot.nurture_sequence_id, contact_id=contact,
                                sender_email=owner.email, user_id=str(owner.user_id))


def test_enrollment_exactly_once(hubspot, community):
    contact = contacts(community)[0]
    c = crm(hubspot)
    first = enroll(c, hubspot, community, contact)
    assert enroll(c, hubspot, community, contact) == first
    assert [(r.method, r.status) for r in hubspot.requests] == [("GET", 404), ("POST", 200), ("GET", 200)]
    post = hubspot.requests[1]
    assert post.query == {"userId": [str(community.owners[0].user_id)]}
    assert_valid(request_validator("hubspot", ENROLL), post.json())
    assert c.enrollment_of(contact)["sequenceId"] == hubspot.nurture_sequence_id
    assert c.enrollment_of(contacts(community)[1]) is None


@pytest.mark.parametrize("fault", [{"lose_response": True}, {"status": 502}])
def test_enrollment_answer_lost_or_failed_is_looked_up_before_resending(hubspot, community, fault):
    contact = contacts(community)[0]
    hubspot.faults.add(path=ENROLL, method="POST", **fault)
    enrollment = enroll(crm(hubspot), hubspot, community, contact)
    assert [e["id"] for e in hubspot.enrollments()] == [enrollment]


def test_enrollment_refusals(hubspot, community):
    contact = contacts(community)[0]
    c = crm(hubspot)
    enroll(c, hubspot, community, contact)
    with pytest.raises(InvalidRequestError, match="already enrolled"):
        enroll(c, hubspot, community, contact, hubspot.champion_sequence_id)
    other = contacts(community)[1]
    with pytest.raises(InvalidRequestError):
        c.enroll_in_sequence(sequence_id=hubspot.nurture_sequence_id, contact_id=other,
                             sender_email="nobody@example.com", user_id=str(community.owners[0].user_id))
    with pytest.raises(NotFoundError):
        enroll(c, hubspot, community, other, "99")
    assert len(hubspot.enrollments()) == 1


# -- score write-back ------------------------------------------------------------------------
def row(account_id: str, score: float = 42.5, tier: str | None = "intent", **kwargs) -> AccountScoreUpdate:
    values = {"velocity": 3.25, "last_activity_at": None, **kwargs}
    return AccountScoreUpdate(account_id=account_id, score=score, tier=tier, **values)


def test_score_properties_are_created_once_in_their_group(hubspot):
    crm(hubspot).ensure_company_score_properties()
    created = [r.path for r in hubspot.requests if r.method == "POST"]
    assert created == ["/crm/v3/properties/companies/groups"] + ["/crm/v3/properties/companies"] * 4
    props = hubspot.property_store.of("companies")
    assert {n: (props[n]["type"], props[n]["groupName"]) for n in SCORE_PROPERTIES} == {
        "community_score": ("number", "community_scoring"), "community_tier": ("enumeration", "community_scoring"),
        "community_velocity": ("number", "community_scoring"),
        "community_last_activity": ("datetime", "community_scoring")}
    assert [o["value"] for o in props["community_tier"]["options"]] == ["awareness", "consideration", "intent"]
    hubspot.clear_requests()
    crm(hubspot).ensure_company_score_properties()
    assert {r.method for r in hubspot.requests} == {"GET"} and len(hubspot.requests) == 5


def test_score_property_create_whose_answer_was_lost(hubspot):
    hubspot.faults.add(path="/crm/v3/properties/companies", method="POST", lose_response=True, after=1)
    crm(hubspot).ensure_company_score_properties()
    assert set(SCORE_PROPERTIES) <= set(hubspot.property_store.of("companies"))


def test_scores_are_written_a_hundred_per_call_and_unknown_ids_fail_alone(hubspot, community, now):
    known = [c.id for c in community.companies]
    unknown = [str(9_000_000 + i) for i in range(160)]
    rows = [row(i, score=float(n), last_activity_at=now - timedelta(days=1)) for n, i in enumerate(known)]
    rows += [row(i) for i in unknown]
    c = crm(hubspot)
    result = c.write_company_scores(rows)
    assert sorted(result.done) == sorted(known) and set(result.failed) == set(unknown)
    assert "OBJECT_NOT_FOUND" in result.failed[unknown[0]]
    updates = [r for r in hubspot.requests if r.path == UPDATE]
    assert [len(r.json()["inputs"]) for r in updates] == [100, 100, 10]
    assert [r.status for r in updates] == [207, 207, 207]
    for body in (r.json() for r in updates):
        assert_valid(request_validator("hubspot", UPDATE), body)
    assert hubspot.company_values(known[3]) == {
        "community_score": "3", "community_tier": "intent", "community_velocity": "3.25",
        "community_last_activity": "2025-05-31T12:00:00.000Z"}
    hubspot.clear_requests()
    assert c.write_company_scores([row(known[0], tier=None)]).done == [known[0]]
    assert not any("properties" in r.path for r in hubspot.requests)  # ensured once per instance
    assert hubspot.company_values(known[0])["community_tier"] == ""


def test_unsendable_rows_fail_without_a_call_and_a_lost_answer_is_repeated(hubspot, community):
    ids = [c.id for c in community.companies[:3]]
    c = crm(hubspot)
    c.ensure_company_score_properties()
    hubspot.faults.add(path=UPDATE, lose_response=True)
    result = c.write_company_scores([row(ids[0], score=math.nan), row(ids[1], tier="hot"),
                                     row(ids[2]), row(ids[2], score=7.0)])
    assert result.done == [ids[2]] and set(result.failed) == {ids[0], ids[1]}
    assert hubspot.company_values(ids[2])["community_score"] == "7"
    assert [len(r.json()["inputs"]) for r in hubspot.requests if r.path == UPDATE] == [1, 1]


# -- deals -----------------------------------------------------------------------------------
def test_closed_won_deals_with_their_company(hubspot, now):
    won = [d for d in hubspot.deals if d.stage == "closedwon"]
    got = [o for page in crm(hubspot).closed_won_deals() for o in page]
    assert [(o.id, o.account_id, o.amount, o.closed_at) for o in got] == [
        (d.id, d.company_id, d.amount, d.close_date.replace(microsecond=d.close_date.microsecond // 1000 * 1000))
        for d in won]
    assert all(o.is_won and o.stage == "closedwon" for o in got)
    since = now - timedelta(days=30)
    calls = len(hubspot.requests)
    recent = [(o.id, o.account_id) for page in crm(hubspot).closed_won_deals(since) for o in page]
    assert sorted(recent) == sorted((d.id, d.company_id) for d in won if d.modified_at >= since)
    assert 0 < len(recent) < len(won)
    searched = [r.path for r in hubspot.requests[calls:]]  # one search page and its companies
    assert searched == ["/crm/v3/objects/deals/search", "/crm/v4/associations/deals/companies/batch/read"]
    with pytest.raises(ValueError):
        next(crm(hubspot).closed_won_deals(since.replace(tzinfo=None)))


def test_deals_are_flagged_community_influenced_in_batches_and_207_fails_only_missing_ids(hubspot):
    won = [d.id for d in hubspot.deals if d.stage == "closedwon"]
    c = crm(hubspot)
    result = c.flag_deals([*won, "123456"])
    assert sorted(result.done) == sorted(won) and list(result.failed) == ["123456"]
    assert all(hubspot.deal_values(i) == {"community_influenced": "true"} for i in won)
    created = [r.path for r in hubspot.requests if r.method == "POST" and "/properties/" in r.path]
    assert created == ["/crm/v3/properties/deals/groups", "/crm/v3/properties/deals"]
    again = c.flag_deals(won)  # harmless to repeat; the property is not created twice
    assert again.done == won and [r.path for r in hubspot.requests if r.method == "POST" and "/properties/" in r.path] == created
    read = {o.id: o.community_influenced for page in c.closed_won_deals() for o in page}
    assert all(read[i] for i in won)


def test_flag_deals_sends_100_a_call(hubspot):
    ids = [str(9_000_000_000 + i) for i in range(250)]
    result = crm(hubspot).flag_deals(ids)
    assert len(result.failed) == 250
    sizes = [len(r.json()["inputs"]) for r in hubspot.requests if r.path.endswith("/deals/batch/update")]
    assert sizes == [100, 100, 50]
