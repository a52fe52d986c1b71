"""The field readers connectors use at their boundary: clean values or a reason."""

from __future__ import annotations

import pytest

from connectors.slack_source import events_from_message, message_events, reaction_event
from connectors.validate import BadRecord, MemberPage, describe, flag, integer, items, record, text
from scoring.records import Member

TS = "1717243200.000100"


def test_record_must_be_an_object() -> None:
    assert record({"a": 1}, "post") == {"a": 1}
    for value, shown in [(None, "null"), ("x", "a string 'x'"), (3, "a number 3"), ([1], "an array"),
                         (True, "a boolean True")]:
        with pytest.raises(BadRecord, match=f"post is not an object but {shown}"):
            record(value, "post")


def test_text_is_cleaned_and_typed() -> None:
    assert text({"t": "a\x00b\ud800"}, "t") == "ab\ufffd"
    assert text({}, "t") is None and text({"t": None}, "t") is None and text({"t": ""}, "t") is None
    assert text({"t": "\x00"}, "t") is None
    with pytest.raises(BadRecord, match="t is missing"):
        text({}, "t", required=True)
    with pytest.raises(BadRecord, match="t is empty once NULs are removed"):
        text({"t": "\x00"}, "t", required=True)
    with pytest.raises(BadRecord, match=r"t is not text but an object"):
        text({"t": {"x": 1}}, "t")


def test_integer_accepts_numbers_and_digit_strings_only() -> None:
    assert integer({"n": 42}, "n") == 42 and integer({"n": "42"}, "n") == 42 and integer({"n": "-1"}, "n") == -1
    assert integer({"n": 3.0}, "n") == 3 and integer({}, "n") is None
    for bad in ["abc", "many", True, 1.5, [], "４２", ""]:
        with pytest.raises(BadRecord, match="n is not an integer"):
            integer({"n": bad}, "n")
    with pytest.raises(BadRecord, match="n is below 0"):
        integer({"n": -2}, "n", minimum=0)


def test_flag_and_items() -> None:
    assert flag({"f": True}, "f") and not flag({}, "f") and not flag({"f": None}, "f")
    with pytest.raises(BadRecord, match="f is not true/false but a string 'yes'"):
        flag({"f": "yes"}, "f")
    assert items({"l": [1]}, "l") == [1] and items({}, "l") == []
    with pytest.raises(BadRecord, match="l is not an array"):
        items({"l": "x"}, "l")


def test_describe_shortens_long_values() -> None:
    assert describe("y" * 100).endswith("…") and len(describe("y" * 100)) < 60


def test_member_page_iterates_as_its_members() -> None:
    member = Member("slack:U1", "slack", "U1", "ann")
    page = MemberPage([member])
    assert list(page) == [member] and len(page) == 1 and page.rejected == []


# -- Slack mapping shared with the Events API receiver ----------------------------------------
@pytest.mark.parametrize("user", [None, "", 5, ["U1"]])
def test_a_reaction_without_a_user_is_refused_not_slack_none(user) -> None:
    with pytest.raises(ValueError):
        reaction_event("C1", "help", TS, user, "+1")  # type: ignore[arg-type]


def test_reaction_events_are_cleaned() -> None:
    event = reaction_event("C1", "help", TS, "U1\x00", "ta\x00da")
    assert event.member_key == "slack:U1" and event.source_event_id == f"reaction:C1:{TS}:U1:tada"


def test_message_events_keep_the_good_part_of_a_message() -> None:
    message = {"ts": TS, "user": "U1", "text": "hi\x00", "reactions": [
        {"name": "+1", "users": ["U2", None]}, {"name": 7, "users": ["U3"]}, "x"]}
    events, rejected = message_events(message, "C1", "help")
    assert [e.source_event_id for e in events] == [f"msg:C1:{TS}", f"reaction:C1:{TS}:U2:+1"]
    assert events[0].text == "hi"
    assert [(r.ref, r.reason) for r in rejected] == [
        (f"reaction:C1:{TS}:+1", "reaction '+1': user is missing"),
        (None, "reaction: name is not text but a number 7"),
        (None, "reaction: reaction is not an object but a string 'x'"),
    ]
    with pytest.raises(ValueError, match="user is missing"):  # the strict form refuses it whole
        events_from_message(message, "C1", "help")


@pytest.mark.parametrize(("message", "reason"), [
    ("text", "message is not an object"),
    ({"ts": None, "user": "U1"}, "not a Slack ts"),
    ({"ts": TS, "user": 5}, "user is not text"),
    ({"ts": TS, "user": "U1", "thread_ts": 1}, "thread_ts is not text"),
    ({"ts": TS, "user": "U1", "reactions": {"+1": 1}}, "reactions is not an array"),
    ({"ts": TS, "text": "nobody"}, "member message without a user"),
])
def test_unreadable_messages_raise_with_a_reason(message, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        message_events(message, "C1", "help")
