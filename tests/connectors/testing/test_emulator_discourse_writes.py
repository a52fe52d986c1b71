"""The Discourse emulator's groups and private messages through pydiscourse: Discourse's rules,
the official OpenAPI document's shapes."""

from __future__ import annotations

import pytest
import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseClientError

from tests.connectors.testing.spec import assert_valid, response_validator

TITLE = "Welcome to the champions"
RAW = "We would love to have you in the champions group."


@pytest.fixture
def client(discourse) -> DiscourseClient:
    return DiscourseClient(host=discourse.base_url, api_username="system", api_key="test-key")


@pytest.fixture
def names(community) -> list[str]:
    return [p.username for p in community.people[1:4]]


def send(client: DiscourseClient, **overrides) -> dict:
    args = {"title": TITLE, "archetype": "private_message", **overrides}
    return client.create_post(args.pop("raw", RAW), **args)


def refused(call) -> tuple[int, list[str]]:
    with pytest.raises(DiscourseClientError) as caught:
        call()
    return caught.value.response.status_code, caught.value.response.json()["errors"]


# -- groups ----------------------------------------------------------------------------------
def test_group_and_its_members_match_spec(client, discourse, names):
    body = client.group("champions")
    assert_valid(response_validator("discourse", "/groups/{name}.json"), body)
    assert body["group"]["name"] == "champions" and body["group"]["id"] == 41
    added = client.add_group_members(41, names)
    assert_valid(response_validator("discourse", "/groups/{id}/members.json", "put"), added)
    assert added == {"success": "OK", "usernames": names, "emails": []}
    members = client._get("/groups/champions/members.json")
    assert_valid(response_validator("discourse", "/groups/{name}/members.json"), members)
    assert sorted(m["username"] for m in members["members"]) == sorted(names)
    assert client.group_members("champions") == members["members"]  # pydiscourse's pager agrees


def test_adding_only_members_is_refused_like_discourse(client, discourse, names):
    client.add_group_members(41, names[:2])
    assert refused(lambda: client.add_group_member(41, names[0])) == (
        422, [f"'{names[0]}' is already a member of this group."])
    status, errors = refused(lambda: client.add_group_members(41, [names[1], names[0], "nobody_here"]))
    assert status == 422 and errors[0].endswith(", ".join(sorted(names[:2])))
    # one newcomer among members: no error, everyone named (and known) is in the answer
    assert client.add_group_members(41, names)["usernames"] == names
    assert discourse.forum.members_of("champions") == sorted(names)


def test_group_refusals(client, names):
    assert refused(lambda: client.group("nope"))[0] == 404
    assert refused(lambda: client.add_group_members(999, names))[0] == 404
    assert refused(lambda: client.add_group_members(11, names))[0] == 403  # trust_level_1: automatic
    assert refused(lambda: client.add_group_members(41, ["nobody_here"])) == (
        400, ["You supplied invalid parameters to the request: usernames"])
    assert refused(lambda: client._get("/groups/champions/members.json", limit=1001))[0] == 400


def test_member_filter_matches_like_discourse(client, discourse, community):
    """Substrings of username or email; a comma-separated filter is a set of alternatives."""
    people = community.people[1:9]
    client.add_group_members(41, [p.username for p in people])

    def matching(*terms: str) -> int:
        return sum(any(t.lower() in f"{p.username} {p.email}".lower() for t in terms) for p in people)

    prefix = people[0].username[:4].upper()
    one = client._get("/groups/champions/members.json", filter=prefix)
    assert one["meta"]["total"] == matching(prefix) >= 1
    assert people[0].username in {m["username"] for m in one["members"]}
    terms = (people[1].username, people[2].username)
    two = client._get("/groups/champions/members.json", filter=",".join(terms), limit=1)
    assert two["meta"] == {"total": matching(*terms), "limit": 1, "offset": 0} and matching(*terms) >= 2
    assert len(two["members"]) == 1


# -- private messages ------------------------------------------------------------------------
def test_private_message_matches_spec_and_is_listed(client, discourse, names):
    post = send(client, target_recipients=names[0], external_id="key-1")
    assert_valid(response_validator("discourse", "/posts.json", "post"), post)
    assert post["post_number"] == 1 and post["username"] == "system"
    sent = client._get("/topics/private-messages-sent/system.json")
    assert_valid(response_validator("discourse", "/topics/private-messages-sent/{username}.json"), sent)
    [topic] = sent["topic_list"]["topics"]
    assert topic["id"] == post["topic_id"] and topic["archetype"] == "private_message"
    assert "external_id" not in topic  # topic lists do not show it: look it up by external id
    assert post["id"] not in {p["id"] for p in client.latest_posts()["latest_posts"]}


def test_topic_by_external_id_redirects_like_rails(client, discourse, names):
    post = send(client, target_recipients=names[0], external_id="Key-2")
    headers = {"Api-Key": "test-key", "Api-Username": "system"}
    raw = requests.get(f"{discourse.base_url}/t/external_id/key-2.json", headers=headers,
                       allow_redirects=False, timeout=5)
    assert raw.status_code == 301 and raw.headers["Location"].endswith(f"/{post['topic_id']}.json")
    assert raw.headers["Content-Type"].startswith("text/html")
    topic = client._get("/t/external_id/KEY-2.json", override_request_kwargs={"allow_redirects": True})
    assert topic["id"] == post["topic_id"] and topic["archetype"] == "private_message"
    assert refused(lambda: client._get("/t/external_id/other.json"))[0] == 404


def test_external_ids_are_validated_and_unique(client, discourse, names):
    discourse.forum.settings.api_post_memo_seconds = 0
    send(client, target_recipients=names[0], external_id="champion-1")
    assert refused(lambda: send(client, target_recipients=names[1], external_id="CHAMPION-1")) == (
        422, ["External has already been taken"])
    assert refused(lambda: send(client, target_recipients=names[1], external_id="a:b"))[1] == [
        "External is invalid"]
    assert refused(lambda: send(client, target_recipients=names[1], external_id="x" * 51))[1] == [
        "External is too long (maximum is 50 characters)"]
    assert len(discourse.forum.messages) == 1


def test_identical_api_posts_get_the_first_answer_for_a_while(client, discourse, names):
    clock = [1000.0]
    discourse.forum.clock = lambda: clock[0]
    first = send(client, target_recipients=names[0])
    assert send(client, target_recipients=names[0]) == first  # Discourse's 120 s memo
    clock[0] += 121
    assert send(client, target_recipients=names[0])["topic_id"] != first["topic_id"]
    assert len(discourse.forum.messages) == 2


def test_message_rules(client, discourse, names):
    assert refused(lambda: send(client, target_recipients=names[0], title="x", raw="hi")) == (
        422, ["Title is too short (minimum is 2 characters)", "Body is too short (minimum is 10 characters)"])
    assert refused(lambda: send(client, target_recipients=""))[1] == ["You must select a valid user."]
    assert refused(lambda: send(client, target_recipients=f"{names[0]},nobody_here"))[1] == [
        "One of the users you are sending this message to could not be found."]
    assert refused(lambda: send(client, target_recipients=names[0], raw="aaaa bbbb aaaa"))[1] == [
        "Body seems unclear, is it a complete sentence?"]
    assert refused(lambda: send(client, target_recipients=names[0], archetype="regular"))[0] == 400
    assert discourse.forum.messages == []
    cleaned = send(client, target_recipients=names[0], title="  welcome   aboard!!!  ")
    assert discourse.forum.message_by_topic_id(cleaned["topic_id"]).title == "Welcome aboard!"


def test_sent_messages_page_by_30(client, discourse, names):
    discourse.forum.settings.api_post_memo_seconds = 0
    for n in range(31):
        send(client, target_recipients=names[n % 3], title=f"Message number {n}")
    first = client._get("/topics/private-messages-sent/system.json")
    assert len(first["topic_list"]["topics"]) == 30
    assert first["topic_list"]["more_topics_url"] == "/topics/private-messages-sent/system?page=1"
    second = client._get("/topics/private-messages-sent/system.json", page=1)
    assert len(second["topic_list"]["topics"]) == 1 and "more_topics_url" not in second["topic_list"]
    assert refused(lambda: client._get("/topics/private-messages-sent/nobody_here.json"))[0] == 404
