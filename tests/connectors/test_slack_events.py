"""The Slack Events API receiver over real HTTP: signatures, handshake, retries stored once."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests

from connectors.slack_events import SlackEventsReceiver
from connectors.store import Store

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_790_000_000.0


def signed(body: bytes, secret: str = SECRET, timestamp: float = NOW) -> dict[str, str]:
    base = f"v0:{int(timestamp)}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(int(timestamp)), "X-Slack-Signature": signature,
            "Content-Type": "application/json"}


def callback(event_id: str, event: dict) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T1",
                       "event_time": int(NOW), "event": event}).encode()


@pytest.fixture
def receiver(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    receiver = SlackEventsReceiver(store, SECRET, channel_names={"C1": "help"}, clock=lambda: NOW)
    server = receiver.serve(port=0)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    yield receiver
    receiver.stop()
    store.close()


def test_url_verification_handshake(receiver) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}).encode()
    answer = requests.post(receiver.url, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 200 and answer.json()["challenge"].startswith("3eZbrw")


def test_bad_or_stale_signatures_are_rejected(receiver) -> None:
    body = callback("Ev1", {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1789999990.000100"})
    assert requests.post(receiver.url, data=body, headers=signed(body, secret="wrong"), timeout=5).status_code == 401
    assert requests.post(receiver.url, data=body, headers=signed(body, timestamp=NOW - 301), timeout=5).status_code == 401
    tampered = body.replace(b"hi", b"yo")
    assert requests.post(receiver.url, data=tampered, headers=signed(body), timeout=5).status_code == 401
    assert receiver.store.count_activities() == 0


def test_a_replayed_event_is_stored_once(receiver) -> None:
    body = callback("Ev2", {"type": "message", "channel": "C1", "user": "U2", "text": "How do I get SSO?",
                            "ts": "1789999990.000200", "thread_ts": "1789999000.000100", "parent_user_id": "U9"})
    for _ in range(3):  # Slack retries deliveries it thinks failed
        assert requests.post(receiver.url, data=body, headers=signed(body), timeout=5).status_code == 200
    [activity] = receiver.store.activities()
    assert activity.source_event_id == "msg:C1:1789999990.000200" and activity.member_key == "slack:U2"
    assert activity.type == "premium_feature_question"


def test_reactions_and_unreadable_events(receiver) -> None:
    reaction = callback("Ev3", {"type": "reaction_added", "user": "U3", "reaction": "tada", "item_user": "U2",
                                "item": {"type": "message", "channel": "C1", "ts": "1789999990.000200"},
                                "event_ts": "1789999995.000300"})
    broken = callback("Ev4", {"type": "message", "channel": "C1", "text": "no ts, no user"})
    for body in (reaction, broken):
        assert requests.post(receiver.url, data=body, headers=signed(body), timeout=5).status_code == 200
    [like] = receiver.store.activities()
    assert like.type == "reaction" and like.source_event_id == "reaction:C1:1789999990.000200:U3:tada"
    [entry] = receiver.store.quarantined()
    assert entry.ref == "Ev4" and "unreadable" in entry.reason


def test_health_endpoint(receiver) -> None:
    assert requests.get(receiver.url.replace("/slack/events", "/healthz"), timeout=5).json() == {"ok": True}


def test_channel_names_come_from_conversations_info(community, now) -> None:
    from slack_sdk import WebClient

    from connectors.slack_events import channel_names_from
    from connectors.testing import SlackEmulator, generate_slack_workspace
    from tests.connectors.testing.spec import assert_valid, response_validator

    workspace = generate_slack_workspace(community, messages=50, now=now)
    with SlackEmulator(community, workspace=workspace) as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url + "/api/", retry_handlers=[])
        channel = workspace.channels[0]
        names = channel_names_from(client)
        assert names(channel.id) == channel.name and names("C-NOPE") is None
        assert names(channel.id) == channel.name
        calls = [r for r in slack.requests if r.path.endswith("conversations.info")]
        assert len(calls) == 2  # the known name was cached, the unknown one was not
        assert_valid(response_validator("slack", "/conversations.info"), client.conversations_info(channel=channel.id).data)
