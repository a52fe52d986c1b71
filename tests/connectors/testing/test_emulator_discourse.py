"""The Discourse emulator through pydiscourse, checked against the official OpenAPI spec."""

from __future__ import annotations

import pytest
import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseClientError

from tests.connectors.testing.spec import assert_valid, response_validator


@pytest.fixture
def client(discourse) -> DiscourseClient:
    return DiscourseClient(host=discourse.base_url, api_username="system", api_key="test-key")


def test_list_users_pages_with_emails(client, discourse, community):
    users, page = [], 1
    while True:
        chunk = client.list_users("active", show_emails="true", page=page)
        if not chunk:
            break
        assert len(chunk) <= 100
        users.extend(chunk)
        page += 1
    assert page == 4  # 251 users: 100 + 100 + 51, then an empty page
    assert {u["id"] for u in users} == {p.id for p in community.people}
    assert all("email" in u for u in users)
    staff = [u for u in users if u["admin"] or u["moderator"]]
    assert staff and all(u["email"].endswith("@ourcompany.example") for u in staff)
    assert any(u["username"] == "discobot" for u in users)
    assert discourse.requests[0].query["show_emails"] == ["true"]


def test_show_emails_must_be_the_string_true(client):
    users = client.list_users("active", show_emails=True, page=1)  # sent as "True"
    assert users and not any("email" in u for u in users)


def test_user_list_matches_spec(client):
    validator = response_validator("discourse", "/admin/users/list/{flag}.json")
    assert_valid(validator, client.list_users("active", show_emails="true", page=1))
    assert_valid(validator, client.list_users("staff", page=1))


def test_latest_posts_pages_newest_first(client, community):
    seen, before = [], None
    for _ in range(3):
        page = client.latest_posts(before=before)["latest_posts"]
        assert len(page) == 50
        ids = [p["id"] for p in page]
        assert ids == sorted(ids, reverse=True)
        if before is not None:
            assert max(ids) < before
        seen.extend(ids)
        before = ids[-1]
    newest = max(p.id for p in community.posts)
    assert seen == list(range(newest, newest - 150, -1))


def test_latest_posts_end_and_fields(client, community):
    assert client.latest_posts(before=1)["latest_posts"] == []
    posts = client.latest_posts(before=2)["latest_posts"]
    assert [p["id"] for p in posts] == [1]
    liked = max(community.likes, key=lambda like: like.post_id).post_id
    post = client.latest_posts(before=liked + 1)["latest_posts"][0]
    assert post["id"] == liked
    like_summary = [a for a in post["actions_summary"] if a["id"] == 2]
    assert like_summary[0]["count"] == len(community.likes_of_post(liked))
    assert isinstance(post["accepted_answer"], bool)


def test_latest_posts_match_spec(client, community):
    validator = response_validator("discourse", "/posts.json")
    before = None
    for _ in range(4):
        body = client.latest_posts(before=before)
        assert_valid(validator, body)
        before = body["latest_posts"][-1]["id"]
    # the verbatim document rejects what real Discourse sends (see connectors.testing.specs)
    verbatim = response_validator("discourse", "/posts.json", errata=False)
    reply = next(p for p in community.posts if p.reply_to_post_number)
    body = client.latest_posts(before=reply.id + 1)
    assert not verbatim.is_valid(body)


def test_tricky_texts_round_trip(client, community):
    trap = next(p for p in community.posts if "<!channel>" in p.raw)
    huge = next(p for p in community.posts if len(p.raw) > 90_000)
    assert client.latest_posts(before=trap.id + 1)["latest_posts"][0]["raw"] == trap.raw
    got = client.latest_posts(before=huge.id + 1)["latest_posts"][0]
    assert got["raw"] == huge.raw and got["truncated"] is True


def test_new_activity_appears_on_top(client, community, now):
    person = next(p for p in community.people if p.company_id)
    topic = community.add_topic(person.id, "Pricing of the enterprise plan?", "How much?", 1, now)
    reply = community.add_reply(topic.id, community.people[5].id, "Ask sales 🙂", now)
    community.add_like(reply.id, person.id, now)
    latest = client.latest_posts()["latest_posts"]
    assert [p["id"] for p in latest[:2]] == [reply.id, reply.id - 1]
    assert latest[0]["topic_title"] == "Pricing of the enterprise plan?"
    assert latest[0]["post_number"] == 2
    likers = client.post_action_users(reply.id, post_action_type_id=2)
    assert [u["id"] for u in likers["post_action_users"]] == [person.id]


def test_post_action_users(client, discourse, community):
    # No spec path describes /post_action_users (pydiscourse calls it without .json), so
    # only the shape pydiscourse and our connector read is checked here.
    post_id = community.likes[0].post_id
    body = client.post_action_users(post_id, post_action_type_id=2)
    expected = {like.user_id for like in community.likes_of_post(post_id)}
    assert {u["id"] for u in body["post_action_users"]} == expected
    assert "total_rows_post_action_users" not in body  # Discourse adds it only beyond one page
    user = body["post_action_users"][0]
    assert set(user) == {"id", "username", "name", "avatar_template", "post_url", "username_lower"}
    assert discourse.requests[-1].path == "/post_action_users"


def test_post_action_users_pages_at_200(client, community):
    post_id = community.posts[0].id
    already = {like.user_id for like in community.likes_of_post(post_id)}
    for person in community.people:
        if person.id not in already:
            community.add_like(post_id, person.id)
    total = len(community.likes_of_post(post_id))
    assert total > 200
    first = client.post_action_users(post_id, post_action_type_id=2)
    assert len(first["post_action_users"]) == 200 and first["total_rows_post_action_users"] == total
    second = client.post_action_users(post_id, post_action_type_id=2, page=1)
    ids = [u["id"] for page in (first, second) for u in page["post_action_users"]]
    assert len(ids) == len(set(ids)) == total
    small = client.post_action_users(post_id, post_action_type_id=2, page=2, limit=20)
    assert [u["id"] for u in small["post_action_users"]] == ids[40:60]
    with pytest.raises(DiscourseClientError):
        client.post_action_users(post_id, post_action_type_id=2, limit=500)


@pytest.mark.parametrize("mode", ["exclusive", "inclusive", "ignored"])
def test_before_modes(client, discourse, community, mode):
    discourse.before_mode = mode
    newest = client.latest_posts()["latest_posts"]
    before = newest[-1]["id"]
    ids = [p["id"] for p in client.latest_posts(before=before)["latest_posts"]]
    expected = {"exclusive": before - 1, "inclusive": before, "ignored": newest[0]["id"]}[mode]
    assert ids[0] == expected


def test_topic_view(client, community):
    topic = community.topics[3]
    body = client.topic(topic.slug, topic.id)
    assert body["post_stream"]["stream"] == [p.id for p in community.posts_of_topic(topic.id)]


def test_auth_and_content_type(discourse, client):
    bad = DiscourseClient(host=discourse.base_url, api_username="system", api_key="nope")
    with pytest.raises(DiscourseClientError):
        bad.latest_posts()
    response = requests.get(discourse.base_url + "/posts.json", timeout=5)
    assert response.status_code == 403
    assert response.json()["error_type"] == "invalid_access"
    ok = requests.get(discourse.base_url + "/posts.json", timeout=5,
                      headers={"Api-Key": "test-key", "Api-Username": "system"})
    assert ok.headers["Content-Type"] == "application/json; charset=utf-8"


def test_categories_match_spec(client, community):
    validator = response_validator("discourse", "/categories.json")
    body = client._get("/categories.json")
    assert_valid(validator, body)
    assert {c["slug"] for c in client.categories()} == {c.slug for c in community.categories}
