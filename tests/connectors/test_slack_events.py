"""The Slack Events API receiver over real HTTP: signatures, handshake, retries stored once,
a clear 4xx for every malformed request, poison events answered 200 and quarantined once."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from connectors.errors import RetryableError
from connectors.slack_events import SlackEventsReceiver
from connectors.store import Store
from connectors.store import tables
from tests.connectors.slack_events_helpers import NOW, SECRET, callback, message, post_head, raw_request, signed


def start(store: Store, **kwargs) -> SlackEventsReceiver:
    receiver = SlackEventsReceiver(store, SECRET, channel_names=kwargs.pop("channel_names", {"C1": "help"}),
                                   clock=lambda: NOW, **kwargs)
    server = receiver.serve(port=0)
    receiver.port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{receiver.port}/slack/events"
    return receiver


@pytest.fixture
def receiver(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    receiver = start(store)
    yield receiver
    receiver.stop()
    store.close()


@pytest.fixture
def any_receiver(store):
    """The receiver on each backend (PostgreSQL refuses NUL bytes that SQLite keeps)."""
    receiver = start(store)
    yield receiver
    receiver.stop()


def inbound_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tables.inbound_events)).scalar_one()


def test_url_verification_handshake(receiver) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}).encode()
    answer = requests.post(receiver.url, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 200 and answer.json()["challenge"].startswith("3eZbrw")


def test_bad_or_stale_signatures_are_rejected(receiver) -> None:
    body = callback("Ev1", {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1789999990.000100"})
    assert requests.post(receiver.url, data=body, headers=signed(body, secret="wrong"), timeout=5).status_code == 401
    stale = requests.post(receiver.url, data=body, headers=signed(body, timestamp=NOW - 301), timeout=5)
    assert stale.status_code == 401 and "stale" in stale.json()["error"]
    tampered = body.replace(b"hi", b"yo")
    assert requests.post(receiver.url, data=tampered, headers=signed(body), timeout=5).status_code == 401
    unsigned = requests.post(receiver.url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert unsigned.status_code == 401 and "missing" in unsigned.json()["error"]
    not_a_number = signed(body) | {"X-Slack-Request-Timestamp": "soon"}
    assert requests.post(receiver.url, data=body, headers=not_a_number, timeout=5).status_code == 401
    assert receiver.store.count_activities() == 0 and inbound_count(receiver.store) == 0


def test_a_replayed_event_is_stored_once(receiver) -> None:
    body = callback("Ev2", {"type": "message", "channel": "C1", "user": "U2", "text": "How do I get SSO?",
                            "ts": "1789999990.000200", "thread_ts": "1789999000.000100", "parent_user_id": "U9"})
    for retry in range(3):  # Slack retries deliveries it thinks failed
        headers = signed(body) | ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {})
        assert requests.post(receiver.url, data=body, headers=headers, timeout=5).status_code == 200
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
    assert entry.ref == "Ev4" and "ts is not a Slack ts" in entry.reason and json.loads(entry.payload)["event_id"] == "Ev4"


def test_health_endpoint(receiver) -> None:
    assert requests.get(receiver.url.replace("/slack/events", "/healthz"), timeout=5).json() == {"ok": True}


# -- malformed requests: each gets its own 4xx, nothing is stored -------------------------------

def test_content_length_that_is_not_a_number_is_400(receiver) -> None:
    status, _ = raw_request(receiver.port, post_head(Content_Length="abc", Content_Type="application/json"), b"{}")
    assert status == 400


@pytest.mark.parametrize(("head", "expected"), [
    (post_head(Content_Type="application/json"), 411),  # no Content-Length
    (post_head(Transfer_Encoding="chunked", Content_Type="application/json"), 411),
    (post_head(Content_Length=str(50 * 1024 * 1024), Content_Type="application/json"), 413),
    (post_head(Content_Length="-1", Content_Type="application/json"), 400),
    (post_head(Content_Length="2", Content_Type="application/x-www-form-urlencoded"), 415),
    (post_head(Content_Length="2"), 415),
    (post_head("/elsewhere", Content_Length="2", Content_Type="application/json"), 404),
    ("GET /slack/events HTTP/1.1\r\nHost: x\r\n", 405),
    ("NOT HTTP AT ALL\r\n", 400),
], ids=["no-length", "chunked", "too-big", "negative-length", "form", "no-type", "path", "get", "garbage"])
def test_malformed_requests_are_refused_before_the_body_is_read(receiver, head: str, expected: int) -> None:
    status, answer = raw_request(receiver.port, head, b"{}" if "chunked" not in head else b"")
    assert status == expected
    assert b"connection: close" in answer.lower()  # an unread body is never drained
    assert inbound_count(receiver.store) == 0


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "JSON"),
    (b'["event_callback"]', "object"),
    (b'{"type": "event_callback", "event_id": "Ev1"}\xff', "JSON"),
    ("{\"type\": \"url_verification\"}".encode("utf-16"), "JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    (b'{"type": "url_verification", "challenge": 7}', "challenge"),
], ids=["syntax", "array", "bad-utf8", "utf16", "deep", "no-challenge"])
def test_signed_bodies_that_are_not_events_are_400(receiver, body: bytes, reason: str) -> None:
    answer = requests.post(receiver.url, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 400 and reason in answer.json()["error"]
    assert inbound_count(receiver.store) == 0 and receiver.store.quarantined() == []


def test_other_callback_types_are_acknowledged(receiver) -> None:
    body = json.dumps({"type": "app_rate_limited", "minute_rate_limited": 1518467820}).encode()
    answer = requests.post(receiver.url, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 200 and answer.json() == {"ignored": "app_rate_limited"}


# -- poison events: 200, quarantined once, on both backends --------------------------------------

POISON = {
    "event-not-object": (callback("EvP1", "a string"), "EvP1", "event is not an object"),
    "event-list": (callback("EvP2", [1, 2]), "EvP2", "event is not an object"),
    "nul-in-user": (callback("EvP3", message("C1", "U\u00001", "1789999990.000100")), "EvP3", "user is not a Slack id"),
    "surrogate-in-channel": (callback("EvP4", message("C\ud8001", "U1", "1789999990.000100")), "EvP4",
                             "channel is not a Slack id"),
    "ts-number": (callback("EvP5", message("C1", "U1", 1789999990.0001)), "EvP5", "ts is not a Slack ts"),
    "text-list": (callback("EvP6", message("C1", "U1", "1789999990.000100", ["hi"])), "EvP6", "text is not text"),
    "unknown-channel": (callback("EvP7", message("C404", "U1", "1789999990.000100")), "EvP7", "unknown channel C404"),
    "reaction-name": (callback("EvP8", {"type": "reaction_added", "user": "U1", "reaction": "tada\u0000 x",
                                        "item": {"type": "message", "channel": "C1", "ts": "1789999990.000100"}}),
                      "EvP8", "reaction is not an emoji name"),
    "type-number": (callback("EvP9", {"type": 5}), "EvP9", "event type is not a string"),
    "no-event-id": (callback(None, message("C1", "U1", "1789999990.000100")), "sha256:", "without a usable event_id"),
    "event-id-nul": (callback("Ev\u0000", message("C1", "U1", "1789999990.000100")), "sha256:",
                     "without a usable event_id"),
}


@pytest.mark.parametrize("case", list(POISON), ids=list(POISON))
def test_a_poison_event_is_answered_200_and_quarantined_once(any_receiver, case: str) -> None:
    body, ref, reason = POISON[case]
    for retry in range(3):  # Slack re-delivers with the same event_id and X-Slack-Retry-Num
        headers = signed(body) | ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"} if retry else {})
        answer = requests.post(any_receiver.url, data=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
    [entry] = any_receiver.store.quarantined()
    assert entry.source == "slack" and entry.ref.startswith(ref) and reason in entry.reason
    assert entry.payload == body.decode()  # kept as received
    assert any_receiver.store.count_activities() == 0


def test_nul_and_surrogates_in_message_text_are_cleaned_not_refused(any_receiver) -> None:
    body = callback("EvT1", message("C1", "U1", "1789999990.000100", "how do I \u0000 get \ud83d SSO?"))
    assert requests.post(any_receiver.url, data=body, headers=signed(body), timeout=10).status_code == 200
    [activity] = any_receiver.store.activities()
    assert activity.excerpt == "how do I  get \ufffd SSO?" and any_receiver.store.quarantined() == []


def test_a_store_that_is_down_answers_500_and_the_retry_stores_once(tmp_path) -> None:
    path = tmp_path / "state.db"
    store = Store.open(f"sqlite:///{path}")
    receiver = start(store)
    try:
        body = callback("EvD1", message("C1", "U1", "1789999990.000100"))
        store.engine.dispose()
        moved = Path(shutil.move(path, tmp_path / "aside.db"))
        os.mkdir(path)  # a directory where the database was: every connection fails
        answer = requests.post(receiver.url, data=body, headers=signed(body), timeout=10)
        assert answer.status_code == 500 and answer.json() == {"error": "StoreError"}
        os.rmdir(path)
        shutil.move(moved, path)
        retried = requests.post(receiver.url, data=body, headers=signed(body, X_Slack_Retry_Num="1"), timeout=10)
        assert retried.status_code == 200 and retried.json() == {"ok": True}
        assert store.count_activities() == 1 and store.quarantined() == []
    finally:
        receiver.stop()
        store.close()


def test_a_channel_lookup_that_fails_answers_500_not_quarantine(tmp_path) -> None:
    failures = []

    def flaky(channel: str) -> str:
        if not failures:
            failures.append(channel)
            raise RetryableError("slack", "connection failed")
        return "help"

    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        receiver = start(store, channel_names=flaky)
        try:
            body = callback("EvL1", message("C1", "U1", "1789999990.000100"))
            assert requests.post(receiver.url, data=body, headers=signed(body), timeout=10).status_code == 500
            assert requests.post(receiver.url, data=body, headers=signed(body), timeout=10).status_code == 200
            assert store.count_activities() == 1 and store.quarantined() == []
        finally:
            receiver.stop()


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
