"""The Discourse connector through pydiscourse against the emulator."""

from datetime import timedelta

import pytest

from connectors.blocks import DiscourseCredentials
from connectors.discourse import DiscourseSource
from connectors.errors import AuthError, RetryableError
from connectors.retry import RetryPolicy


def source(emulator, slept=None, **kw) -> DiscourseSource:
    client = DiscourseCredentials(base_url=emulator.base_url, api_username=emulator.api_username,
                                  api_key=kw.pop("key", emulator.api_key)).get_client()
    policy = RetryPolicy("discourse", sleep=(slept.append if slept is not None else lambda s: None), attempts=3)
    return DiscourseSource(client, policy=policy)


def test_members_with_emails_across_pages(discourse, community):
    pages = list(source(discourse).member_pages())
    members = [m for page in pages for m in page]
    assert len(pages) >= 3 and len(members) == len(community.people)
    by_id = {int(m.external_id): m for m in members}
    person = community.people[5]
    assert by_id[person.id].email == person.email and by_id[person.id].key == f"discourse:{person.id}"
    assert any(m.is_staff for m in members) and any(m.is_bot for m in members)


def test_posts_first_run_then_incremental(discourse, community, now):
    src = source(discourse)
    events = [e for page in src.post_pages(None, now=now) for e in page.events]
    expected = len(community.posts) + len(community.likes)
    assert len(events) == expected and len({e.source_event_id for e in events}) == expected
    high = max(p.id for p in community.posts)
    # nothing new: only recent posts are re-read for likes, no new posts
    again = [e for page in src.post_pages(high, now=now, likes_lookback=timedelta(0)) for e in page.events]
    assert again == []
    topic = community.add_topic(community.people[3].id, "What does the Enterprise plan cost?", "pricing?",
                                community.categories[0].id, created_at=now - timedelta(minutes=5))
    new = [e for page in src.post_pages(high, now=now, likes_lookback=timedelta(0)) for e in page.events]
    assert [(e.kind, e.title) for e in new] == [("topic", topic.title)]
    assert new[0].category == community.categories[0].slug and new[0].url.endswith(f"/{topic.id}/1")


def test_late_like_on_a_recent_post_is_picked_up(discourse, community, now):
    src = source(discourse)
    high = max(p.id for p in community.posts)
    post = community.add_reply(community.topics[0].id, community.people[1].id, "thanks!", created_at=now - timedelta(hours=3))
    list(src.post_pages(high, now=now))
    community.add_like(post.id, community.people[2].id)
    events = [e for page in src.post_pages(post.id, now=now, likes_lookback=timedelta(days=1)) for e in page.events]
    assert f"like:{post.id}:{community.people[2].id}" in {e.source_event_id for e in events}


def test_500_then_success_is_retried_with_backoff(discourse, now):
    slept: list[float] = []
    discourse.faults.add(path="/posts", status=500)
    page = next(source(discourse, slept).post_pages(None, now=now))
    assert page.events and len(slept) == 1
    assert [r.status for r in discourse.requests if r.path.startswith("/posts")][:2] == [500, 200]


def test_429_then_success(discourse, now):
    """Our policy waits what Discourse asks (no sleep of pydiscourse's own); the page still arrives."""
    discourse.faults.add(path="/posts", status=429, retry_after=0)
    page = next(source(discourse).post_pages(None, now=now))
    assert page.events
    assert [r.status for r in discourse.requests if r.path.startswith("/posts")][:2] == [429, 200]


def test_bad_key_is_an_auth_error_not_retried(discourse):
    with pytest.raises(AuthError):
        list(source(discourse, key="wrong").member_pages())
    assert len(discourse.requests) == 1


def test_dropped_connection_is_retryable_and_gives_up(discourse, now):
    discourse.faults.add(path="/posts", drop=True, times=5)
    with pytest.raises(RetryableError):
        next(source(discourse).post_pages(None, now=now))
    assert len([r for r in discourse.requests if r.path.startswith("/posts")]) == 3


def test_malformed_posts_are_rejected_with_a_reason_and_the_rest_goes_on(discourse, community, now):
    good = source(discourse)
    real = good.client.latest_posts()["latest_posts"]
    broken = [
        {**real[0], "created_at": "yesterday"},
        {**real[1], "user_id": None},
        {"id": "not-a-number"},
        real[2],
    ]
    discourse.faults.add(path="/posts", body={"latest_posts": broken})
    page = next(source(discourse).post_pages(None, now=now))
    rejected = {(r.ref, r.reason.split(":")[1].strip()) for r in page.rejected}
    assert rejected == {("post:not-a-number", "id is not an integer but a string 'not-a-number'"),
                        (f"post:{real[0]['id']}", "unreadable created_at"),
                        (f"post:{real[1]['id']}", "user_id is missing")}
    assert f"post:{real[2]['id']}" in {e.source_event_id for e in page.events}


def test_replies_know_who_started_their_thread_from_the_feed_alone(discourse, community, now):
    """A reply is placed by its topic's first post, read later in the same feed: no topic is read."""
    pages = list(source(discourse).post_pages(None, now=now))
    starters = {topic: owner for page in pages for topic, owner in page.starters.items()}
    unresolved = {event: topic for page in pages for event, topic in page.unresolved.items()}
    replies = [e for page in pages for e in page.events if e.kind in ("reply", "solution")]
    assert replies and unresolved
    for event in replies:
        post = community.post_by_id(int(event.source_event_id.split(":")[1]))
        owner = f"discourse:{community.topic_by_id(post.topic_id).user_id}"
        if event.source_event_id in unresolved:
            assert event.thread_owner_key is None and starters[unresolved[event.source_event_id]] == owner
        else:
            assert event.thread_owner_key == owner
    assert [r for r in discourse.requests if r.path.startswith("/t/")] == []


def test_a_topic_older_than_the_read_is_read_once(discourse, community, now):
    post = next(p for p in reversed(community.posts) if p.post_number > 1)
    src = source(discourse)
    owner = f"discourse:{community.topic_by_id(post.topic_id).user_id}"
    assert src.topic_owner(post.topic_id) == owner and src.topic_owner(post.topic_id) == owner
    assert [r.path for r in discourse.requests if r.path.startswith("/t/")] == [f"/t/{post.topic_id}.json"]
    assert src.topic_owner(10**9) is None  # deleted or private: a plain reply
