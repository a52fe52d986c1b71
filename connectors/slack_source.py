"""Slack as a community source, through slack-sdk's ``WebClient``.

Members come from ``users.list`` (with ``profile.email``: the app needs
``users:read.email``). Messages are read per channel, incrementally by ``ts``:

1. **Scan.** ``conversations.history`` with ``oldest`` = the cursor (exclusive) — lowered to
   ``now - thread_lookback`` when that is older — paged by ``next_cursor``. Slack answers
   newest first, so the scan collects the whole increment before anything is yielded.
2. **Lookback page.** Threads whose parent is at or below the cursor but whose
   ``latest_reply`` is above it got late replies: their replies newer than the cursor are
   read (``conversations.replies`` with ``oldest``) and yielded first, with the cursor
   unchanged, together with the current reactions of the re-read messages. A thread whose
   parent is older than ``thread_lookback`` is not looked at again (the Events API receiver,
   `connectors.slack_events`, catches those in real time).
3. **New pages**, oldest first, ``page_size`` top-level messages each: the messages, every
   reply of their threads and their reactions. Each page's ``cursor`` is the ``ts`` of its
   newest top-level message: everything at or below it is covered, so the flow stores a page
   and its cursor in one transaction. An interrupted sync resumes from the last stored page;
   events are identified by id, so what is read twice is stored once.

Reactions come from the messages' ``reactions`` field. Slack does not say when a reaction
was added, so its ``occurred_at`` is the message's time; a removed reaction is not noticed.

Pacing (`SlackPacing`): ``tier3`` (50 calls a minute each for conversations.history and
conversations.replies) or ``limited`` (the 2025 limits for commercially distributed
non-Marketplace apps: one call a minute and at most 15 messages per call). Every call goes
through the shared `RetryPolicy`, which honours ``Retry-After`` on 429; slack-sdk's own
retry handlers must be off (``WebClient(retry_handlers=[])``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from slack_sdk import WebClient

from connectors import validate as v
from connectors.errors import ConfigurationError, NotFoundError
from connectors.retry import Pacer, RetryPolicy
from connectors.sanitize import clean_text
from connectors.slack import _translated
from connectors.validate import BadRecord, MemberPage, Rejected
from scoring.records import Member, SourceEvent

__all__ = [
    "MEMBER_SUBTYPES",
    "SLACKBOT_ID",
    "MemberPage",
    "PACED_METHODS",
    "Rejected",
    "SlackPacing",
    "SlackPage",
    "SlackSource",
    "events_from_message",
    "message_events",
    "parse_ts",
    "permalink",
    "reaction_event",
    "ts_of",
]

SERVICE = "slack"
SLACKBOT_ID = "USLACKBOT"
DEFAULT_WORKSPACE_URL = "https://slack.com"
#: Message subtypes that are a member's own words; every other subtype (channel_join,
#: bot_message, message_changed, message_deleted, channel_topic, ...) is skipped.
MEMBER_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
_TS = re.compile(r"^(\d{1,12})\.(\d{1,6})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# -- pure mapping, shared with the Events API receiver -------------------------------------
def parse_ts(ts: Any) -> datetime:
    """A Slack ``ts`` ("1717243200.000100") as a UTC datetime, exact to the microsecond."""
    match = _TS.match(ts) if isinstance(ts, str) else None
    if match is None:
        raise ValueError(f"not a Slack ts: {ts!r}")
    micros = int(match[1]) * 1_000_000 + int(match[2].ljust(6, "0"))
    return _EPOCH + timedelta(microseconds=micros)


def ts_of(when: datetime) -> str:
    """The ``ts`` of a moment (for ``oldest``/``latest`` bounds)."""
    micros = (when - _EPOCH) // timedelta(microseconds=1)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _is_ts(value: Any) -> bool:
    return isinstance(value, str) and _TS.match(value) is not None


def _msg_ref(channel_id: str, message: Any) -> str | None:
    """``msg:{channel}:{ts}`` when the message has a text ``ts``, else None (known by payload)."""
    ts = message.get("ts") if isinstance(message, Mapping) else None
    return f"msg:{channel_id}:{clean_text(ts)[:40]}" if isinstance(ts, str) and ts else None


def _key(ts: str) -> tuple[int, int]:
    """Order of ``ts`` values: compared as numbers, never as floats or strings."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction.ljust(6, "0"))


def permalink(channel_id: str, ts: str, thread_ts: str | None = None,
              workspace_url: str = DEFAULT_WORKSPACE_URL) -> str:
    """A link of the shape ``chat.getPermalink`` returns, built without a call."""
    url = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        url += f"?thread_ts={thread_ts}&cid={channel_id}"
    return url


def is_member_message(message: Mapping[str, Any], bot_users: frozenset[str] = frozenset()) -> bool:
    """True for a member's own message: no system subtype, not from a bot or Slackbot."""
    subtype = message.get("subtype")
    if subtype is not None and subtype not in MEMBER_SUBTYPES:
        return False
    if message.get("bot_id") or message.get("bot_profile"):
        return False
    user = message.get("user")
    return user != SLACKBOT_ID and user not in bot_users


def reaction_event(
    channel_id: str, channel_name: str | None, ts: str, user: str, reaction: str, *,
    item_user: str | None = None, thread_ts: str | None = None, occurred_at: datetime | None = None,
    workspace_url: str = DEFAULT_WORKSPACE_URL,
) -> SourceEvent:
    """``user`` reacted with ``reaction`` to message ``ts``; id ``reaction:{channel}:{ts}:{user}:{name}``.

    ``occurred_at`` defaults to the message's time (history does not say when a reaction was
    added). ``thread_owner_key`` is the author of the message reacted to (``item_user``).
    Raises `BadRecord` (a ValueError) when ``user`` or ``reaction`` is not a non-empty text:
    a reaction nobody made must be quarantined, never become the member ``slack:None``.
    """
    checked = {"user": user, "reaction": reaction, "item_user": item_user}
    user = v.text(checked, "user", required=True)  # type: ignore[assignment]
    reaction = v.text(checked, "reaction", required=True)  # type: ignore[assignment]
    item_user = v.text(checked, "item_user")
    return SourceEvent(
        source=SERVICE,
        source_event_id=f"reaction:{channel_id}:{ts}:{user}:{reaction}",
        member_key=f"{SERVICE}:{user}",
        kind="reaction",
        occurred_at=occurred_at or parse_ts(ts),
        url=permalink(channel_id, ts, thread_ts, workspace_url),
        category=channel_name,
        thread_owner_key=f"{SERVICE}:{item_user}" if item_user else None,
    )


def events_from_message(
    message: Mapping[str, Any], channel_id: str, channel_name: str | None, *,
    parent: Mapping[str, Any] | None = None, bot_users: frozenset[str] = frozenset(),
    workspace_url: str = DEFAULT_WORKSPACE_URL,
) -> list[SourceEvent]:
    """The events of one message (history, replies or an Events API ``message`` event).

    Strict form of `message_events`: raises ValueError (`BadRecord`, or `parse_ts`'s) when
    the message or any of its reactions cannot be read; the caller quarantines it whole.
    """
    events, rejected = message_events(message, channel_id, channel_name, parent=parent,
                                      bot_users=bot_users, workspace_url=workspace_url)
    if rejected:
        raise BadRecord(rejected[0].reason)
    return events


def message_events(
    message: Any, channel_id: str, channel_name: str | None, *,
    parent: Mapping[str, Any] | None = None, bot_users: frozenset[str] = frozenset(),
    workspace_url: str = DEFAULT_WORKSPACE_URL,
) -> tuple[list[SourceEvent], list[Rejected]]:
    """The events of one message, and its reactions that cannot be read.

    A member's message gives ``message`` (top level) or ``reply`` (``thread_ts`` differs
    from ``ts``; title = the parent's text when ``parent`` is given), then one ``reaction``
    per user and emoji in its ``reactions``. Reactions count on any message (a member
    reacting to a bot's announcement is engaging), except reactions by bots. Raises
    ValueError for a message that cannot be read (not an object, no valid ``ts``, a field
    of the wrong type, a member message without a ``user``): the caller quarantines it. A
    reaction entry that cannot be read (no name, a user that is not a user id) comes back
    as a `Rejected` of its own; the message and its other reactions still count.
    """
    message = v.record(message, "message")
    ts = message.get("ts")
    occurred = parse_ts(ts)
    thread_ts = v.text(message, "thread_ts")
    is_reply = thread_ts is not None and thread_ts != ts
    user = v.text(message, "user")
    v.text(message, "subtype")
    reactions = v.items(message, "reactions")
    text = v.text(message, "text") or ""
    events: list[SourceEvent] = []
    rejected: list[Rejected] = []
    if is_member_message(message, bot_users):
        if user is None:
            raise BadRecord("member message without a user")
        if is_reply:
            owner = v.text(message, "parent_user_id") or _safe_text(parent, "user")
            title = _safe_text(parent, "text")
        else:
            owner, title = user, None
        events.append(SourceEvent(
            source=SERVICE,
            source_event_id=f"msg:{channel_id}:{ts}",
            member_key=f"{SERVICE}:{user}",
            kind="reply" if is_reply else "message",
            occurred_at=occurred,
            url=permalink(channel_id, ts, thread_ts if is_reply else None, workspace_url),
            title=title,
            text=text,
            category=channel_name,
            thread_owner_key=f"{SERVICE}:{owner}" if owner else None,
        ))
    for reaction in reactions:
        payload = {"channel": channel_id, "ts": ts, "reaction": reaction}
        label = reaction.get("name") if isinstance(reaction, Mapping) else None
        ref = f"reaction:{channel_id}:{ts}:{clean_text(label)}" if isinstance(label, str) else None
        try:
            reaction = v.record(reaction, "reaction")
            name = v.text(reaction, "name", required=True) or ""
            reactors = v.items(reaction, "users")
        except BadRecord as err:
            rejected.append(Rejected(ref, f"reaction: {err}", payload))
            continue
        for reactor in reactors:
            if reactor == SLACKBOT_ID or (isinstance(reactor, str) and reactor in bot_users):
                continue
            try:
                events.append(reaction_event(
                    channel_id, channel_name, ts, reactor, name, item_user=user,
                    thread_ts=thread_ts if is_reply else None, workspace_url=workspace_url))
            except BadRecord as err:  # one per bad reactor; the emoji's other users still count
                rejected.append(Rejected(ref, f"reaction {name!r}: {err}", payload))
    return events, rejected


def _safe_text(obj: Mapping[str, Any] | None, key: str) -> str | None:
    """A text of another record (the parent), None when it is missing or unreadable."""
    try:
        return v.text(obj, key) if isinstance(obj, Mapping) else None
    except BadRecord:
        return None


# -- the source ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlackPacing:
    """How hard conversations.history and conversations.replies may be called.

    Slack counts each method separately. ``tier3``: internal and Marketplace apps (50+ a
    minute). ``limited``: commercially distributed non-Marketplace apps since 2025 (one call
    a minute, at most 15 messages per call).
    """

    per_minute: float = 50.0
    messages_per_call: int = 999

    @classmethod
    def named(cls, name: str | SlackPacing) -> SlackPacing:
        """``"tier3"``, ``"limited"`` or ``"unpaced"`` (local emulators only)."""
        if isinstance(name, SlackPacing):
            return name
        presets = {"tier3": cls(), "limited": cls(per_minute=1.0, messages_per_call=15),
                   "unpaced": cls(per_minute=0)}
        if name not in presets:
            raise ConfigurationError(f"unknown Slack pacing {name!r}: use one of {sorted(presets)}")
        return presets[name]


#: The methods Slack limits per app and workspace that a channel read repeats.
PACED_METHODS = ("conversations.history", "conversations.replies")


@dataclass
class SlackPage:
    """Events of one page, unreadable messages, and the channel cursor once it is stored."""

    events: list[SourceEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    cursor: str | None = None


class SlackSource:
    """Reads members, and messages, replies and reactions of chosen channels."""

    def __init__(
        self,
        client: WebClient,
        *,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        page_size: int = 200,
        pacing: SlackPacing | str = "tier3",
        thread_lookback: timedelta = timedelta(days=7),
        workspace_url: str = DEFAULT_WORKSPACE_URL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared_limits: Mapping[str, Callable[[], None]] | None = None,
    ) -> None:
        """``pacer`` spaces every call; ``pacing`` adds the per-method limits of `PACED_METHODS`
        (their pacers use ``clock``/``sleep``, and wait for ``shared_limits[method]`` too: the
        budget other workers share). ``page_size`` is the ``limit`` asked for and the number
        of top-level messages per yielded page."""
        if page_size < 1:
            raise ConfigurationError("page_size must be at least 1")
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self.pacer = pacer or Pacer()
        self.page_size = page_size
        self.pacing = SlackPacing.named(pacing)
        self.thread_lookback = thread_lookback
        self.workspace_url = workspace_url
        shared = shared_limits or {}
        self._method_pacers = {method: Pacer(self.pacing.per_minute, clock=clock, sleep=sleep, shared=shared.get(method))
                               for method in PACED_METHODS}
        self.bot_users: set[str] = set()
        self._bots: frozenset[str] = frozenset()

    # -- calls -------------------------------------------------------------------------
    def _call(self, method: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        method_pacer = self._method_pacers.get(method)

        def attempt() -> Any:
            self.pacer.wait()
            if method_pacer is not None:
                method_pacer.wait()
            return _translated(fn, **kwargs)

        return self.policy.call(attempt)

    @property
    def _message_limit(self) -> int:
        return max(1, min(self.page_size, self.pacing.messages_per_call, 999))

    # -- members -----------------------------------------------------------------------
    def member_pages(self) -> Iterator[MemberPage]:
        """Every active user with their email, ``page_size`` at a time.

        Deactivated users are skipped (no email, cannot be contacted); bots, apps and
        Slackbot come back with ``is_bot`` and are remembered so their messages are skipped.
        Workspace admins and owners are ``is_staff``: in a community workspace they are the
        vendor's own people. A user record that cannot be read goes to ``rejected``.
        """
        cursor: str | None = None
        while True:
            body = self._call("users.list", self.client.users_list,
                              limit=min(self.page_size, 1000), cursor=cursor)
            members = MemberPage()
            for user in body.get("members") or []:
                try:
                    member = self._member(user)
                except BadRecord as err:
                    ref = user.get("id") if isinstance(user, Mapping) else None
                    ref = f"user:{clean_text(ref)}" if isinstance(ref, str) and ref else None
                    members.rejected.append(Rejected(ref, f"user: {err}", user))
                    continue
                if member is not None:
                    members.members.append(member)
            if members.members or members.rejected:
                yield members
            cursor = _next_cursor(body)
            if not cursor:
                return

    def _member(self, user: Any) -> Member | None:
        """A user as a `Member`, None for a deactivated one; BadRecord for a wrong type."""
        user = v.record(user, "user")
        user_id = v.text(user, "id", required=True) or ""
        if v.flag(user, "deleted"):
            return None
        profile = v.record(user.get("profile") or {}, "profile")
        is_bot = v.flag(user, "is_bot") or v.flag(user, "is_app_user") or user_id == SLACKBOT_ID
        member = Member(
            key=f"{SERVICE}:{user_id}",
            source=SERVICE,
            external_id=user_id,
            username=v.text(user, "name") or user_id,
            email=v.text(profile, "email"),
            name=v.text(user, "real_name") or v.text(profile, "real_name"),
            is_staff=v.flag(user, "is_admin") or v.flag(user, "is_owner") or v.flag(user, "is_primary_owner"),
            is_bot=is_bot,
        )
        if is_bot:
            self.bot_users.add(user_id)
        return member

    # -- channels ----------------------------------------------------------------------
    def channel_ids(self, names: Sequence[str]) -> dict[str, str]:
        """Channel name → id for the configured names ('#' optional), public and private.

        Raises ConfigurationError naming every channel the app cannot see (misspelt,
        archived, or a private channel the app was not invited to).
        """
        wanted = [name.lstrip("#") for name in names]
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            body = self._call("conversations.list", self.client.conversations_list,
                              types="public_channel,private_channel", exclude_archived=True,
                              limit=min(self.page_size, 1000), cursor=cursor)
            for channel in body.get("channels") or []:
                if isinstance(channel, Mapping) and isinstance(channel.get("id"), str) and channel.get("name") in wanted:
                    found[channel["name"]] = channel["id"]
            cursor = _next_cursor(body)
            if not cursor or len(found) == len(set(wanted)):
                break
        missing = [name for name in wanted if name not in found]
        if missing:
            raise ConfigurationError(
                "Slack channel(s) not found: " + ", ".join(f"#{n}" for n in missing)
                + " (check the names; archived channels are not read; invite the app to private channels)")
        return {name: found[name] for name in wanted}

    # -- messages ----------------------------------------------------------------------
    def channel_pages(
        self, channel_name: str, channel_id: str, cursor: str | None, *,
        now: datetime | None = None, since: datetime | None = None,
    ) -> Iterator[SlackPage]:
        """Pages of events of one channel newer than ``cursor`` (a ``ts``; see the module doc).

        ``since`` bounds the first sync (no cursor yet); ``now`` anchors the thread lookback.
        """
        cursor = cursor or None
        if cursor is not None:
            parse_ts(cursor)  # a corrupt stored cursor fails loudly, before any call
        now = now or datetime.now(timezone.utc)
        floor = cursor if cursor is not None else (ts_of(since) if since else None)
        oldest = floor
        if cursor is not None and self.thread_lookback > timedelta(0):
            lookback = ts_of(now - self.thread_lookback)
            oldest = min(cursor, lookback, key=_key)
        scanned, unreadable = self._scan(channel_id, oldest)
        by_ts = {m["ts"]: m for m in scanned}
        seen: set[str] = set()
        self._bots = frozenset(self.bot_users)

        if cursor is not None:
            page = SlackPage(rejected=unreadable, cursor=cursor)
            unreadable = []
            for message in (m for m in scanned if _key(m["ts"]) <= _key(cursor)):
                # Already stored: only its reactions may be new.
                self._add(page, seen, message, channel_name, channel_id, by_ts, reactions_only=True)
                latest = message.get("latest_reply")
                if message.get("reply_count") and _is_ts(latest) and _key(latest) > _key(cursor):
                    self._add_thread(page, seen, message, channel_name, channel_id, after=cursor)
            if page.events or page.rejected:
                yield page

        new = [m for m in scanned if floor is None or _key(m["ts"]) > _key(floor)]
        for start in range(0, len(new), self.page_size):
            chunk = new[start:start + self.page_size]
            page = SlackPage(rejected=unreadable, cursor=chunk[-1]["ts"])
            unreadable = []
            for message in chunk:
                self._add(page, seen, message, channel_name, channel_id, by_ts)
                if message.get("reply_count") and message.get("thread_ts") in (None, message["ts"]):
                    self._add_thread(page, seen, message, channel_name, channel_id, after=None)
            yield page
        if unreadable:
            yield SlackPage(rejected=unreadable, cursor=cursor)

    def _scan(self, channel_id: str, oldest: str | None) -> tuple[list[dict[str, Any]], list[Rejected]]:
        """All history above ``oldest``, oldest first, and the messages without a valid ts."""
        messages: list[dict[str, Any]] = []
        rejected: list[Rejected] = []
        page_cursor: str | None = None
        while True:
            body = self._call("conversations.history", self.client.conversations_history,
                              channel=channel_id, oldest=oldest, limit=self._message_limit,
                              cursor=page_cursor)
            for message in body.get("messages") or []:
                try:
                    parse_ts(v.record(message, "message").get("ts"))
                except ValueError as err:
                    rejected.append(Rejected(_msg_ref(channel_id, message), f"message: {err}", message))
                    continue
                messages.append(message)
            page_cursor = _next_cursor(body)
            if not body.get("has_more") or not page_cursor:
                break
        unique = {m["ts"]: m for m in messages}
        return sorted(unique.values(), key=lambda m: _key(m["ts"])), rejected

    def _thread(self, channel_id: str, thread_ts: str, after: str | None) -> list[dict[str, Any]]:
        """The replies of a thread (newer than ``after`` when given), without the parent."""
        replies: list[dict[str, Any]] = []
        page_cursor: str | None = None
        while True:
            body = self._call("conversations.replies", self.client.conversations_replies,
                              channel=channel_id, ts=thread_ts, oldest=after,
                              limit=self._message_limit, cursor=page_cursor)
            replies.extend(m for m in body.get("messages") or []
                           if not isinstance(m, Mapping) or m.get("ts") != thread_ts)
            page_cursor = _next_cursor(body)
            if not body.get("has_more") or not page_cursor:
                return replies

    def _add_thread(self, page: SlackPage, seen: set[str], parent: dict[str, Any],
                    channel_name: str, channel_id: str, *, after: str | None) -> None:
        try:
            replies = self._thread(channel_id, parent["ts"], after)
        except NotFoundError:
            return  # the parent was deleted since the scan: nothing left to read
        for reply in replies:
            self._add(page, seen, reply, channel_name, channel_id, {parent["ts"]: parent})

    def _add(self, page: SlackPage, seen: set[str], message: Any, channel_name: str,
             channel_id: str, parents: Mapping[str, dict[str, Any]], *,
             reactions_only: bool = False) -> None:
        thread_ts = message.get("thread_ts") if isinstance(message, Mapping) else None
        parent = parents.get(thread_ts) if isinstance(thread_ts, str) and thread_ts != message.get("ts") else None
        try:
            events, rejected = message_events(message, channel_id, channel_name, parent=parent,
                                              bot_users=self._bots,
                                              workspace_url=self.workspace_url)
        except ValueError as err:
            page.rejected.append(Rejected(_msg_ref(channel_id, message), f"message: {err}", message))
            return
        page.rejected.extend(rejected)
        for event in events:
            if reactions_only and event.kind != "reaction":
                continue
            if event.source_event_id not in seen:
                seen.add(event.source_event_id)
                page.events.append(event)


def _next_cursor(body: Mapping[str, Any]) -> str | None:
    return (body.get("response_metadata") or {}).get("next_cursor") or None
