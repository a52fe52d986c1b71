"""backfill: pulls everything resumably; while a run pulls, other runs stand aside."""

from __future__ import annotations

from datetime import timedelta

from connectors.store import Store
from flows.backfill import backfill
from flows.community_sync import community_sync
from flows.lease import PULL_LEASE
from tests.flows.conftest import NOW, Deployment

BACKFILL_KEYS = ("discourse_block", "slack_source_block", "crm", "hubspot_block", "salesforce_block",
                 "database_block", "discourse_requests_per_minute", "slack_pacing")


def test_backfill_pulls_everything_and_the_sync_scores_it(deployment: Deployment) -> None:
    d = deployment
    pulled = backfill(**{k: v for k, v in d.params.items() if k in BACKFILL_KEYS})
    total = len(d.community.posts) + len(d.community.likes)
    assert pulled["discourse"]["new_activities"] == total and pulled["identity"]["matched"] > 0
    assert d.slack.messages("community-alerts") == [] and d.crm.tasks() == []  # no plays from a backfill

    synced = community_sync(**d.params, now=NOW)
    assert synced["discourse"]["new_activities"] == 0
    assert synced["scored"]["entered_intent"] and len(d.slack.messages("community-alerts")) == len(
        synced["scored"]["entered_intent"])


def test_a_sync_stands_aside_while_another_run_pulls(deployment: Deployment) -> None:
    d = deployment
    with Store.open(d.database_url) as store:
        assert store.try_lease(PULL_LEASE, "flow run busy-backfill", timedelta(minutes=5))
    state = community_sync(**d.params, now=NOW, return_state=True)
    assert state.is_completed() and "busy-backfill is pulling" in state.message
    assert d.forum.requests == [] and d.slack.messages("community-alerts") == []
    blocked = backfill(**{k: v for k, v in d.params.items() if k in BACKFILL_KEYS}, return_state=True)
    assert blocked.is_completed() and "busy-backfill" in blocked.message

    with Store.open(d.database_url) as store:
        store.release_lease(PULL_LEASE, "flow run busy-backfill")
    assert community_sync(**d.params, now=NOW)["discourse"]["new_activities"] > 0
    with Store.open(d.database_url) as store:
        assert store.lease_holder(PULL_LEASE) is None  # released when the run ended


def test_a_backfill_killed_at_page_n_resumes_at_page_n(deployment: Deployment, tmp_path) -> None:
    """SIGKILL in the middle of the Discourse read: the next backfill starts below the last stored page."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from prefect.settings import PREFECT_API_URL

    from flows.pulls import DISCOURSE_POSTS_CURSOR, DiscourseMark

    d = deployment
    params = {k: v for k, v in d.params.items() if k in BACKFILL_KEYS}
    script = tmp_path / "run_backfill.py"
    script.write_text("import json, sys\nfrom flows.backfill import backfill\nbackfill(**json.loads(sys.argv[1]))\n")
    repo = Path(__file__).resolve().parents[2]
    d.forum.faults.add(path="/posts", delay=0.3, times=10_000)  # slow pages: time to kill it mid-read
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(repo)}
    run = subprocess.Popen([sys.executable, str(script), json.dumps(params)], cwd=repo, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    mark = DiscourseMark()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and run.poll() is None:
            with Store.open(d.database_url) as store:
                mark = DiscourseMark.parse(store.get_cursor(DISCOURSE_POSTS_CURSOR))
            if mark.before is not None and mark.fraction() > 0.2:
                break
            time.sleep(0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    assert mark.before is not None, "the backfill should have been killed mid-read"
    with Store.open(d.database_url) as store:
        stopped_at = DiscourseMark.parse(store.get_cursor(DISCOURSE_POSTS_CURSOR))
        partial = store.count_activities()
        holder = store.lease_holder(PULL_LEASE)
        assert holder and "flow run" in holder  # the killed run still holds the pull lease ...
        store.release_lease(PULL_LEASE, holder)  # ... until it runs out in 5 minutes: don't wait for it
    d.forum.faults.clear()
    d.forum.clear_requests()

    resumed = backfill(**params)

    pages = [r for r in d.forum.requests if r.path.startswith("/posts")]
    assert pages[0].query.get("before") == [str(stopped_at.before)]
    total = len(d.community.posts) + len(d.community.likes)
    assert resumed["discourse"]["new_activities"] == total - partial  # nothing stored twice ...
    with Store.open(d.database_url) as store:
        assert store.count_activities() == total  # ... nothing lost
        assert DiscourseMark.parse(store.get_cursor(DISCOURSE_POSTS_CURSOR)) == DiscourseMark(
            max(p.id for p in d.community.posts))


def topic_reads(d: Deployment) -> list[str]:
    return [r.path for r in d.forum.requests if r.path.startswith("/t/")]


def true_types(d: Deployment) -> dict[str, str]:
    """event id → activity type of every forum post and like, classified with its true thread starter."""
    from dataclasses import replace

    from connectors.blocks import DiscourseCredentials
    from connectors.discourse import DiscourseSource
    from scoring.classify import ClassificationRules, to_activity

    client = DiscourseCredentials(base_url=d.forum.base_url, api_username=d.forum.api_username,
                                  api_key=d.forum.api_key).get_client()
    types = {}
    for page in DiscourseSource(client).post_pages(None, now=NOW, read_likes=False):
        for event in page.events:
            post = d.community.post_by_id(int(event.source_event_id.split(":")[1]))
            owner = d.community.topic_by_id(post.topic_id).user_id
            activity = to_activity(replace(event, thread_owner_key=f"discourse:{owner}"), ClassificationRules())
            if activity is not None:
                types[activity.source_event_id] = activity.type
    return types


def stored_types(d: Deployment) -> dict[str, str]:
    """event id → type of the stored forum posts."""
    with Store.open(d.database_url) as store:
        return {a.source_event_id: a.type for a in store.activities() if a.source_event_id.startswith("post:")}


def test_replies_find_their_starters_in_the_feed_and_a_topic_is_read_once_ever(deployment: Deployment) -> None:
    """The first backfill reads no topic; replies to topics older than the read cost one read each, once."""
    from flows.pulls import DISCOURSE_POSTS_CURSOR

    from connectors.blocks import DiscourseCredentials

    d = deployment
    block = DiscourseCredentials.load(d.params["discourse_block"])
    block.likes_query_id = d.forum.likes_query_id  # likes in bulk: this test is about posts
    block.save(d.params["discourse_block"], overwrite=True)
    params = {k: v for k, v in d.params.items() if k in BACKFILL_KEYS}
    pulled = backfill(**params)["discourse"]
    assert topic_reads(d) == [] and pulled.get("replies_waiting", 0) == 0
    types = stored_types(d)
    assert types == true_types(d) and "answer" in types.values()

    # A store whose history starts mid-forum: replies to the topics begun before it are held, then
    # placed with one read per topic; reading the same range again reads no topic at all.
    middle = sorted(p.id for p in d.community.posts)[len(d.community.posts) // 2]
    from sqlalchemy import create_engine

    from connectors.store import tables as t

    with create_engine(d.database_url).begin() as conn:
        conn.execute(t.activities.delete())
        conn.execute(t.thread_owners.delete())
    before = {p.topic_id for p in d.community.posts if p.id <= middle}
    replied_later = {p.topic_id for p in d.community.posts if p.id > middle and p.post_number > 1} & before
    for run in range(2):
        with Store.open(d.database_url) as store:
            store.set_cursor(DISCOURSE_POSTS_CURSOR, str(middle))
        d.forum.requests.clear()
        backfill(**params)
        reads = topic_reads(d)
        assert len(reads) == len(set(reads))
        read = {int(r.split("/")[2].removesuffix(".json")) for r in reads}
        # (topics whose first post is re-read for new likes are learned from the feed, unread)
        assert (read <= replied_later and len(read) > len(replied_later) / 2) if run == 0 else read == set()
    stored = stored_types(d)
    assert {k: v for k, v in stored.items() if k in types} == {k: v for k, v in types.items() if k in stored}
