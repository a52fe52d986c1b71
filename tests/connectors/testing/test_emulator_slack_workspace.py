"""The Slack emulator's workspace methods through slack_sdk, checked against the Web API spec.

Errata on top of `connectors.testing.specs.ERRATA` (the 2021 document lags the service), kept
here because they concern only these methods:

* ``conversations.replies``: the document's message tuple is nested one ``items`` too deep
  (so it checks nothing); it is applied as meant, parent first, then replies.
* ``conversations.replies`` pages like every cursor method since 2018 (``has_more``,
  ``response_metadata``) and its message items carry ``reactions``, ``subtype``
  (``thread_broadcast``), ``bot_id`` and, on the parent, ``reply_users_count``/``latest_reply``
  — fields the document lists for messages elsewhere but not in its closed item schemas.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.testing import SlackEmulator, generate_slack_workspace
from tests.connectors.testing.spec import assert_valid, load_spec, response_validator



def replies_validator(continuation: bool = False) -> Draft4Validator:
    """The first page starts with the parent; continuation pages hold replies only."""
    _, spec = load_spec("slack", "/conversations.replies")
    spec = copy.deepcopy(spec)
    schema = spec["paths"]["/conversations.replies"]["get"]["responses"]["200"]["schema"]
    schema["properties"]["response_metadata"] = {
        "type": "object", "properties": {"next_cursor": {"type": "string"}}}
    parent, reply = schema["properties"]["messages"]["items"]["items"]
    # The document nests the tuple one level too deep (an ``items`` inside ``items``), which
    # validates nothing; apply it as meant: the parent, then replies.
    schema["properties"]["messages"] = (
        {"type": "array", "items": reply} if continuation
        else {"type": "array", "items": [parent, reply], "additionalItems": reply})
    for item in (parent, reply):
        item["properties"].update(
            reactions={"type": "array", "items": {"$ref": "#/definitions/objs_reaction"}},
            subtype={"type": "string"}, bot_id={"type": "string"},
            reply_users_count={"type": "integer"})
    uri = f"urn:test:slack-replies:{continuation}"
    registry = Registry().with_resource(uri, Resource.from_contents(spec, default_specification=DRAFT4))
    path = "/paths/~1conversations.replies/get/responses/200/schema"
    return Draft4Validator({"$ref": f"{uri}#{path}"}, registry=registry)


@pytest.fixture
def workspace(community, now):
    return generate_slack_workspace(community, messages=400, seed=5, now=now)


@pytest.fixture
def ws_emulator(community, workspace):
    with SlackEmulator(community, workspace=workspace) as em:
        yield em


@pytest.fixture
def client(ws_emulator) -> WebClient:
    return WebClient(base_url=ws_emulator.base_url + "/api/", token="xoxb-test", retry_handlers=[])


def test_generator_is_deterministic_and_shaped(community, now, workspace):
    again = generate_slack_workspace(community, messages=400, seed=5, now=now)
    for channel in workspace.channels:
        a, b = workspace.messages(channel.id), again.messages(channel.id)
        assert [(m.ts, m.user, m.text, m.reactions) for m in a] == [(m.ts, m.user, m.text, m.reactions) for m in b]
    assert 400 <= workspace.message_count() <= 460
    every = [m for c in workspace.channels for m in workspace.messages(c.id)]
    assert all(now - timedelta(days=91) < m.at < now for m in every)
    assert {m.subtype for m in every} >= {None, "channel_join", "bot_message", "thread_broadcast"}
    texts = " ".join(m.text for m in every)
    assert "<!channel>" in texts and "🎉" in texts and max(len(m.text) for m in every) > 39_000
    assert sum(1 for m in every if m.reactions) > 50
    assert sum(1 for m in every if m.is_reply) > 150
    people = {p.slack_user_id for p in community.people}
    assert len({m.user for m in every if m.user in people}) > 50  # the same people as Discourse


def test_mutators(workspace, now):
    user = workspace.community.people[4].slack_user_id
    m = workspace.add_message("#help", user, "hi", at=now)
    r = workspace.add_reply("help", m.ts, user, "again", at=now + timedelta(seconds=1))
    workspace.add_reaction("help", r.ts, user, "eyes")
    with pytest.raises(ValueError):
        workspace.add_reaction("help", r.ts, user, "eyes")
    with pytest.raises(ValueError):
        workspace.add_reply("help", m.ts, user, "too early", ts=m.ts)
    with pytest.raises(KeyError):
        workspace.add_reply("help", r.ts, user, "reply to a reply")
    assert workspace.replies("help", m.ts) == [r] and workspace.history("help")[-1] is m


def test_conversations_list_paged_typed_archived(client, workspace):
    validator = response_validator("slack", "/conversations.list")
    names, cursor = [], None
    while True:
        page = client.conversations_list(limit=2, cursor=cursor, exclude_archived=True,
                                         types="public_channel,private_channel")
        assert_valid(validator, page.data)
        names += [c["name"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert names == ["community-alerts", "general", "help", "feature-requests", "announcements", "random"]
    everything = client.conversations_list(limit=100)["channels"]
    assert [c["is_archived"] for c in everything if c["name"] == "old-support"] == [True]
    assert client.conversations_list(types="private_channel")["channels"] == []


def test_history_newest_first_threads_and_reactions(client, workspace):
    validator = response_validator("slack", "/conversations.history")
    cid = workspace.channel("help").id
    got, cursor = [], None
    while True:
        page = client.conversations_history(channel=cid, limit=40, cursor=cursor)
        assert_valid(validator, page.data)
        got += page["messages"]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert [m["ts"] for m in got] == [m.ts for m in reversed(workspace.history("help"))]
    parent = next(m for m in got if m.get("reply_count"))
    replies = workspace.replies("help", parent["ts"])
    assert (parent["thread_ts"], parent["reply_count"], parent["latest_reply"]) == (
        parent["ts"], len(replies), replies[-1].ts)
    assert all(m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast" for m in got)
    reacted = next(m for m in got if m.get("reactions"))
    assert all(r["count"] == len(r["users"]) for r in reacted["reactions"])
    by_name = client.conversations_history(channel=cid, limit=1000)
    assert len(by_name["messages"]) == len(got) and not by_name["has_more"]


def test_history_bounds(client, workspace):
    cid = workspace.channel("general").id
    ts = [m.ts for m in workspace.history("general")]
    body = client.conversations_history(channel=cid, oldest=ts[-4], latest=ts[-1])
    assert [m["ts"] for m in body["messages"]] == [ts[-2], ts[-3]]
    body = client.conversations_history(channel=cid, oldest=ts[-4], latest=ts[-1], inclusive=True)
    assert [m["ts"] for m in body["messages"]] == ts[-1:-5:-1]


def test_replies_parent_first_then_pages(client, workspace):
    first, more = replies_validator(), replies_validator(continuation=True)
    cid = workspace.channel("help").id
    parent = max(workspace.history("help"), key=lambda m: len(workspace.replies("help", m.ts)))
    expected = [r.ts for r in workspace.replies("help", parent.ts)]
    assert len(expected) >= 3
    got, cursor = [], None
    while True:
        page = client.conversations_replies(channel=cid, ts=parent.ts, limit=2, cursor=cursor)
        assert_valid(more if cursor else first, page.data)
        got += page["messages"]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert [m["ts"] for m in got] == [parent.ts, *expected]
    assert got[0]["reply_count"] == len(expected)
    assert all(m["parent_user_id"] == parent.user for m in got[1:])
    newer = client.conversations_replies(channel=cid, ts=parent.ts, oldest=expected[0])
    assert [m["ts"] for m in newer["messages"]] == [parent.ts, *expected[1:]]
    with pytest.raises(SlackApiError) as raised:
        client.conversations_replies(channel=cid, ts="1000000000.000000")
    assert raised.value.response["error"] == "thread_not_found"


def test_users_list_info_and_limit_required(community, workspace, client, ws_emulator):
    validator = response_validator("slack", "/users.list")
    members, cursor = [], None
    while True:
        page = client.users_list(limit=100, cursor=cursor)
        assert_valid(validator, page.data)
        members += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(members) == len(workspace.users)
    person = community.people[7]
    [found] = [m for m in members if m["id"] == person.slack_user_id]
    assert found["profile"]["email"] == person.email and found["deleted"] is False
    slackbot = next(m for m in members if m["id"] == "USLACKBOT")
    assert slackbot["is_bot"] is False and "email" not in slackbot["profile"]
    assert next(m for m in members if m["id"] == "U0DELETED01")["deleted"] is True
    info = client.users_info(user=person.slack_user_id)
    assert_valid(response_validator("slack", "/users.info"), info.data)
    assert info["user"]["name"] == person.username
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0NOBODY000")
    assert raised.value.response["error"] == "user_not_found"
    with SlackEmulator(community, workspace=workspace, users_limit_required=True) as strict:
        strict_client = WebClient(base_url=strict.base_url + "/api/", token="xoxb-test")
        with pytest.raises(SlackApiError) as raised:
            strict_client.users_list()
        assert raised.value.response["error"] == "limit_required"


def test_limited_app_rate_limit_and_message_cap(community, workspace):
    clock = [0.0]
    with SlackEmulator(community, workspace=workspace, history_rpm=1, history_limit=15,
                       clock=lambda: clock[0]) as em:
        client = WebClient(base_url=em.base_url + "/api/", token="xoxb-test", retry_handlers=[])
        cid = workspace.channel("help").id
        first = client.conversations_history(channel=cid, limit=200)
        assert len(first["messages"]) == 15 and first["has_more"]
        clock[0] = 20.0
        with pytest.raises(SlackApiError) as raised:
            client.conversations_history(channel=cid, limit=200)
        response = raised.value.response
        assert (response.status_code, response["error"], response.headers["Retry-After"]) == (
            429, "ratelimited", "40")
        client.conversations_replies(channel=cid, ts=first["messages"][0]["ts"])  # its own budget
        clock[0] = 60.0
        assert client.conversations_history(channel=cid, limit=5)["messages"]
        client.users_list(limit=10)  # other methods are not limited in this mode


def test_tier_limits(community, workspace):
    clock = [0.0]
    with SlackEmulator(community, workspace=workspace, rate_limits=True, clock=lambda: clock[0]) as em:
        client = WebClient(base_url=em.base_url + "/api/", token="xoxb-test", retry_handlers=[])
        for _ in range(20):
            client.users_list(limit=10)  # Tier 2: 20 a minute
        with pytest.raises(SlackApiError) as raised:
            client.users_list(limit=10)
        assert raised.value.response.status_code == 429
        clock[0] = 61.0
        client.users_list(limit=10)
