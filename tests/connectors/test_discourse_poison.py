"""One poison record never stops a Discourse sync: pydiscourse over HTTP, both databases.

Each test serves one kind of bad record from the emulator, syncs three times into a real
store the way ``flows.pulls.pull_discourse`` does, and checks that the run completes, the
good records are stored, the bad one is quarantined exactly once and the cursor moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from pydiscourse import DiscourseClient

from connectors.discourse import DiscourseSource
from connectors.retry import RetryPolicy
from connectors.store import Store
from connectors.testing import Community, DiscourseEmulator, generate_community
from scoring.classify import ClassificationRules, to_activity

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
CURSOR = "discourse:posts"
RULES = ClassificationRules()


@pytest.fixture
def community() -> Community:
    return generate_community(members=40, companies=10, activities=300, seed=19, now=NOW)


@pytest.fixture
def forum(community: Community) -> Iterator[DiscourseEmulator]:
    with DiscourseEmulator(community) as emulator:
        yield emulator


@dataclass
class Run:
    """What one sync did."""

    quarantined: int
    members: int
    cursor: str | None


def sync(forum: DiscourseEmulator, store: Store) -> Run:
    """One run as the pull task does it: members, then posts and likes since the cursor."""
    client = DiscourseClient(forum.base_url, api_username=forum.api_username, api_key=forum.api_key)
    source = DiscourseSource(client, policy=RetryPolicy("discourse", attempts=2, sleep=lambda s: None))
    quarantined = members = 0
    for page in source.member_pages():
        members += store.upsert_members(page)
        quarantined += sum(store.quarantine("discourse", r.ref, r.reason, r.payload) for r in page.rejected)
    stored = store.get_cursor(CURSOR)
    high = int(stored) if stored else 0
    for page in source.post_pages(high or None, now=NOW):
        quarantined += sum(store.quarantine("discourse", r.ref, r.reason, r.payload) for r in page.rejected)
        store.save_page(activities=[a for a in (to_activity(e, RULES) for e in page.events) if a])
        high = max(high, page.max_post_id)
    store.set_cursor(CURSOR, str(high))
    return Run(quarantined, members, store.get_cursor(CURSOR))


def sync_three_times(forum: DiscourseEmulator, store: Store) -> list[Run]:
    return [sync(forum, store) for _ in range(3)]


def expected_ids(community: Community, *, without: set[str] = frozenset()) -> set[str]:
    """The oracle: every post and like of the community, less the poisoned ones."""
    ids = {f"post:{p.id}" for p in community.posts} | {f"like:{x.post_id}:{x.user_id}" for x in community.likes}
    return ids - set(without)


def stored_ids(store: Store) -> set[str]:
    return {a.source_event_id for a in store.activities()}


def fresh_topic(community: Community, title: str = "A fresh question", raw: str = "How do I?"):
    """A topic posted an hour ago: the newest post, re-read by every run (likes lookback)."""
    return community.add_topic(community.people[3].id, title, raw, community.categories[0].id,
                               created_at=NOW - timedelta(hours=1))


def assert_quarantined_once(store: Store, runs: list[Run], ref: str | None, reason: str) -> None:
    [entry] = store.quarantined()
    assert (entry.source, entry.ref) == ("discourse", ref)
    assert reason in entry.reason
    assert [r.quarantined for r in runs] == [1, 0, 0]


# -- text that a database refuses: cleaned, stored, nothing quarantined ----------------------
def test_nul_in_title_body_and_name_is_stripped_and_stored(forum, community, database_url) -> None:
    topic = fresh_topic(community, "Deploy\x00 fails", "Stack trace:\x00 none")
    person = community.person_by_id(topic.user_id)
    person.name = "Ann\x00 Lee"
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert store.quarantined() == [] and [r.quarantined for r in runs] == [0, 0, 0]
        assert stored_ids(store) == expected_ids(community)
        post = next(a for a in store.activities() if a.source_event_id == f"post:{max(p.id for p in community.posts)}")
        assert post.title == "Deploy fails" and post.excerpt.startswith("Stack trace: none")
        member = next(m for m in store.members() if m.key == f"discourse:{person.id}")
        assert member.name == "Ann Lee"
        assert runs[0].cursor == runs[2].cursor == str(max(p.id for p in community.posts))
        assert runs[0].members == len(community.people)


def test_lone_surrogate_in_a_post_is_replaced_and_stored(forum, community, database_url) -> None:
    fresh_topic(community, "Odd \ud800 title", "a lone \udc00 surrogate and a pair 😀")
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert store.quarantined() == []
        assert stored_ids(store) == expected_ids(community)
        newest = str(max(p.id for p in community.posts))
        post = next(a for a in store.activities() if a.source_event_id == f"post:{newest}")
        assert post.title == "Odd \ufffd title" and post.excerpt.startswith("a lone \ufffd surrogate and a pair 😀")
        assert runs[0].cursor == newest


# -- records of the wrong shape: quarantined once, the rest stored ---------------------------
@pytest.mark.parametrize("garbage", ["not a post", None, 42, ["a", "list"]])
def test_a_post_that_is_not_an_object_is_quarantined_once(forum, community, database_url, garbage) -> None:
    topic = fresh_topic(community)
    poisoned = max(p.id for p in community.posts)
    forum.poison.replace("post", poisoned, garbage)
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert_quarantined_once(store, runs, None, "post is not an object")
        assert stored_ids(store) == expected_ids(community, without={f"post:{poisoned}"})
        assert runs[0].cursor == str(poisoned - 1)  # the newest readable post
    assert topic.id  # the topic itself is fine: only its post record was poisoned


def test_a_like_count_that_is_not_a_number_quarantines_the_post(forum, community, database_url) -> None:
    topic = fresh_topic(community)
    poisoned = max(p.id for p in community.posts)
    community.add_like(poisoned, community.people[5].id)
    forum.poison.patch("post", poisoned, actions_summary=[{"id": 2, "count": "many", "can_act": True}])
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert_quarantined_once(store, runs, f"post:{poisoned}", "count is not an integer but a string 'many'")
        lost = {f"post:{poisoned}", f"like:{poisoned}:{community.people[5].id}"}
        assert stored_ids(store) == expected_ids(community, without=lost)
        assert runs[0].cursor == str(poisoned)  # quarantined is handled: the cursor covers it
    assert topic.id


def test_a_user_whose_id_is_not_a_number_is_quarantined_once(forum, community, database_url) -> None:
    victim = community.people[7]
    forum.poison.patch("user", victim.id, id="abc")
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert_quarantined_once(store, runs, "user:abc", "id is not an integer but a string 'abc'")
        keys = {m.key for m in store.members()}
        assert f"discourse:{victim.id}" not in keys and len(keys) == len(community.people) - 1
        assert stored_ids(store) == expected_ids(community)  # their posts still count
        assert runs[0].cursor == str(max(p.id for p in community.posts))


def test_a_user_that_is_not_an_object_is_quarantined_once(forum, community, database_url) -> None:
    forum.poison.replace("user", community.people[2].id, None)
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert_quarantined_once(store, runs, None, "user is not an object but null")
        assert len(store.members()) == len(community.people) - 1


def test_a_liker_without_a_user_is_quarantined_never_a_member(forum, community, database_url) -> None:
    fresh_topic(community)
    liked = max(p.id for p in community.posts)
    liker = community.people[6].id
    community.add_like(liked, liker)
    forum.poison.append("likers", liked, {"id": None, "username": None, "name": None})
    with Store.open(database_url) as store:
        runs = sync_three_times(forum, store)
        assert_quarantined_once(store, runs, None, "like of post")
        assert "id is missing" in store.quarantined()[0].reason
        assert stored_ids(store) == expected_ids(community)  # the real like is stored
        assert not any("None" in a.member_key for a in store.activities())
        assert not any("None" in m.key for m in store.members())
