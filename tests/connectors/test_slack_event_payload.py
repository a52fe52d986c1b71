"""An Events API ``event`` → source events, or the reason it is poison (pure, no I/O)."""

from __future__ import annotations

import pytest

from connectors.slack_event_payload import PoisonEvent, is_slack_id, source_events
from tests.connectors.slack_events_helpers import message

NAMES = {"C1": "help"}


def names(asked: list[str] | None = None):
    def lookup(channel: str) -> str | None:
        if asked is not None:
            asked.append(channel)
        return NAMES.get(channel)
    return lookup


def test_a_member_message_becomes_one_event_in_its_channel() -> None:
    [event] = source_events(message("C1", "U1", "1789999990.000100", "hi\u0000 there"), names())
    assert event.source_event_id == "msg:C1:1789999990.000100" and event.category == "help"
    assert event.member_key == "slack:U1" and event.text == "hi there"


def test_a_reply_names_its_thread_owner() -> None:
    reply = message("C1", "U2", "1789999990.000200") | {"thread_ts": "1789999990.000100", "parent_user_id": "U1"}
    [event] = source_events(reply, names())
    assert event.kind == "reply" and event.thread_owner_key == "slack:U1"


@pytest.mark.parametrize("event", [
    {"type": "member_joined_channel", "user": "U1", "channel": "C1"},
    message("C9", "U1", "1789999990.000100") | {"subtype": "channel_join"},
    message("C9", "U1", "1789999990.000100") | {"bot_id": "B1"},
    {"type": "reaction_added", "user": "U1", "reaction": "tada", "item": {"type": "file", "file": "F1"}},
], ids=["other-type", "system-subtype", "bot", "reaction-to-file"])
def test_events_that_score_nothing_give_nothing_and_ask_for_no_channel(event) -> None:
    asked: list[str] = []
    assert source_events(event, names(asked)) == [] and asked == []


def test_a_reaction_to_a_message() -> None:
    [event] = source_events({"type": "reaction_added", "user": "U3", "reaction": "+1", "item_user": "U2",
                             "item": {"type": "message", "channel": "C1", "ts": "1789999990.000200"},
                             "event_ts": "1789999995.000300"}, names())
    assert event.source_event_id == "reaction:C1:1789999990.000200:U3:+1" and event.thread_owner_key == "slack:U2"


@pytest.mark.parametrize(("event", "reason"), [
    ("text", "event is not an object"),
    ({"type": None}, "event type is not a string"),
    (message("C1", "", "1789999990.000100"), "user is not a Slack id"),
    (message("C1", "U1", "1789999990.000100") | {"user": None}, "member message without a user"),
    (message("C:1", "U1", "1789999990.000100"), "channel is not a Slack id"),
    (message("C1", "U1", "17899.99990.1"), "ts is not a Slack ts"),
    (message("C1", "U1", "1789999990.000100") | {"thread_ts": 5}, "thread_ts is not a Slack ts"),
    (message("C1", "U1", "1789999990.000100") | {"subtype": ["x"]}, "subtype is not a string"),
    (message("C1", "U1", "1789999990.000100") | {"reactions": {"name": "x"}}, "reactions is not a list"),
    (message("C1", "U1", "1789999990.000100") | {"reactions": [{"name": "a b", "users": ["U2"]}]},
     "reaction name is not an emoji name"),
    (message("C1", "U1", "1789999990.000100") | {"reactions": [{"name": "ok", "users": [7]}]},
     "reaction users are not Slack ids"),
    ({"type": "reaction_added", "user": "U1", "reaction": "tada", "item": "C1"}, "item is not an object"),
    (message("C2", "U1", "1789999990.000100"), "unknown channel C2"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_poison_events_say_why(event, reason: str) -> None:
    with pytest.raises(PoisonEvent, match=reason.replace("+", r"\+")):
        source_events(event, names())


def test_ids_are_plain_tokens() -> None:
    assert is_slack_id("Ev0PV52K25") and not is_slack_id("U\u00001") and not is_slack_id("C1:2") and not is_slack_id(7)
