"""What a sync costs in calls: Discourse (60 a minute for a whole site) and HubSpot."""

from __future__ import annotations

from datetime import timedelta

from connectors.blocks import DiscourseCredentials
from connectors.store import Store
from flows.community_sync import community_sync
from tests.flows.conftest import NOW, Deployment


def with_webhooks(d: Deployment) -> None:
    name = d.params["discourse_block"]
    block = DiscourseCredentials.load(name)
    block.webhook_secret = "webhook-secret"
    block.save(name, overwrite=True)


def test_a_no_op_sync_with_webhooks_costs_two_calls_and_new_members_still_arrive(deployment: Deployment) -> None:
    d = deployment
    with_webhooks(d)
    community_sync(**d.params, now=NOW)
    d.forum.requests.clear()
    community_sync(**d.params, now=NOW + timedelta(minutes=15))
    assert [r.path for r in d.forum.requests] == ["/admin/users/list/active.json", "/posts.json"]

    newcomer = d.community.add_person("newcomer", "newcomer@example.org", NOW + timedelta(minutes=20))
    d.forum.requests.clear()
    community_sync(**d.params, now=NOW + timedelta(minutes=30))
    assert len(d.forum.requests) == 2
    with Store.open(d.database_url) as store:
        assert f"discourse:{newcomer.id}" in {m.key for m in store.members()}


def test_every_member_is_read_again_once_a_day(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    pages = len([r for r in d.forum.requests if r.path.startswith("/admin/users/list/")])
    assert pages > 1
    person = next(p for p in d.community.people if p.id > 0 and not p.is_staff)
    person.email = "changed@example.org"
    for later, expected in ((timedelta(hours=2), 1), (timedelta(days=1, minutes=1), pages)):
        d.forum.requests.clear()
        community_sync(**d.params, now=NOW + later)
        assert len([r for r in d.forum.requests if r.path.startswith("/admin/users/list/")]) == expected
    with Store.open(d.database_url) as store:
        assert {m.key: m.email for m in store.members()}[f"discourse:{person.id}"] == "changed@example.org"


def test_with_the_likes_query_a_first_sync_reads_each_page_once_and_no_post_twice(deployment: Deployment) -> None:
    """Members, posts, categories and one query per 10,000 likes: the minimum, with the same activities."""
    import math

    from connectors.discourse import LIKES_PER_QUERY
    from connectors.testing.discourse import POSTS_PER_PAGE, USERS_PER_PAGE

    d = deployment
    name = d.params["discourse_block"]
    block = DiscourseCredentials.load(name)
    block.likes_query_id = d.forum.likes_query_id
    block.save(name, overwrite=True)
    first = community_sync(**d.params, now=NOW)["discourse"]
    paths = [r.path for r in d.forum.requests]
    posts = math.ceil(len(d.community.posts) / POSTS_PER_PAGE)
    assert len(paths) == (math.ceil(len(d.community.people) / USERS_PER_PAGE) + posts + 1
                          + math.ceil(len(d.community.likes) / LIKES_PER_QUERY) + 1), sorted(set(paths))
    assert not any(p.startswith(("/post_action_users", "/t/")) for p in paths)
    assert first["new_activities"] == len(d.community.posts) + len([x for x in d.community.likes if x.user_id > 0])
    with Store.open(d.database_url) as store:
        times = {a.source_event_id: a.occurred_at for a in store.activities() if a.type == "reaction"}
    like = next(x for x in d.community.likes if x.user_id > 0 and x.created_at is not None)
    assert abs(times[f"like:{like.post_id}:{like.user_id}"] - like.created_at) < timedelta(milliseconds=1)

    d.forum.requests.clear()
    d.forum.like(d.community.posts[0].id, next(p.id for p in d.community.people if p.id > 0 and (
        d.community.posts[0].id, p.id) not in {(x.post_id, x.user_id) for x in d.community.likes}), NOW)
    again = community_sync(**d.params, now=NOW + timedelta(minutes=15))["discourse"]
    assert again["new_activities"] == 1 and len(d.forum.requests) == 3  # members, posts, likes


def test_a_no_op_sync_reads_only_hubspot_changes_and_a_changed_contact_arrives(deployment: Deployment) -> None:
    d = deployment
    first = community_sync(**d.params, now=NOW)["hubspot"]
    assert first["full_read"] == 1
    person = next(p for p in d.community.people if p.contact_id)
    d.crm.update_contact(person.contact_id, email="new.address@example.org")
    d.crm.clear_requests()
    again = community_sync(**d.params, now=NOW + timedelta(minutes=15))["hubspot"]
    reads = [(r.method, r.path) for r in d.crm.requests if r.method == "GET" or r.path.endswith(("/search", "/batch/read"))]
    assert again["full_read"] == 0 and ("GET", "/crm/v3/objects/contacts") not in reads
    assert ("POST", "/crm/v3/objects/contacts/search") in reads and ("POST", "/crm/v3/objects/companies/search") in reads
    with Store.open(d.database_url) as store:
        assert {c.id: c.email for c in store.contacts("hubspot")}[person.contact_id] == "new.address@example.org"
