"""community_sync end to end: a real Prefect server, the real clients, the emulators."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.logging import disable_run_logger
from pydiscourse import DiscourseClient
from pydantic import SecretStr

from connectors.blocks import CommunitySlackCredentials
from connectors.errors import NotFoundError
from connectors.store import Store
from flows.community_sync import community_sync
from flows.pulls import DISCOURSE_POSTS_CURSOR, DiscourseMark, pull_discourse
from scoring import ClassificationRules
from tests.flows.conftest import NOW, Deployment


def alerts(d: Deployment) -> list[dict]:
    return d.slack.messages("community-alerts")


def test_sync_alerts_once_per_intent_account_and_reruns_do_nothing(deployment: Deployment) -> None:
    d = deployment
    first = community_sync(**d.params, now=NOW)
    entered = first["scored"]["entered_intent"]
    assert entered and not first["actions"]["failed"]
    assert first["discourse"]["new_activities"] == len(d.community.posts) + len(d.community.likes)
    assert len(alerts(d)) == len(entered)
    tasks = d.crm.tasks()
    assert sorted(t["company_ids"][0] for t in tasks) == sorted(entered)
    assert {t["properties"]["hs_task_priority"] for t in tasks} == {"HIGH"}

    second = community_sync(**d.params, now=NOW)
    assert second["discourse"]["new_activities"] == 0
    assert second["actions"]["done"] == [] and second["scored"]["planned"] == []
    assert len(alerts(d)) == len(entered) and len(d.crm.tasks()) == len(tasks)

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["community-account-leaderboard"])))
    assert artifacts and artifacts[0].data


def test_a_members_premium_question_escapes_into_the_alert(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        states = store.tier_states("account")
        matches = store.matches()
    target = max((s for s in states.values() if s.tier == "consideration"), key=lambda s: s.score)
    member_key = next(k for k, m in sorted(matches.items()) if m.account_id == target.entity_id)
    user_id = int(member_key.split(":")[1])
    title = "Does the enterprise plan include SSO? <!channel> *bold* & <@U0001>"
    for n in range(math.ceil((75 - target.score) / 19) + 1):
        d.community.add_topic(user_id, title if n == 0 else f"Pricing for more seats {n}?", "pricing?",
                              d.community.categories[0].id, created_at=NOW - timedelta(minutes=30 + n))
    before = len(alerts(d))

    summary = community_sync(**d.params, now=NOW)

    assert target.entity_id in summary["scored"]["entered_intent"]
    new = alerts(d)[before:]
    assert len(new) == len(summary["scored"]["entered_intent"])
    message = new[0]
    raw = json.dumps([m.get("blocks") for m in new]) + " ".join(m["text"] for m in new)
    assert "&lt;!channel&gt;" in raw and "<!channel>" not in raw and "<@U0001>" not in raw
    assert message["metadata"]["event_payload"]["action_key"].startswith("intent:")


def test_failed_alerts_are_sent_once_after_the_fix(deployment: Deployment) -> None:
    d = deployment
    good = d.params["slack_block"]
    CommunitySlackCredentials(token=SecretStr("xoxb-revoked"), base_url=f"{d.slack.base_url}/api/").save(
        f"{good}-bad")
    first = community_sync(**{**d.params, "slack_block": f"{good}-bad"}, now=NOW)
    entered = first["scored"]["entered_intent"]
    assert len(first["actions"]["failed"]) == len(entered) and alerts(d) == []
    assert len(d.crm.tasks()) == len(entered)

    second = community_sync(**d.params, now=NOW)
    assert sorted(k for k, _ in second["actions"]["done"]) == sorted(f"intent:{a}:1:slack" for a in entered)
    assert len(alerts(d)) == len(entered) and len(d.crm.tasks()) == len(entered)
    third = community_sync(**d.params, now=NOW)
    assert third["actions"]["done"] == [] and len(alerts(d)) == len(entered)


def test_a_read_stopped_at_page_n_resumes_at_page_n(deployment: Deployment) -> None:
    """Every page is stored with its checkpoint: the next run starts below it, loses and doubles nothing."""
    d = deployment
    total = len(d.community.posts) + len(d.community.likes)
    database = d.params["database_block"]
    d.forum.faults.add(path="/posts", status=404, after=3)  # permanent: the run stops at page 4
    with disable_run_logger():
        with pytest.raises(NotFoundError):
            pull_discourse.fn(d.params["discourse_block"], database, NOW, ClassificationRules())
        with Store.open(d.database_url) as store:
            mark = DiscourseMark.parse(store.get_cursor(DISCOURSE_POSTS_CURSOR))
            partial = store.count_activities()
        assert mark.done == 0 and mark.high == max(p.id for p in d.community.posts) and mark.before
        assert 0 < partial < total
        d.forum.clear_requests()
        counts = pull_discourse.fn(d.params["discourse_block"], database, NOW, ClassificationRules())
    pages = [r for r in d.forum.requests if r.path.startswith("/posts")]
    assert pages[0].query.get("before") == [str(mark.before)]  # resumed at page 4, not at the top
    with Store.open(d.database_url) as store:
        assert store.count_activities() == total
        assert store.get_cursor(DISCOURSE_POSTS_CURSOR) == str(max(p.id for p in d.community.posts))
    assert counts["new_activities"] == total - partial and counts["resumed_below"] == mark.before


def test_unreadable_posts_are_quarantined_and_the_sync_goes_on(deployment: Deployment) -> None:
    d = deployment
    latest = DiscourseClient(d.forum.base_url, api_username="system", api_key="test-key").latest_posts()
    posts = latest["latest_posts"]
    broken = {**posts[0], "created_at": "not a time"}
    d.forum.faults.add(path="/posts", body={"latest_posts": [broken, *posts[1:]]})
    summary = community_sync(**d.params, now=NOW)
    assert summary["discourse"]["quarantined"] == 1
    assert summary["discourse"]["new_activities"] == len(d.community.posts) + len(d.community.likes) - 1
    with Store.open(d.database_url) as store:
        [entry] = store.quarantined()
    assert entry.ref == f"post:{broken['id']}" and "created_at" in entry.reason and "not a time" in entry.payload


def test_draft_then_live_plays_each_open_intent_episode_once(deployment: Deployment) -> None:
    d = deployment
    drafted = community_sync(**{**d.params, "intent_mode": "draft"}, now=NOW)
    entered = drafted["scored"]["entered_intent"]
    assert entered and drafted["intent_mode"] == "draft"
    assert alerts(d) == [] and d.crm.tasks() == []
    assert len(d.slack.messages("community-review")) == len(entered)

    live = community_sync(**d.params, now=NOW)  # the deployment switched to live: catch up once
    assert live["scored"]["entered_intent"] == []  # nobody crossed this run ...
    assert len(alerts(d)) == len(entered) and len(d.crm.tasks()) == len(entered)  # ... yet every open episode played
    again = community_sync(**d.params, now=NOW)
    assert again["actions"]["done"] == [] and len(alerts(d)) == len(entered)
    assert len(d.slack.messages("community-review")) == len(entered)


def test_a_misspelled_block_fails_at_once_with_one_clear_line(deployment: Deployment) -> None:
    d = deployment
    state = community_sync(**{**d.params, "discourse_block": "discorse"}, now=NOW, return_state=True)
    assert state.is_failed()
    assert "discourse_block: no Discourse Credentials block named 'discorse'" in state.message
    assert d.params["discourse_block"] in state.message  # the saved ones are suggested
    assert len(state.message.splitlines()) == 1
    assert d.forum.requests == []  # nothing was pulled


def test_signal_events_fire_when_a_signal_starts_not_while_it_holds(deployment: Deployment) -> None:
    d = deployment
    first = community_sync(**d.params, now=NOW)
    rows = first["scored"]["signals"]
    assert rows and all(row["started"] for row in rows)
    second = community_sync(**d.params, now=NOW)
    assert len(second["scored"]["signals"]) == len(rows) and not any(r["started"] for r in second["scored"]["signals"])
    move = next(t for t in first["scored"]["transitions"] if t["to"] == "intent")
    assert move["name"] and move["name"] != move["account"] and move["owner"]
