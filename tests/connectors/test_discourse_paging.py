"""Discourse pagers that neither loop nor lose: ``before`` checked, likers read to the end,
a newest-first read resumed from a page's position. pydiscourse against the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydiscourse import DiscourseClient

from connectors.discourse import DiscourseSource, PagingStalled
from connectors.discourse_paging import LIKERS_PER_PAGE, posts_below
from connectors.retry import RetryPolicy
from connectors.testing import DiscourseEmulator, generate_community
from tests.connectors.conftest import NOW


@pytest.fixture
def discourse():
    """A smaller forum than the other connector tests': these read it whole several times."""
    community = generate_community(members=120, companies=10, activities=700, seed=7, now=NOW)
    with DiscourseEmulator(community) as emulator:
        yield emulator


@pytest.fixture
def community(discourse):
    return discourse.community


def source(emulator: DiscourseEmulator) -> DiscourseSource:
    client = DiscourseClient(emulator.base_url, api_username=emulator.api_username, api_key=emulator.api_key)
    return DiscourseSource(client, policy=RetryPolicy("discourse", sleep=lambda s: None, attempts=3))


def event_ids(pages) -> list[str]:
    return [e.source_event_id for page in pages for e in page.events]


def post_requests(emulator: DiscourseEmulator) -> list:
    return [r for r in emulator.requests if r.path.startswith("/posts")]


# -- before: exclusive, inclusive, ignored ------------------------------------------------------
def test_a_server_that_ignores_before_stops_with_a_clear_error_not_a_loop(discourse, now):
    discourse.before_mode = "ignored"
    pages = []
    with pytest.raises(PagingStalled, match="ignores `before`"):
        for page in source(discourse).post_pages(None, now=now):
            pages.append(page)
    assert len(pages) == 1 and len(post_requests(discourse)) == 2  # the first page, one repeat


def test_an_inclusive_before_is_deduplicated(discourse, community, now):
    exclusive = event_ids(source(discourse).post_pages(None, now=now))
    discourse.before_mode = "inclusive"
    inclusive = event_ids(source(discourse).post_pages(None, now=now))
    assert len(inclusive) == len(set(inclusive)) == len(community.posts) + len(community.likes)
    assert sorted(inclusive) == sorted(exclusive)


def test_posts_below_keeps_unreadable_ids_for_the_quarantine() -> None:
    posts = [{"id": 7}, {"id": "x"}, {"id": 5}]
    assert posts_below(posts, 7, lambda p: p["id"] if isinstance(p["id"], int) else None) == posts[1:]
    assert posts_below([{"id": 7}], 7, lambda p: p["id"]) == []  # an inclusive feed's end
    with pytest.raises(PagingStalled):
        posts_below([{"id": 9}, {"id": 8}], 7, lambda p: p["id"])


# -- likers: 200 a page ------------------------------------------------------------------------
def test_a_post_with_450_likes_is_read_to_the_end():
    community = generate_community(members=500, companies=20, activities=400, seed=5, now=NOW)
    post = community.posts[-1]
    likers = {like.user_id for like in community.likes_of_post(post.id)}
    for person in community.people:
        if len(likers) == 450:
            break
        if person.id not in likers and person.id > 0:  # not the system user
            community.add_like(post.id, person.id, NOW - timedelta(minutes=len(likers)))
            likers.add(person.id)
    with DiscourseEmulator(community) as discourse:
        pages = list(source(discourse).post_pages(None, now=NOW))
        reads = [r for r in discourse.requests
                 if r.path == "/post_action_users" and r.query["id"] == [str(post.id)]]
    liked = [e for e in event_ids(pages) if e.startswith(f"like:{post.id}:")]
    assert len(liked) == len(set(liked)) == 450
    assert [r.query.get("page") for r in reads] == [["0"], ["1"], ["2"]]
    assert len(event_ids(pages)) == len(set(event_ids(pages))) == len(community.posts) + len(community.likes)


def test_a_server_that_ignores_page_for_likers_stops_with_a_clear_error(discourse, community, now):
    src = source(discourse)
    post = src.client.latest_posts()["latest_posts"][0]
    same = {"post_action_users": [{"id": i, "username": f"u{i}"} for i in range(1, LIKERS_PER_PAGE + 1)]}
    discourse.faults.add(path="/post_action_users", body=same, times=2)
    with pytest.raises(PagingStalled, match="ignores `page`"):
        src._like_events(post, now)


# -- resuming a newest-first read ---------------------------------------------------------------
@pytest.mark.parametrize("mode", ["exclusive", "inclusive"])
def test_a_read_resumed_from_a_page_position_yields_exactly_the_rest(discourse, now, mode):
    discourse.before_mode = mode
    src = source(discourse)
    full = list(src.post_pages(None, now=now))
    everything = event_ids(full)
    assert len(full) > 4
    positions = [p.position for p in full]
    assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(positions)
    for stop in (1, 2, len(full) // 2, len(full) - 1):
        first = full[:stop]
        rest = list(src.post_pages(None, now=now, before=first[-1].position))
        resumed = event_ids(first) + event_ids(rest)
        assert len(resumed) == len(set(resumed))  # nothing twice
        assert sorted(resumed) == sorted(everything)  # nothing lost
        assert [p.position for p in rest] == positions[stop:]
    assert list(src.post_pages(None, now=now, before=positions[-1])) == []


def test_an_incremental_read_resumes_from_a_position_down_to_its_cursor(discourse, community, now):
    src = source(discourse)
    high = max(p.id for p in community.posts)
    for i in range(120):  # a busy day: more than two pages of new posts
        community.add_reply(community.topics[i % len(community.topics)].id, community.people[i].id,
                            f"reply {i}", created_at=now - timedelta(minutes=i))
    pages = src.post_pages(high, now=now, likes_lookback=timedelta(0))
    first = next(pages)
    rest = list(src.post_pages(high, now=now, likes_lookback=timedelta(0), before=first.position))
    ids = event_ids([first, *rest])
    assert len(ids) == len(set(ids)) == 120 and all(int(i.split(":")[1]) > high for i in ids)
