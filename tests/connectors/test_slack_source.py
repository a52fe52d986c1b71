"""The Slack source through slack-sdk's WebClient against the emulator's workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk import WebClient

from connectors.errors import ConfigurationError, PermanentError
from connectors.retry import RetryPolicy
from connectors.slack_source import (
    SlackPacing,
    SlackSource,
    events_from_message,
    parse_ts,
    reaction_event,
    ts_of,
)
from connectors.testing import SlackEmulator, SlackWorkspace, generate_slack_workspace

CHANNELS = ("general", "help", "feature-requests", "announcements", "random")
UNPACED = SlackPacing(per_minute=0)


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.t = 1_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture
def workspace(community, now) -> SlackWorkspace:
    return generate_slack_workspace(community, messages=400, seed=5, now=now)


@pytest.fixture
def emulator(community, workspace):
    with SlackEmulator(community, workspace=workspace) as em:
        yield em


def make_source(em: SlackEmulator, *, clock: FakeClock | None = None, page_size: int = 200,
                pacing: SlackPacing | str = UNPACED, **kwargs) -> SlackSource:
    clock = clock or FakeClock()
    client = WebClient(token="xoxb-test", base_url=em.base_url + "/api/", retry_handlers=[])
    return SlackSource(client, policy=RetryPolicy("slack", attempts=5, sleep=clock.sleep),
                       page_size=page_size, pacing=pacing, clock=clock.now, sleep=clock.sleep,
                       **kwargs)


def bots_of(ws: SlackWorkspace) -> set[str]:
    return {u.id for u in ws.users if u.is_bot} | {"USLACKBOT"}


def expected_ids(ws: SlackWorkspace, channel: str) -> set[str]:
    """The oracle: every member message, reply and reaction of a channel, from the data."""
    cid, bots, ids = ws.channel(channel).id, bots_of(ws), set()
    for m in ws.messages(channel):
        if m.subtype in (None, "thread_broadcast") and not m.bot_id and m.user not in bots:
            ids.add(f"msg:{cid}:{m.ts}")
        ids |= {f"reaction:{cid}:{m.ts}:{u}:{name}"
                for name, users in m.reactions.items() for u in users if u not in bots}
    return ids


def sync(source: SlackSource, channels: dict[str, str], store: dict, cursors: dict, now,
         emitted: list | None = None) -> None:
    """What the flow does: store each page and its cursor together (one 'transaction')."""
    for name, cid in channels.items():
        for page in source.channel_pages(name, cid, cursors.get(cid), now=now):
            for event in page.events:
                store[event.source_event_id] = event
            if emitted is not None:
                emitted.extend(e.source_event_id for e in page.events)
            if page.cursor is not None:
                cursors[cid] = page.cursor


def requests_to(em: SlackEmulator, method: str) -> list:
    return [r for r in em.requests if r.path == f"/api/{method}"]


def form(request) -> dict[str, str]:
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


# -- members and channels --------------------------------------------------------------------
def test_members_with_emails_in_pages(emulator, workspace, community):
    source = make_source(emulator, page_size=40)
    pages = list(source.member_pages())
    members = {m.key: m for page in pages for m in page}
    assert len(requests_to(emulator, "users.list")) >= 6
    assert all(form(r)["limit"] == "40" for r in requests_to(emulator, "users.list"))
    person = next(p for p in community.people if not p.is_bot and not p.is_staff)
    member = members[f"slack:{person.slack_user_id}"]
    assert (member.source, member.external_id, member.username, member.email, member.name) == (
        "slack", person.slack_user_id, person.username, person.email, person.name)
    assert member.sso_id is None and not member.is_bot and not member.is_staff
    staff = next(p for p in community.people if p.is_staff)
    assert members[f"slack:{staff.slack_user_id}"].is_staff
    assert members["slack:USLACKBOT"].is_bot and members["slack:USLACKBOT"].email is None
    bot = next(p for p in community.people if p.is_bot)
    assert members[f"slack:{bot.slack_user_id}"].is_bot
    assert "slack:U0DELETED01" not in members  # deactivated accounts are skipped
    assert source.bot_users >= {"USLACKBOT", bot.slack_user_id}
    assert len(members) == len(workspace.users) - 1


def test_channel_ids_by_name_and_unknown_names(emulator, workspace):
    source = make_source(emulator, page_size=2)
    ids = source.channel_ids(["#help", "general"])
    assert ids == {"help": workspace.channel("help").id, "general": workspace.channel("general").id}
    with pytest.raises(ConfigurationError, match="#nope.*#old-support"):
        source.channel_ids(["help", "nope", "old-support"])  # archived: not read


# -- messages --------------------------------------------------------------------------------
def test_full_sync_returns_exactly_the_member_content(emulator, workspace, now):
    source = make_source(emulator, page_size=30)
    list(source.member_pages())
    channels = source.channel_ids(CHANNELS)
    store, cursors = {}, {}
    sync(source, channels, store, cursors, now)
    for name in CHANNELS:
        got = {k for k, e in store.items() if e.category == name}
        assert got == expected_ids(workspace, name), name
        assert cursors[channels[name]] == workspace.history(name)[-1].ts
    history = requests_to(emulator, "conversations.history")
    assert len(history) > len(CHANNELS)  # several pages per busy channel
    assert any(form(r).get("cursor") for r in history)


def test_event_mapping_message_reply_reaction(emulator, workspace, now):
    ws = workspace
    cid = ws.channel("help").id
    asker, helper, fan = (p.slack_user_id for p in ws.community.people[5:8])
    q = ws.add_message("help", asker, "How do I set <!channel> retries? 🎉", at=now - timedelta(hours=3))
    a = ws.add_reply("help", q.ts, helper, "Use `retries=3` &amp; a delay", at=now - timedelta(hours=2))
    ws.add_reaction("help", a.ts, fan, "+1::skin-tone-3")
    source = make_source(emulator)
    events = {e.source_event_id: e for p in source.channel_pages("help", cid, ts_of(now - timedelta(hours=4)), now=now)
              for e in p.events}
    top, reply = events[f"msg:{cid}:{q.ts}"], events[f"msg:{cid}:{a.ts}"]
    assert (top.source, top.kind, top.member_key, top.title, top.category, top.thread_owner_key) == (
        "slack", "message", f"slack:{asker}", None, "help", f"slack:{asker}")
    assert top.text == "How do I set <!channel> retries? 🎉"
    assert top.occurred_at == parse_ts(q.ts) and top.occurred_at.utcoffset() == timedelta(0)
    assert top.url == f"https://slack.com/archives/{cid}/p{q.ts.replace('.', '')}"
    assert (reply.kind, reply.title, reply.thread_owner_key, reply.text) == (
        "reply", q.text, f"slack:{asker}", "Use `retries=3` &amp; a delay")
    assert reply.url.endswith(f"?thread_ts={q.ts}&cid={cid}")
    reaction = events[f"reaction:{cid}:{a.ts}:{fan}:+1::skin-tone-3"]
    assert (reaction.kind, reaction.member_key, reaction.occurred_at, reaction.thread_owner_key) == (
        "reaction", f"slack:{fan}", parse_ts(a.ts), f"slack:{helper}")


def test_small_pages_for_history_and_replies(emulator, workspace, now):
    ws = workspace
    people = [p.slack_user_id for p in ws.community.people[10:20]]
    parent = ws.add_message("random", people[0], "thread with many replies", at=now - timedelta(hours=5))
    for i, user in enumerate(people[1:9]):
        ws.add_reply("random", parent.ts, user, f"reply {i}", at=now - timedelta(hours=4, minutes=-i))
    source = make_source(emulator, page_size=3)
    cid = ws.channel("random").id
    pages = list(source.channel_pages("random", cid, None, now=now))
    got = {e.source_event_id for p in pages for e in p.events}
    assert got == expected_ids(ws, "random")
    replies = [r for r in requests_to(emulator, "conversations.replies") if form(r)["ts"] == parent.ts]
    assert len(replies) == 3 and all(form(r)["limit"] == "3" for r in replies)
    assert [p.cursor for p in pages] == sorted((p.cursor for p in pages), key=lambda ts: parse_ts(ts))
    assert all(len([e for e in p.events if e.kind == "message"]) <= 3 for p in pages)


def test_subtypes_bots_and_slackbot_are_skipped(emulator, workspace, now):
    ws = workspace
    member = ws.community.people[3].slack_user_id
    bot = next(p for p in ws.community.people if p.is_bot).slack_user_id
    at = now - timedelta(minutes=30)
    keep = ws.add_message("general", member, "a real message", at=at)
    ws.add_message("general", member, f"<@{member}> has joined the channel", at=at, subtype="channel_join")
    ws.add_message("general", None, "deploy finished", at=at, subtype="bot_message", bot_id="B0INTEGRAT1")
    ws.add_message("general", bot, "please use threads", at=at, bot_id="B0COMMUBOT1")
    ws.add_message("general", "USLACKBOT", "reminder", at=at)
    join = ws.add_message("general", member, "topic set", at=at, subtype="channel_topic")
    ws.add_reaction("general", join.ts, member, "wave")  # a member's reaction still counts
    ws.add_reaction("general", keep.ts, bot, "robot_face")  # a bot's does not
    source = make_source(emulator)
    list(source.member_pages())
    cid = ws.channel("general").id
    events = [e for p in source.channel_pages("general", cid, ts_of(at - timedelta(seconds=1)), now=now)
              for e in p.events if e.occurred_at >= at]
    assert sorted(e.source_event_id for e in events) == sorted(
        [f"msg:{cid}:{keep.ts}", f"reaction:{cid}:{join.ts}:{member}:wave"])


def test_malformed_message_is_rejected_not_dropped(emulator, workspace, now):
    cid = workspace.channel("help").id
    emulator.faults.add(path="/api/conversations.history", body={
        "ok": True, "has_more": False, "pin_count": 0, "channel_actions_ts": None,
        "channel_actions_count": 0, "response_metadata": {"next_cursor": ""},
        "messages": [{"type": "message", "text": "no user", "ts": "1717243200.000100"},
                     {"type": "message", "text": "bad ts", "ts": "yesterday", "user": "U0000000001"},
                     {"type": "message", "text": "fine", "ts": "1717243300.000100", "user": "U0000000001"}]})
    pages = list(make_source(emulator).channel_pages("help", cid, None, now=now))
    assert [e.source_event_id for p in pages for e in p.events] == [f"msg:{cid}:1717243300.000100"]
    rejected = sorted((r.ref, r.reason) for p in pages for r in p.rejected)
    assert rejected == [(f"msg:{cid}:1717243200.000100", "message: member message without a user"),
                        (f"msg:{cid}:yesterday", "message: not a Slack ts: 'yesterday'")]


# -- incremental syncs and resume ----------------------------------------------------------
def test_resume_after_permanent_error_on_third_history_page(emulator, workspace, now):
    source = make_source(emulator, page_size=20)
    channels = {"help": workspace.channel("help").id}
    store, cursors = {}, {}
    emulator.faults.add(path="/api/conversations.history", status=400, after=2)
    with pytest.raises(PermanentError):
        sync(source, channels, store, cursors, now)
    emitted: list[str] = []
    sync(source, channels, store, cursors, now, emitted)  # resumed from what was committed
    assert set(store) == expected_ids(workspace, "help")
    assert len(emitted) == len(set(emitted))  # nothing twice within a run


def test_resume_midway_keeps_committed_pages(emulator, workspace, now):
    source = make_source(emulator, page_size=20)
    cid = workspace.channel("help").id
    store, cursors = {}, {}
    emulator.faults.add(path="/api/conversations.replies", status=403, after=25)
    with pytest.raises(PermanentError):
        sync(source, {"help": cid}, store, cursors, now)
    committed = cursors[cid]  # some pages made it before the failure
    assert parse_ts(committed) < parse_ts(workspace.history("help")[-1].ts)
    before = dict(store)
    emitted: list[str] = []
    sync(source, {"help": cid}, store, cursors, now, emitted)
    assert set(store) == expected_ids(workspace, "help")
    assert len(emitted) == len(set(emitted))
    # The resumed run starts after the cursor: no message at or below it is read again.
    reread = [k for k in emitted if k.startswith("msg:") and k in before
              and parse_ts(k.rsplit(":", 1)[1]) <= parse_ts(committed)
              and store[k].kind == "message"]
    assert reread == []


def test_incremental_sync_with_late_replies_and_reactions(emulator, workspace, now):
    ws = workspace
    source = make_source(emulator, thread_lookback=timedelta(days=7))
    cid = ws.channel("help").id
    store, cursors = {}, {}
    sync(source, {"help": cid}, store, cursors, now)
    first = dict(store)
    people = [p.slack_user_id for p in ws.community.people[20:26]]
    recent = ws.add_message("help", people[0], "Recent question?", at=now - timedelta(days=3))
    old = ws.add_message("help", people[1], "Old question?", at=now - timedelta(days=20))
    cursors[cid] = max(cursors[cid], recent.ts, key=parse_ts)  # as if both had been synced
    store.update({f"msg:{cid}:{recent.ts}": None, f"msg:{cid}:{old.ts}": None})
    later = now + timedelta(hours=1)
    late = ws.add_reply("help", recent.ts, people[2], "Late answer", at=later - timedelta(minutes=5))
    too_late = ws.add_reply("help", old.ts, people[3], "Very late", at=later - timedelta(minutes=4))
    ws.add_reaction("help", recent.ts, people[4], "eyes")
    fresh = ws.add_message("help", people[5], "Brand new", at=later - timedelta(minutes=1))
    emitted: list[str] = []
    sync(source, {"help": cid}, store, cursors, later, emitted)
    new = set(emitted) - set(first)
    assert {f"msg:{cid}:{late.ts}", f"msg:{cid}:{fresh.ts}",
            f"reaction:{cid}:{recent.ts}:{people[4]}:eyes"} <= new
    assert f"msg:{cid}:{too_late.ts}" not in new  # parent older than the lookback: documented
    reply = store[f"msg:{cid}:{late.ts}"]
    assert (reply.kind, reply.title, reply.thread_owner_key) == ("reply", "Recent question?", f"slack:{people[0]}")
    # Besides those, only replies newer than the old cursor in looked-back threads come again
    # (already stored: the store keeps them once); no top-level message is read twice.
    again_read = [store[k] for k in emitted if k.startswith("msg:") and k not in
                  (f"msg:{cid}:{late.ts}", f"msg:{cid}:{fresh.ts}")]
    assert all(e.kind == "reply" and e.source_event_id in first for e in again_read)
    assert cursors[cid] == fresh.ts
    again: list[str] = []
    sync(source, {"help": cid}, store, cursors, later, again)
    assert not [k for k in again if k.startswith("msg:") and store[k].kind == "message"]
    assert set(again) <= set(store)


# -- rate limits -----------------------------------------------------------------------------
def test_429_waits_retry_after(emulator, workspace, now):
    clock = FakeClock()
    emulator.faults.add(path="/api/conversations.history", status=429, retry_after=7)
    pages = list(make_source(emulator, clock=clock).channel_pages(
        "announcements", workspace.channel("announcements").id, None, now=now))
    assert clock.slept == [7.0] and pages


def test_limited_pacing_keeps_under_the_2025_limits(community, workspace, now):
    clock = FakeClock()
    with SlackEmulator(community, workspace=workspace, history_rpm=1, history_limit=15,
                       clock=clock.now) as em:
        source = make_source(em, clock=clock, pacing="limited")
        cid = workspace.channel("announcements").id
        got = {e.source_event_id for p in source.channel_pages("announcements", cid, None, now=now)
               for e in p.events}
        calls = [r for r in em.requests if r.path in ("/api/conversations.history", "/api/conversations.replies")]
    assert got == expected_ids(workspace, "announcements")
    assert all(r.status == 200 for r in calls)  # the pacer kept us under: no 429
    assert all(form(r)["limit"] == "15" for r in calls)
    history = [r for r in calls if r.path.endswith("history")]
    assert len(history) == -(-len(workspace.history("announcements")) // 15)
    assert clock.slept and all(s == pytest.approx(60.0) or s < 60 for s in clock.slept)
    assert clock.t - 1_000.0 >= 60.0 * (max(len(history), len(calls) - len(history)) - 1)


def test_unpaced_source_against_limited_app_recovers_from_429(community, workspace, now):
    clock = FakeClock()
    with SlackEmulator(community, workspace=workspace, history_rpm=1, history_limit=15,
                       clock=clock.now) as em:
        source = make_source(em, clock=clock)  # believes it is Tier 3 and asks for 200
        cid = workspace.channel("announcements").id
        got = {e.source_event_id for p in source.channel_pages("announcements", cid, None, now=now)
               for e in p.events}
        statuses = [r.status for r in em.requests]
    assert got == expected_ids(workspace, "announcements")
    assert 429 in statuses and clock.slept and max(clock.slept) <= 60


def test_pacing_names():
    assert SlackPacing.named("limited") == SlackPacing(per_minute=1.0, messages_per_call=15)
    assert SlackPacing.named("tier3").per_minute == 50
    with pytest.raises(ConfigurationError):
        SlackPacing.named("fast")


# -- the mapping the Events API receiver shares ----------------------------------------------
def test_events_api_shapes():
    reply = {"type": "message", "channel": "C1", "user": "U2", "text": "hi", "ts": "1717243300.000200",
             "thread_ts": "1717243200.000100", "parent_user_id": "U1", "event_ts": "1717243300.000200"}
    [event] = events_from_message(reply, "C1", "help")
    assert (event.kind, event.thread_owner_key, event.title) == ("reply", "slack:U1", None)
    edited = {"type": "message", "subtype": "message_changed", "ts": "1717243400.000000",
              "message": {"user": "U2", "text": "edited", "ts": "1717243300.000200"}}
    assert events_from_message(edited, "C1", "help") == []
    assert reaction_event("C1", "help", "1717243300.000200", "U3", "tada", item_user="U2").source_event_id == (
        "reaction:C1:1717243300.000200:U3:tada")
    with pytest.raises(ValueError):
        events_from_message({"type": "message", "text": "x"}, "C1", "help")
