"""The pull tasks with poison records: three runs, both databases, blocks as a deployment has them.

Every bad input of one source at once: the task completes each time, counts each bad record
as quarantined on the first run only, stores everything good and moves its cursors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import prefect.logging
import pytest
from pydantic import SecretStr

from connectors.blocks import CommunitySlackCredentials, DiscourseCredentials
from connectors.config_blocks import StateDatabase
from connectors.store import Store
from connectors.testing import DiscourseEmulator, SlackEmulator, generate_community, generate_slack_workspace
from flows.pulls import DISCOURSE_POSTS_CURSOR, pull_discourse, pull_slack
from scoring.classify import ClassificationRules

from .conftest import NOW

CHANNELS = ["help", "general"]


def pull(task, source_block: str, database_url: str, **options) -> dict[str, int]:
    """One run of a pull task as a flow calls it (the one place that knows the signature)."""
    database_block = f"poison-db-{uuid.uuid4().hex[:8]}"
    StateDatabase(url=SecretStr(database_url)).save(database_block, overwrite=True)
    with prefect.logging.disable_run_logger():
        return task.fn(source_block, database_block, NOW, ClassificationRules(), **options)


@pytest.fixture
def community():
    return generate_community(members=40, companies=10, activities=300, seed=29, now=NOW)


@pytest.fixture
def forum(community) -> Iterator[tuple[DiscourseEmulator, str]]:
    with DiscourseEmulator(community) as emulator:
        name = f"poison-discourse-{uuid.uuid4().hex[:8]}"
        DiscourseCredentials(base_url=emulator.base_url, api_username=emulator.api_username,
                             api_key=SecretStr(emulator.api_key), requests_per_minute=0).save(name, overwrite=True)
        yield emulator, name


def test_pull_discourse_goes_on_past_every_poison_record(forum, community, database_url) -> None:
    emulator, block = forum
    people = community.people
    category = community.categories[0].id
    hour_ago = NOW - timedelta(hours=1)
    topic = community.add_topic(people[3].id, "Deploy\x00 fails", "trace:\x00 none", category, created_at=hour_ago)
    [nul] = community.posts_of_topic(topic.id)
    odd = community.add_reply(topic.id, people[4].id, "a lone \ud800 here", created_at=hour_ago)
    garbage = community.add_reply(topic.id, people[5].id, "served as a string", created_at=hour_ago)
    many = community.add_reply(topic.id, people[6].id, "liked a lot", created_at=hour_ago)
    liked = community.add_reply(topic.id, people[8].id, "liked once", created_at=hour_ago)
    community.add_like(many.id, people[2].id)
    community.add_like(liked.id, people[2].id)
    people[9].name = "Ann\x00 Lee"
    emulator.poison.replace("post", garbage.id, "not a post")
    emulator.poison.patch("post", many.id, actions_summary=[{"id": 2, "count": "many"}])
    emulator.poison.patch("user", people[7].id, id="abc")
    emulator.poison.append("likers", liked.id, {"id": None, "username": None})

    runs = [pull(pull_discourse, block, database_url) for _ in range(3)]

    assert [r.get("quarantined", 0) for r in runs] == [4, 0, 0]
    with Store.open(database_url) as store:
        refs = sorted(str(e.ref) for e in store.quarantined())
        assert refs == sorted(["None", "None", f"post:{many.id}", "user:abc"])
        ids = {a.source_event_id for a in store.activities()}
        good = {f"post:{p.id}" for p in community.posts} | {f"like:{x.post_id}:{x.user_id}" for x in community.likes}
        assert ids == good - {f"post:{garbage.id}", f"post:{many.id}", f"like:{many.id}:{people[2].id}"}
        by_id = {a.source_event_id: a for a in store.activities()}
        assert by_id[f"post:{nul.id}"].title == "Deploy fails"
        assert by_id[f"post:{odd.id}"].excerpt == "a lone \ufffd here"
        members = {m.key: m for m in store.members()}
        assert members[f"discourse:{people[9].id}"].name == "Ann Lee"
        assert f"discourse:{people[7].id}" not in members and "discourse:None" not in members
        assert store.get_cursor(DISCOURSE_POSTS_CURSOR) == str(liked.id)


@pytest.fixture
def slack(community) -> Iterator[tuple[SlackEmulator, str]]:
    workspace = generate_slack_workspace(community, messages=120, seed=29, now=NOW)
    with SlackEmulator(community, token="xoxb-poison", workspace=workspace) as emulator:
        name = f"poison-slack-{uuid.uuid4().hex[:8]}"
        CommunitySlackCredentials(token=SecretStr(emulator.token),
                                  base_url=f"{emulator.base_url}/api/").save(name, overwrite=True)
        yield emulator, name


def test_pull_slack_goes_on_past_every_poison_record(slack, database_url) -> None:
    emulator, block = slack
    ws = emulator.workspace
    humans = [u for u in ws.users if u.person_id is not None and not u.is_bot and not u.deleted]
    at = NOW - timedelta(hours=2)
    nul = ws.add_message("help", humans[0].id, "fails\x00 here", at=at)
    odd = ws.add_message("help", humans[1].id, "lone \udc00 surrogate", at=at + timedelta(minutes=1))
    garbage = ws.add_message("help", humans[2].id, "served as null", at=at + timedelta(minutes=2))
    reacted = ws.add_message("general", humans[3].id, "ship it", at=at + timedelta(minutes=3))
    ws.add_reaction("general", reacted.ts, humans[4].id, "tada")
    humans[5].real_name = "Bo\x00b"
    help_id, general_id = ws.channel("help").id, ws.channel("general").id
    emulator.poison.replace("message", (help_id, garbage.ts), None)
    emulator.poison.patch("message", (general_id, reacted.ts),
                          reactions=[{"name": "tada", "users": [humans[4].id, None], "count": 2}])
    emulator.poison.replace("user", humans[6].id, "not a user")

    runs = [pull(pull_slack, block, database_url, channels=CHANNELS, pacing="unpaced") for _ in range(3)]

    assert [r.get("quarantined", 0) for r in runs] == [3, 0, 0]
    with Store.open(database_url) as store:
        refs = sorted(str(e.ref) for e in store.quarantined())
        assert refs == sorted(["None", "None", f"reaction:{general_id}:{reacted.ts}:tada"])
        by_id = {a.source_event_id: a for a in store.activities()}
        assert by_id[f"msg:{help_id}:{nul.ts}"].excerpt == "fails here"
        assert by_id[f"msg:{help_id}:{odd.ts}"].excerpt == "lone \ufffd surrogate"
        assert f"msg:{help_id}:{garbage.ts}" not in by_id
        assert f"reaction:{general_id}:{reacted.ts}:{humans[4].id}:tada" in by_id
        assert not any(a.member_key == "slack:None" for a in by_id.values())
        members = {m.key: m for m in store.members()}
        assert members[f"slack:{humans[5].id}"].name == "Bob"
        assert f"slack:{humans[6].id}" not in members and "slack:None" not in members
        assert store.get_cursor(f"slack:channel:{help_id}") == odd.ts
        assert store.get_cursor(f"slack:channel:{general_id}") == reacted.ts
