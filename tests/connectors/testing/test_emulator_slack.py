"""The Slack emulator through slack_sdk's WebClient, checked against the Web API spec."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.connectors.testing.spec import assert_valid, response_validator


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(base_url=slack.base_url + "/api/", token="xoxb-test")


def test_auth_test(client):
    body = client.auth_test().data
    assert body["ok"] is True
    assert_valid(response_validator("slack", "/auth.test"), body)


def test_post_message_by_name_and_id(client, slack):
    first = client.chat_postMessage(channel="#community-alerts", text="hello")
    second = client.chat_postMessage(channel=first["channel"], text="again")
    third = client.chat_postMessage(channel="community-alerts", text="third")
    assert first["ts"] < second["ts"] < third["ts"]
    assert [m["text"] for m in slack.messages("community-alerts")] == ["hello", "again", "third"]
    assert_valid(response_validator("slack", "/chat.postMessage", "post"), first.data)
    request = slack.requests[0]
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-test"
    assert request.json()["channel"] == "#community-alerts"  # chat.postMessage is sent as JSON


@pytest.mark.filterwarnings("ignore:The top-level `text`")
def test_post_message_blocks_and_metadata(client, slack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "&lt;!channel&gt; *hi*"}}]
    metadata = {"event_type": "community_alert", "event_payload": {"action_key": "k-1"}}
    sent = client.chat_postMessage(channel="community-alerts", blocks=blocks, metadata=metadata)
    assert sent["message"]["blocks"] == blocks
    stored = slack.messages("community-alerts")[0]
    assert stored["metadata"] == metadata


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"channel": "nowhere", "text": "x"}, "channel_not_found"),
    ({"channel": "community-alerts"}, "no_text"),
])
@pytest.mark.filterwarnings("ignore:The top-level `text`")
def test_post_message_errors(client, kwargs, error):
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(**kwargs)
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == error


def test_bad_token(slack):
    bad = WebClient(base_url=slack.base_url + "/api/", token="xoxb-wrong")
    with pytest.raises(SlackApiError) as raised:
        bad.auth_test()
    assert raised.value.response["error"] == "invalid_auth"


def test_lookup_by_email(client, community):
    owner = community.owners[0]
    user = client.users_lookupByEmail(email=owner.email)
    assert user["user"]["id"] == owner.slack_user_id
    assert user["user"]["profile"]["email"] == owner.email
    person = next(p for p in community.people if "'" in p.name)
    found = client.users_lookupByEmail(email=person.email.upper())
    assert found["user"]["id"] == person.slack_user_id
    assert_valid(response_validator("slack", "/users.lookupByEmail"), found.data)
    with pytest.raises(SlackApiError) as raised:
        client.users_lookupByEmail(email="nobody@nowhere.example")
    assert raised.value.response["error"] == "users_not_found"


def test_history_pages_newest_first_with_metadata(client):
    sent = [client.chat_postMessage(
        channel="community-alerts", text=f"m{i}",
        metadata={"event_type": "alert", "event_payload": {"i": i}})["ts"] for i in range(7)]
    validator = response_validator("slack", "/conversations.history")
    got, cursor = [], None
    while True:
        page = client.conversations_history(channel="community-alerts", limit=3, cursor=cursor,
                                            include_all_metadata=True)
        assert_valid(validator, page.data)
        got.extend(page["messages"])
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            assert cursor == ""
            break
    assert [m["ts"] for m in got] == sent[::-1]
    assert got[0]["metadata"] == {"event_type": "alert", "event_payload": {"i": 6}}
    plain = client.conversations_history(channel="community-alerts")
    assert all("metadata" not in m for m in plain["messages"])


def test_history_oldest_latest_inclusive(client):
    ts = [client.chat_postMessage(channel="community-alerts", text=str(i))["ts"] for i in range(4)]
    exclusive = client.conversations_history(channel="community-alerts", oldest=ts[0], latest=ts[3])
    assert [m["ts"] for m in exclusive["messages"]] == [ts[2], ts[1]]
    inclusive = client.conversations_history(channel="community-alerts", oldest=ts[0],
                                             latest=ts[3], inclusive=True)
    assert [m["ts"] for m in inclusive["messages"]] == ts[::-1]


def test_conversations_list(client):
    body = client.conversations_list().data
    assert [c["name"] for c in body["channels"]] == ["community-alerts"]
    assert_valid(response_validator("slack", "/conversations.list"), body)


def _header(n: int) -> list[dict]:
    return [{"type": "header", "text": {"type": "plain_text", "text": "h" * n}}]


def _link(url: str) -> list[dict]:
    section = {"type": "rich_text_section", "elements": [{"type": "link", "url": url, "text": "q"}]}
    return [{"type": "rich_text", "elements": [
        {"type": "rich_text_list", "style": "bullet", "elements": [section]}]}]


@pytest.mark.parametrize(("blocks", "pointer", "reason"), [
    (_header(151), "/blocks/0/text/text", "must be less than 151 characters"),
    (_header(0), "/blocks/0/text/text", "must be more than 0 characters"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}], "/blocks/0/text/text",
     "must be less than 3001 characters"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields",
     "no more than 10 items allowed"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/blocks/0/fields/0/text",
     "must be less than 2001 characters"),
    ([{"type": "context", "elements": [{"type": "plain_text", "text": "c"}] * 11}], "/blocks/0/elements",
     "no more than 10 items allowed"),
    ([{"type": "divider"}] * 51, "/blocks", "no more than 50 items allowed"),
    (_link(""), "/blocks/0/elements/0/elements/0/elements/0/url", "must be more than 0 characters"),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type", "must be one of"),
])
def test_blocks_over_block_kit_limits_are_refused_as_slack_does(client, slack, blocks, pointer, reason):
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="community-alerts", text="fallback", blocks=blocks)
    response = raised.value.response
    assert response.status_code == 200 and response["error"] == "invalid_blocks"
    expected = f"{reason}"
    assert any(expected in e and f"[json-pointer:{pointer}]" in e for e in response["errors"]), response["errors"]
    assert all(m.startswith("[ERROR] ") for m in response["response_metadata"]["messages"])
    assert slack.messages("community-alerts") == []  # nothing posted


def test_blocks_at_the_limits_are_accepted(client, slack):
    blocks = (_header(150) + _link("https://forum.example/t/1")
              + [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000},
                  "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
                 {"type": "context", "elements": [{"type": "plain_text", "text": "c" * 3000}] * 10}]
              + [{"type": "divider"}] * 46)
    assert len(blocks) == 50
    client.chat_postMessage(channel="community-alerts", text="t" * 40_000, blocks=blocks)
    assert len(slack.messages("community-alerts")) == 1


def test_text_over_40000_characters_is_refused(client, slack):
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="community-alerts", text="t" * 40_001)
    assert raised.value.response["error"] == "msg_too_long"
