"""A synthetic Slack workspace derived from a `Community`: channels, messages, threads, reactions.

Every `Person` already has a ``slack_user_id``, so the people who post on Discourse are the
same people (same email) who talk in Slack. From a seed this builds, over ~90 days before
``now``:

* channels ``#general``, ``#help``, ``#feature-requests``, ``#announcements``, ``#random``
  and an archived ``#old-support`` (ids ``C…`` like Slack's);
* top-level messages from a skewed set of members (a few talk a lot), thread replies by
  other people (sometimes the asker again), a few replies also sent to the channel
  (``thread_broadcast``) and reactions (``+1``, ``tada``, ``eyes``, skin tones…);
* what is not member content: ``channel_join`` notices, an integration's ``bot_message``
  and posts by the community's bot user;
* awkward text: ``<!channel>``/``<@U…>`` control sequences, unicode and emoji, ``&``, and a
  message near Slack's 40,000-character limit.

Users are the community's owners and people plus what a real workspace has besides:
Slackbot (``USLACKBOT``, which Slack reports with ``is_bot: false``), the alerting app's bot
user and a deactivated account. Workspace admins are the community owner's staff.

Tests mutate the workspace between syncs with `add_message`, `add_reply` and
`add_reaction`; everything is guarded by one re-entrant lock.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from connectors.testing import _texts as tx
from connectors.testing.community import Community

__all__ = [
    "SLACKBOT_ID",
    "SlackChannel",
    "SlackMessage",
    "SlackUser",
    "SlackWorkspace",
    "build_users",
    "dt_of_ts",
    "generate_slack_workspace",
    "ts_of",
]

SLACKBOT_ID = "USLACKBOT"
ALERT_BOT_USER_ID = "U0BOTUSER01"  # the alerting app's bot user (see testing/slack.py)
DELETED_USER_ID = "U0DELETED01"
INTEGRATION_BOT_ID = "B0INTEGRAT1"
COMMUNITY_BOT_ID = "B0COMMUBOT1"
MAX_TEXT = 40_000  # Slack truncates longer message text

CHANNELS = (
    # name, share of top-level messages, purpose
    ("general", 0.30, "Say hello and talk about anything Prefect"),
    ("help", 0.34, "Ask questions, get answers"),
    ("feature-requests", 0.14, "What should we build next?"),
    ("announcements", 0.04, "Releases and news from the team"),
    ("random", 0.18, "Off topic"),
)
ARCHIVED = ("old-support",)
REACTIONS = ("+1", "tada", "eyes", "white_check_mark", "heart", "raised_hands", "pray",
             "+1::skin-tone-3", "rocket", "joy")
ANNOUNCEMENTS = (
    "Prefect 3.1 is out :tada: release notes in the thread",
    "Office hours this Thursday, bring your questions",
    "Heads up: the docs site moves next week",
    "We're hiring community engineers :rocket:",
)
FEATURE_TEXTS = (
    "Feature request: pause a work pool from the CLI",
    "Feature request: dark mode for the dashboard",
    "Would love a way to tag flow runs from inside a task",
    "Feature request: per-deployment retry defaults",
    "It would be great to export run history as CSV",
)
RANDOM_TEXTS = (
    "Happy Friday everyone :tada:",
    "Anyone going to PyCon this year?",
    "Just migrated our whole pipeline, feels good",
    "Coffee or tea while debugging? :coffee:",
    "TIL you can run subflows concurrently",
)


def ts_of(when: datetime) -> str:
    """Slack's message id for a moment: seconds since the epoch, six decimals."""
    micros = round(when.timestamp() * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def dt_of_ts(ts: str) -> datetime:
    """The moment a Slack ``ts`` stands for (UTC, exact to the microsecond)."""
    seconds, _, fraction = ts.partition(".")
    micros = int(seconds) * 1_000_000 + int((fraction or "0").ljust(6, "0")[:6])
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int((fraction or "0").ljust(6, "0")[:6])


@dataclass
class SlackUser:
    id: str
    name: str
    real_name: str
    email: str | None
    is_bot: bool = False
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    person_id: int | None = None


@dataclass
class SlackChannel:
    id: str
    name: str
    created: datetime
    purpose: str = ""
    is_archived: bool = False
    is_private: bool = False


@dataclass
class SlackMessage:
    """One message; a reply has ``thread_ts`` (its parent's ``ts``) different from ``ts``."""

    channel: str
    ts: str
    user: str | None
    text: str
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    username: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def in_channel(self) -> bool:
        """Shown in channel history: top-level messages and replies also sent to the channel."""
        return not self.is_reply or self.subtype == "thread_broadcast"

    @property
    def at(self) -> datetime:
        return dt_of_ts(self.ts)


class SlackWorkspace:
    """Channels, users and messages; the mutators keep the thread indexes consistent."""

    def __init__(self, community: Community, now: datetime) -> None:
        self.community = community
        self.now = now
        self.lock = threading.RLock()
        self.users: list[SlackUser] = build_users(community)
        self.channels: list[SlackChannel] = []
        self._messages: dict[str, dict[str, SlackMessage]] = {}
        self._replies: dict[tuple[str, str], list[SlackMessage]] = {}
        self._users = {u.id: u for u in self.users}

    # -- lookups ---------------------------------------------------------------------------
    def channel(self, channel: str) -> SlackChannel:
        """A channel by id or name (with or without '#'); KeyError when there is none."""
        name = channel.lstrip("#")
        for found in self.channels:
            if channel == found.id or name == found.name:
                return found
        raise KeyError(f"no channel {channel!r}")

    def user(self, user_id: str) -> SlackUser | None:
        return self._users.get(user_id)

    def messages(self, channel: str) -> list[SlackMessage]:
        """Every message of a channel, replies included, oldest first."""
        cid = self.channel(channel).id
        with self.lock:
            return sorted(self._messages[cid].values(), key=lambda m: _ts_key(m.ts))

    def history(self, channel: str) -> list[SlackMessage]:
        """What channel history shows (top-level and broadcast replies), oldest first."""
        return [m for m in self.messages(channel) if m.in_channel]

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        with self.lock:
            return self._messages[self.channel(channel).id].get(ts)

    def replies(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The replies of a thread, oldest first (without the parent)."""
        cid = self.channel(channel).id
        with self.lock:
            return list(self._replies.get((cid, thread_ts), []))

    def message_count(self) -> int:
        with self.lock:
            return sum(len(m) for m in self._messages.values())

    # -- mutators --------------------------------------------------------------------------
    def add_channel(self, name: str, created: datetime, purpose: str = "",
                    is_archived: bool = False) -> SlackChannel:
        with self.lock:
            cid = _base36_id("C", 0x0C4A77E1 + (len(self.channels) + 1) * 104_729)
            found = SlackChannel(cid, name, created, purpose, is_archived)
            self.channels.append(found)
            self._messages[cid] = {}
            return found

    def add_message(
        self, channel: str, user_id: str | None, text: str, *, ts: str | None = None,
        at: datetime | None = None, subtype: str | None = None, bot_id: str | None = None,
        username: str | None = None,
    ) -> SlackMessage:
        """Post a top-level message (at ``ts``, else at ``at``, else at ``now``)."""
        with self.lock:
            cid = self.channel(channel).id
            message = SlackMessage(cid, self._free_ts(cid, ts, at), user_id, text[:MAX_TEXT],
                                   subtype=subtype, bot_id=bot_id, username=username)
            self._messages[cid][message.ts] = message
            return message

    def add_reply(
        self, channel: str, thread_ts: str, user_id: str, text: str, *, ts: str | None = None,
        at: datetime | None = None, broadcast: bool = False,
    ) -> SlackMessage:
        """Reply in the thread of ``thread_ts`` (``broadcast`` also sends it to the channel)."""
        with self.lock:
            cid = self.channel(channel).id
            parent = self._messages[cid].get(thread_ts)
            if parent is None or parent.is_reply:
                raise KeyError(f"no top-level message {thread_ts} in {channel}")
            when_ts = self._free_ts(cid, ts, at)
            if _ts_key(when_ts) <= _ts_key(thread_ts):
                raise ValueError("a reply must be newer than its parent")
            message = SlackMessage(cid, when_ts, user_id, text[:MAX_TEXT], thread_ts=thread_ts,
                                   subtype="thread_broadcast" if broadcast else None)
            parent.thread_ts = thread_ts
            self._messages[cid][message.ts] = message
            thread = self._replies.setdefault((cid, thread_ts), [])
            thread.append(message)
            thread.sort(key=lambda m: _ts_key(m.ts))
            return message

    def add_reaction(self, channel: str, ts: str, user_id: str, name: str) -> None:
        """React to a message; reacting twice with the same emoji is refused like Slack does."""
        with self.lock:
            message = self.message(channel, ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel}")
            users = message.reactions.setdefault(name, [])
            if user_id in users:
                raise ValueError("already_reacted")
            users.append(user_id)

    def _free_ts(self, cid: str, ts: str | None, at: datetime | None) -> str:
        if ts is not None:
            if ts in self._messages[cid]:
                raise ValueError(f"ts {ts} already used in {cid}")
            return ts
        candidate = ts_of(at or self.now)
        while candidate in self._messages[cid]:  # same microsecond: the next one
            seconds, micros = _ts_key(candidate)
            micros += 1
            candidate = f"{seconds + micros // 1_000_000}.{micros % 1_000_000:06d}"
        return candidate


def _base36_id(prefix: str, value: int) -> str:
    digits = ""
    while value:
        value, rem = divmod(value, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rem] + digits
    return prefix + digits.rjust(10, "0")


def build_users(community: Community) -> list[SlackUser]:
    """The workspace's users: Slackbot, the alert bot, owners, people, one deactivated user."""
    users = [SlackUser(SLACKBOT_ID, "slackbot", "Slackbot", None),
             SlackUser(ALERT_BOT_USER_ID, "community-bot", "Community Bot", None, is_bot=True)]
    for owner in community.owners:
        users.append(SlackUser(owner.slack_user_id, owner.email.split("@")[0],
                               f"{owner.first_name} {owner.last_name}", owner.email))
    for person in community.people:
        users.append(SlackUser(
            person.slack_user_id, person.username, person.name, person.email,
            is_bot=person.is_bot, is_admin=person.is_staff, is_owner=person.admin,
            person_id=person.id,
        ))
    users.append(SlackUser(DELETED_USER_ID, "former.member", "Former Member", None, deleted=True))
    return users


def generate_slack_workspace(
    community: Community, *, messages: int = 3000, seed: int = 7, days: int = 90,
    now: datetime | None = None,
) -> SlackWorkspace:
    """A deterministic workspace for ``seed`` with about ``messages`` messages (top-level and
    replies together, plus a few non-member notices) over ``days`` days before ``now``."""
    now = now or community.now
    rng = random.Random(seed)
    ws = SlackWorkspace(community, now)
    start = now - timedelta(days=days)
    for name, _, purpose in CHANNELS:
        ws.add_channel(name, start - timedelta(days=400), purpose)
    for name in ARCHIVED:
        ws.add_channel(name, start - timedelta(days=800), "Moved to #help", is_archived=True)

    humans = [p for p in community.people if not p.is_bot]
    rng.shuffle(humans)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(humans))]
    staff = [p for p in humans if p.is_staff] or humans[:1]
    bot = next((p for p in community.people if p.is_bot), None)

    def when(oldest: datetime = start) -> datetime:
        span = (now - oldest).total_seconds() - 60
        return now - timedelta(seconds=60 + span * rng.random() ** 1.4)

    def someone(besides: str | None = None) -> str:
        while True:
            person = rng.choices(humans, weights)[0]
            if person.slack_user_id != besides or len(humans) == 1:
                return person.slack_user_id

    n_top = max(1, round(messages * 0.42))
    names = [c[0] for c in CHANNELS]
    shares = [c[1] for c in CHANNELS]
    parents: list[SlackMessage] = []
    for _ in range(n_top):
        channel = rng.choices(names, shares)[0]
        if channel == "announcements":
            user, text = rng.choice(staff).slack_user_id, rng.choice(ANNOUNCEMENTS)
        elif channel == "help":
            pool = tx.PREMIUM_TITLES if rng.random() < 0.12 else tx.TOPIC_TITLES
            user, text = someone(), rng.choice(pool)
        elif channel == "feature-requests":
            user, text = someone(), rng.choice(FEATURE_TEXTS)
        elif channel == "random":
            user, text = someone(), rng.choice(RANDOM_TEXTS)
        else:
            user, text = someone(), rng.choice(tx.TOPIC_TITLES + RANDOM_TEXTS)
        parents.append(ws.add_message(channel, user, text, at=when()))

    thread_weight = {"help": 4.0, "feature-requests": 2.0, "general": 1.5, "announcements": 1.0,
                     "random": 0.6}
    parent_weights = [thread_weight[ws.channel(p.channel).name] for p in parents]
    replies: list[SlackMessage] = []
    for _ in range(max(0, messages - n_top)):
        parent = rng.choices(parents, parent_weights)[0]
        after = parent.at + timedelta(hours=rng.expovariate(1 / 8))
        if after >= now - timedelta(seconds=1):
            after = parent.at + (now - parent.at) * rng.random()
        user = parent.user if rng.random() < 0.12 else someone(besides=parent.user)
        replies.append(ws.add_reply(parent.channel, parent.ts, user or someone(),
                                    rng.choice(tx.REPLY_TEXTS), at=after,
                                    broadcast=rng.random() < 0.02))

    every = parents + replies
    for _ in range(round(messages * 0.5)):
        target = rng.choice(every)
        try:
            ws.add_reaction(target.channel, target.ts, someone(), rng.choice(REACTIONS))
        except ValueError:
            pass

    # Not member content: joins, an integration, the community bot, a deactivated member.
    for person in rng.sample(humans, min(len(humans), max(3, messages // 100))):
        ws.add_message("general", person.slack_user_id,
                       f"<@{person.slack_user_id}> has joined the channel", at=when(),
                       subtype="channel_join")
    for _ in range(max(2, messages // 300)):
        ws.add_message("announcements", None, "New release published: v3.1.%d" % rng.randrange(20),
                       at=when(), subtype="bot_message", bot_id=INTEGRATION_BOT_ID,
                       username="GitHub")
    if bot is not None:
        for _ in range(max(2, messages // 300)):
            ws.add_message("help", bot.slack_user_id, "Reminder: please use threads :thread:",
                           at=when(), bot_id=COMMUNITY_BOT_ID)
    old = ws.add_message("help", DELETED_USER_ID, "Is this still the place for questions?",
                         at=start + timedelta(days=1))
    ws.add_reply("help", old.ts, someone(), "Yes, ask away!", at=start + timedelta(days=1, hours=2))

    _plant_tricky_texts(rng, ws, parents, replies)
    return ws


def _plant_tricky_texts(rng: random.Random, ws: SlackWorkspace, parents: list[SlackMessage],
                        replies: list[SlackMessage]) -> None:
    """Slack control sequences, unicode, markup characters and a near-limit message."""
    members = [m for m in parents if ws.channel(m.channel).name != "announcements"]
    if len(members) < 4 or len(replies) < 6:
        return
    picks = rng.sample(members, 4)
    # Slack stores what a member typed with only & < > escaped; <!channel> etc. stay markup.
    picks[0].text = tx.SLACK_TRAP_TEXT.replace(" & ", " &amp; ")
    picks[1].text = tx.huge_text(MAX_TEXT - 100)
    picks[2].text = "Try `&lt;script&gt;alert('x')&lt;/script&gt;` &amp; \"quotes\" — O'Brien's fix works"
    picks[3].text = "<!here> does the enterprise plan include SSO? :pray:"
    for reply, text in zip(rng.sample(replies, 6), tx.UNICODE_TEXTS + ("<@U0000000001> thanks! :+1:",),
                           strict=False):
        reply.text = text
