"""Group invitations and private messages through pydiscourse against the emulator: each
exactly once, whatever is lost on the way."""

from __future__ import annotations

import re

import pytest
from pydiscourse import DiscourseClient

from connectors.blocks import DiscourseCredentials
from connectors.discourse_actions import DiscourseActions, external_id_for
from connectors.errors import AuthError, InvalidRequestError, NotFoundError
from connectors.retry import RetryPolicy

TITLE = "You are one of our community champions"
RAW = "Thank you for answering so many questions this quarter!\n\nWould you join the champions group?"


@pytest.fixture
def actions(discourse) -> DiscourseActions:
    client = DiscourseClient(discourse.base_url, api_username="system", api_key=discourse.api_key)
    return DiscourseActions(client, policy=RetryPolicy("discourse", attempts=4, sleep=lambda s: None))


@pytest.fixture
def names(community) -> list[str]:
    return [p.username for p in community.people[1:4]]


def calls(discourse) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in discourse.requests]


# -- groups ----------------------------------------------------------------------------------
def test_adding_members_twice_is_done_both_times(actions, discourse, names):
    assert actions.add_to_group("champions", names) == names
    assert discourse.forum.members_of("champions") == sorted(names)
    discourse.clear_requests()
    assert actions.add_to_group("Champions", [n.upper() for n in names]) == [n.upper() for n in names]
    # Discourse refuses a list of members only (422); the connector reads who is in the group
    assert [(m, s) for m, _, s in calls(discourse)] == [("GET", 200), ("PUT", 422), ("GET", 200)]
    assert discourse.forum.members_of("champions") == sorted(names)


def test_members_already_in_are_kept_and_new_ones_added(actions, discourse, community, names):
    actions.add_to_group("champions", names[:2])
    newcomer = community.people[10].username
    assert actions.add_to_group("champions", [*names, newcomer]) == [*names, newcomer]
    assert discourse.forum.members_of("champions") == sorted([*names, newcomer])


def test_a_lost_answer_to_the_add_is_settled_by_the_retry(actions, discourse, names):
    discourse.faults.add(path="/groups/41/members", method="PUT", lose_response=True)
    assert actions.add_to_group("champions", names) == names
    puts = [s for m, _, s in calls(discourse) if m == "PUT"]
    assert puts == [200, 422]  # the first one acted; nobody heard
    assert discourse.forum.members_of("champions") == sorted(names)


def test_unknown_group_is_not_found_and_nothing_is_written(actions, discourse, names):
    with pytest.raises(NotFoundError):
        actions.add_to_group("no-such-group", names)
    assert [m for m, _, _ in calls(discourse)] == ["GET"]


def test_unknown_usernames_are_left_out_or_refused(actions, discourse, names):
    assert actions.add_to_group("champions", [names[0], "nobody_here"]) == [names[0]]
    with pytest.raises(InvalidRequestError, match="usernames"):  # Discourse knows none: 400
        actions.add_to_group("champions", ["nobody_here", "nor_me"])
    assert discourse.forum.members_of("champions") == [names[0]]


def test_automatic_groups_cannot_be_edited(actions, names):
    with pytest.raises(AuthError):
        actions.add_to_group("trust_level_1", names)


def test_names_that_would_change_the_request_never_leave(actions, discourse):
    with pytest.raises(InvalidRequestError):
        actions.add_to_group("champions", ["alice,bob"])
    with pytest.raises(InvalidRequestError):
        actions.add_to_group("../admin", ["alice"])
    with pytest.raises(InvalidRequestError):
        actions.send_private_message(key="k", username="alice,bob", title=TITLE, raw=RAW)
    assert discourse.requests == []
    assert actions.add_to_group("champions", []) == []


def test_members_are_read_in_pages(actions, discourse, community, monkeypatch):
    import connectors.discourse_actions as module

    monkeypatch.setattr(module, "MEMBERS_PAGE", 2)
    everyone = [p.username for p in community.people[1:8]]
    actions.add_to_group("champions", everyone)
    assert actions.members_among("champions", [*everyone[::-1], "nobody_here"]) == everyone[::-1]


# -- private messages ------------------------------------------------------------------------
def test_a_message_whose_answer_is_lost_is_sent_exactly_once(actions, discourse, names):
    discourse.faults.add(path="/posts", method="POST", lose_response=True)
    topic_id = actions.send_private_message(key="champion:acme:1", username=names[0], title=TITLE, raw=RAW)
    [message] = discourse.forum.messages
    assert topic_id == str(message.topic_id)
    assert message.recipient_ids == [discourse.forum.user_by_username(names[0]).id]
    assert message.sender_id == -1 and message.external_id == external_id_for("champion:acme:1")
    assert [(m, s) for m, _, s in calls(discourse)] == [("POST", 200), ("GET", 301)]  # acted; then found


def test_a_possibly_sent_message_is_looked_up_first(actions, discourse, names, now):
    sent = actions.send_private_message(key="champion:acme:1", username=names[0], title=TITLE, raw=RAW)
    discourse.clear_requests()
    again = actions.send_private_message(key="champion:acme:1", username=names[0], title=TITLE, raw=RAW,
                                         maybe_sent_at=now)
    assert again == sent and len(discourse.forum.messages) == 1
    assert "POST" not in [m for m, _, _ in calls(discourse)]
    assert actions.find_private_message("champion:acme:1") == sent


def test_a_pending_message_that_never_got_through_is_sent(actions, discourse, names, now):
    topic_id = actions.send_private_message(key="champion:acme:2", username=names[1], title=TITLE, raw=RAW,
                                            maybe_sent_at=now)
    assert [(m, s) for m, _, s in calls(discourse)] == [("GET", 404), ("POST", 200)]
    assert [m.topic_id for m in discourse.forum.messages_to(names[1])] == [int(topic_id)]


def test_a_blind_resend_is_refused_by_discourse_and_settled(actions, discourse, names):
    """Without the hint, Discourse itself refuses a second message with the same key."""
    discourse.forum.settings.api_post_memo_seconds = 0  # past Discourse's 120 s memo
    first = actions.send_private_message(key="champion:acme:3", username=names[0], title=TITLE, raw=RAW)
    discourse.clear_requests()
    second = actions.send_private_message(key="champion:acme:3", username=names[0], title=TITLE, raw=RAW)
    assert second == first and len(discourse.forum.messages) == 1
    assert [(m, s) for m, _, s in calls(discourse)] == [("POST", 422), ("GET", 301)]


def test_a_server_error_is_checked_before_sending_again(actions, discourse, names):
    discourse.faults.add(path="/posts", method="POST", status=502)
    topic_id = actions.send_private_message(key="champion:acme:4", username=names[2], title=TITLE, raw=RAW)
    assert [(m, s) for m, _, s in calls(discourse)] == [("POST", 502), ("GET", 404), ("POST", 200)]
    assert [str(m.topic_id) for m in discourse.forum.messages] == [topic_id]


def test_a_busy_lookup_is_retried_never_skipped(actions, discourse, names, now):
    sent = actions.send_private_message(key="champion:acme:5", username=names[0], title=TITLE, raw=RAW)
    discourse.clear_requests()
    discourse.faults.add(path="/t/external_id/", status=429, retry_after=0)
    discourse.faults.add(path="/t/external_id/", status=503)  # the next lookup
    again = actions.send_private_message(key="champion:acme:5", username=names[0], title=TITLE, raw=RAW,
                                         maybe_sent_at=now)
    assert again == sent and len(discourse.forum.messages) == 1
    assert [(m, s) for m, _, s in calls(discourse)] == [("GET", 429), ("GET", 503), ("GET", 301)]


def test_a_lookup_answer_without_a_topic_is_an_error_not_a_send(actions, discourse, names, now):
    discourse.faults.add(path="/t/external_id/", body={"unexpected": True})
    with pytest.raises(InvalidRequestError, match="no id"):
        actions.send_private_message(key="champion:acme:6", username=names[0], title=TITLE, raw=RAW,
                                     maybe_sent_at=now)
    assert discourse.forum.messages == []


def test_each_key_is_its_own_message(actions, discourse, names):
    ids = {actions.send_private_message(key=f"champion:{n}", username=n, title=TITLE, raw=RAW) for n in names}
    assert len(ids) == 3 and len(discourse.forum.messages) == 3


@pytest.mark.parametrize(("title", "raw", "username", "reason"), [
    ("", RAW, None, "Title can't be blank"),
    ("x" * 256, RAW, None, "Title is too long (maximum is 255 characters)"),
    (TITLE, "Thanks!", None, "Body is too short (minimum is 10 characters)"),
    (TITLE, "a" * 32001, None, "Body is limited to 32000 characters"),
    (TITLE, "THANK YOU FOR EVERYTHING", None, "Body seems unclear"),
    (TITLE, RAW, "nobody_here", "could not be found"),
])
def test_refusals_surface_as_invalid_requests(actions, discourse, names, title, raw, username, reason):
    with pytest.raises(InvalidRequestError, match=re.escape(reason)) as caught:
        actions.send_private_message(key="champion:bad", username=username or names[0], title=title, raw=raw)
    assert caught.value.status == 422 and discourse.forum.messages == []
    assert [(m, s) for m, _, s in calls(discourse)] == [("POST", 422), ("GET", 404)]  # not retried


def test_built_from_a_credentials_block(discourse, names):
    block = DiscourseCredentials(base_url=discourse.base_url + "/", api_key=discourse.api_key,
                                 requests_per_minute=0)
    actions = DiscourseActions.from_block(block, policy=RetryPolicy("discourse", sleep=lambda s: None))
    assert actions.add_to_group("champions", names[:1]) == names[:1]
    assert actions.send_private_message(key="champion:block", username=names[0], title=TITLE, raw=RAW)
    assert discourse.requests[-1].headers["Api-Username"] == "system"


def test_external_ids_are_what_discourse_accepts():
    ids = {external_id_for(k) for k in ("a", "A", "champion:acme:1", "ü" * 500, "x y/z?")}
    assert len(ids) == 5
    assert all(len(i) <= 50 and i.replace("-", "").isalnum() for i in ids)
    with pytest.raises(ValueError):
        external_id_for("")
