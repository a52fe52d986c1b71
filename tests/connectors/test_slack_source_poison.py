"""One poison record never stops a Slack sync: slack-sdk over HTTP, both databases.

Each test serves one kind of bad record from the emulator's workspace, syncs three times
into a real store the way ``flows.pulls.pull_slack`` does (each page with its channel
cursor), and checks that the run completes, the good records are stored, the bad one is
quarantined exactly once and the cursor moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from connectors.retry import RetryPolicy
from connectors.slack_source import SlackPacing, SlackSource
from connectors.store import Store
from connectors.testing import (
    Community,
    SlackEmulator,
    SlackMessage,
    SlackWorkspace,
    generate_community,
    generate_slack_workspace,
)
from scoring.classify import ClassificationRules, to_activity

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
CHANNELS = ("help", "general")
RULES = ClassificationRules()


@pytest.fixture
def community() -> Community:
    return generate_community(members=40, companies=10, activities=100, seed=23, now=NOW)


@pytest.fixture
def workspace(community: Community) -> SlackWorkspace:
    return generate_slack_workspace(community, messages=120, seed=23, now=NOW)


@pytest.fixture
def slack(community: Community, workspace: SlackWorkspace) -> Iterator[SlackEmulator]:
    with SlackEmulator(community, workspace=workspace) as emulator:
        yield emulator


@dataclass
class Run:
    quarantined: int
    cursors: dict[str, str | None]


def sync(slack: SlackEmulator, store: Store) -> Run:
    """One run as the pull task does it: members, then each channel's pages with their cursor."""
    client = WebClient(token=slack.token, base_url=slack.base_url + "/api/", retry_handlers=[])
    source = SlackSource(client, policy=RetryPolicy("slack", attempts=2, sleep=lambda s: None),
                         pacing=SlackPacing(per_minute=0), page_size=25)
    quarantined = 0
    for page in source.member_pages():
        store.upsert_members(page)
        quarantined += sum(store.quarantine("slack", r.ref, r.reason, r.payload) for r in page.rejected)
    cursors: dict[str, str | None] = {}
    for name, cid in source.channel_ids(CHANNELS).items():
        cursor_name = f"slack:channel:{cid}"
        for page in source.channel_pages(name, cid, store.get_cursor(cursor_name), now=NOW,
                                         since=NOW - timedelta(days=90)):
            quarantined += sum(store.quarantine("slack", r.ref, r.reason, r.payload) for r in page.rejected)
            activities = [a for a in (to_activity(e, RULES) for e in page.events) if a]
            store.save_page(activities=activities, cursor=(cursor_name, page.cursor) if page.cursor else None)
        cursors[name] = store.get_cursor(cursor_name)
    return Run(quarantined, cursors)


def sync_three_times(slack: SlackEmulator, store: Store) -> list[Run]:
    return [sync(slack, store) for _ in range(3)]


def expected_ids(ws: SlackWorkspace, *, without: set[str] = frozenset()) -> set[str]:
    """The oracle: member messages, replies and reactions of the synced channels."""
    bots = {u.id for u in ws.users if u.is_bot} | {"USLACKBOT"}
    ids: set[str] = set()
    for channel in CHANNELS:
        cid = ws.channel(channel).id
        for m in ws.messages(channel):
            if m.subtype in (None, "thread_broadcast") and not m.bot_id and m.user not in bots:
                ids.add(f"msg:{cid}:{m.ts}")
            ids |= {f"reaction:{cid}:{m.ts}:{u}:{name}"
                    for name, users in m.reactions.items() for u in users if u not in bots}
    return ids - set(without)


def stored_ids(store: Store) -> set[str]:
    return {a.source_event_id for a in store.activities()}


def fresh(ws: SlackWorkspace, text: str = "How do I retry a flow?", minutes: int = 60) -> SlackMessage:
    """A #help message an hour old: the newest, re-scanned by every run (thread lookback)."""
    user = next(u.id for u in ws.users if u.person_id is not None and not u.is_bot and not u.deleted)
    return ws.add_message("help", user, text, at=NOW - timedelta(minutes=minutes))


def assert_quarantined_once(store: Store, runs: list[Run], ref: str | None, reason: str) -> None:
    [entry] = store.quarantined()
    assert (entry.source, entry.ref) == ("slack", ref)
    assert reason in entry.reason
    assert [r.quarantined for r in runs] == [1, 0, 0]


def newest_top_level_ts(ws: SlackWorkspace, channel: str, *, besides: str | None = None) -> str:
    return [m.ts for m in ws.history(channel) if m.ts != besides][-1]


# -- text that a database refuses: cleaned, stored, nothing quarantined ----------------------
def test_nul_in_a_message_and_a_name_is_stripped_and_stored(slack, workspace, database_url) -> None:
    message = fresh(workspace, "it fails\x00 with\x00 NUL")
    author = workspace.user(message.user)
    author.real_name = "Bo\x00b"
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert store.quarantined() == [] and [r.quarantined for r in runs] == [0, 0, 0]
        assert stored_ids(store) == expected_ids(workspace)
        cid = workspace.channel("help").id
        [stored] = [a for a in store.activities() if a.source_event_id == f"msg:{cid}:{message.ts}"]
        assert stored.excerpt == "it fails with NUL"
        assert next(m for m in store.members() if m.key == f"slack:{author.id}").name == "Bob"
        assert runs[0].cursors["help"] == runs[2].cursors["help"] == message.ts


def test_lone_surrogate_in_a_message_is_replaced_and_stored(slack, workspace, database_url) -> None:
    message = fresh(workspace, "broken \ud800 emoji")
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert store.quarantined() == []
        assert stored_ids(store) == expected_ids(workspace)
        cid = workspace.channel("help").id
        [stored] = [a for a in store.activities() if a.source_event_id == f"msg:{cid}:{message.ts}"]
        assert stored.excerpt == "broken \ufffd emoji"
        assert runs[0].cursors["help"] == message.ts


# -- records of the wrong shape: quarantined once, the rest stored ---------------------------
@pytest.mark.parametrize("garbage", ["oops", None, 7])
def test_a_history_message_that_is_not_an_object_is_quarantined_once(slack, workspace, database_url, garbage) -> None:
    message = fresh(workspace)
    cid = workspace.channel("help").id
    slack.poison.replace("message", (cid, message.ts), garbage)
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert_quarantined_once(store, runs, None, "message is not an object")
        assert stored_ids(store) == expected_ids(workspace, without={f"msg:{cid}:{message.ts}"})
        assert runs[0].cursors["help"] == newest_top_level_ts(workspace, "help", besides=message.ts)
        assert runs[0].cursors["general"] == newest_top_level_ts(workspace, "general")


def test_a_thread_reply_that_is_not_an_object_is_quarantined_once(slack, workspace, database_url) -> None:
    parent = fresh(workspace, "Question with a thread", minutes=90)
    member = parent.user
    kept = workspace.add_reply("help", parent.ts, member, "first answer", at=NOW - timedelta(minutes=80))
    bad = workspace.add_reply("help", parent.ts, member, "second answer", at=NOW - timedelta(minutes=70))
    cid = workspace.channel("help").id
    slack.poison.replace("message", (cid, bad.ts), "not a reply")
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert_quarantined_once(store, runs, None, "message is not an object but a string 'not a reply'")
        assert {f"msg:{cid}:{parent.ts}", f"msg:{cid}:{kept.ts}"} <= stored_ids(store)
        assert stored_ids(store) == expected_ids(workspace, without={f"msg:{cid}:{bad.ts}"})
        assert runs[0].cursors["help"] == parent.ts


def test_a_message_with_a_field_of_the_wrong_type_is_quarantined_once(slack, workspace, database_url) -> None:
    message = fresh(workspace)
    cid = workspace.channel("help").id
    slack.poison.patch("message", (cid, message.ts), text={"not": "text"})
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert_quarantined_once(store, runs, f"msg:{cid}:{message.ts}", "text is not text but an object")
        assert stored_ids(store) == expected_ids(workspace, without={f"msg:{cid}:{message.ts}"})
        assert runs[0].cursors["help"] == message.ts  # handled: the cursor covers it


def test_a_reaction_without_a_user_is_quarantined_never_a_member(slack, workspace, database_url) -> None:
    message = fresh(workspace)
    reactor = next(u.id for u in workspace.users if u.person_id is not None and u.id != message.user and not u.is_bot)
    workspace.add_reaction("help", message.ts, reactor, "eyes")
    cid = workspace.channel("help").id
    slack.poison.patch("message", (cid, message.ts), reactions=[
        {"name": "eyes", "users": [reactor, None], "count": 2}])
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert_quarantined_once(store, runs, f"reaction:{cid}:{message.ts}:eyes", "user is missing")
        ids = stored_ids(store)
        assert {f"msg:{cid}:{message.ts}", f"reaction:{cid}:{message.ts}:{reactor}:eyes"} <= ids
        assert ids == expected_ids(workspace)
        assert not any(a.member_key == "slack:None" for a in store.activities())
        assert not any(m.key == "slack:None" for m in store.members())
        assert runs[0].cursors["help"] == message.ts


@pytest.mark.parametrize(("garbage", "ref", "reason"), [
    ("a user", None, "user is not an object but a string 'a user'"),
    ({"id": 123, "name": "numbered"}, None, "id is not text but a number 123"),
    ({"id": "U0SOMEONE1", "is_admin": "yes"}, "user:U0SOMEONE1", "is_admin is not true/false"),
])
def test_a_user_of_the_wrong_shape_is_quarantined_once(slack, workspace, database_url, garbage, ref, reason) -> None:
    victim = next(u for u in workspace.users if u.person_id is not None and not u.is_bot)
    slack.poison.replace("user", victim.id, garbage)
    with Store.open(database_url) as store:
        runs = sync_three_times(slack, store)
        assert_quarantined_once(store, runs, ref, reason)
        keys = {m.key for m in store.members()}
        assert f"slack:{victim.id}" not in keys
        assert len(keys) == len([u for u in workspace.users if not u.deleted]) - 1
        assert stored_ids(store) == expected_ids(workspace)  # the messages still count
