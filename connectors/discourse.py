"""Discourse as a community source, through pydiscourse.

Pages are generators: members 100 at a time (with emails), posts newest first by ``before``
id down to the cursor, likers of new and recently liked posts. State comes in as a value
(the cursor) and the new cursor goes out; nothing here stores anything.

Who started a reply's topic (an answer is a reply in someone else's question) comes from the
feed itself: a topic's first post is in the feed too, only later (newest first). A page names
the replies it could not place yet (``unresolved``) and the starters it saw (``starters``);
the caller holds those replies until their starter shows up, and reads a topic
(`DiscourseSource.topic_owner`) only for one that began before anything it has read.

The block's client (`connectors.discourse_client`) sends every call over one kept-alive
session and raises 429s at once: our :class:`RetryPolicy` is the only one that retries
(429s after ``Retry-After`` or the body's ``extras.wait_seconds``, 5xx, dropped connections).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseError, DiscourseRateLimitedError

from connectors.discourse_paging import LIKERS_PER_PAGE, PagingStalled, posts_below, stalled_likers
from connectors.errors import ConnectorError, RetryableError, error_for_status
from connectors import validate as v
from connectors.retry import Pacer, RetryPolicy
from connectors.sanitize import clean_text
from connectors.validate import BadRecord, MemberPage, Rejected
from scoring.records import Member, SourceEvent

__all__ = ["DiscourseSource", "LikePage", "MemberPage", "PagingStalled", "PostPage", "Rejected", "like_event", "parse_time",
           "post_created_at", "post_event", "post_url"]

SERVICE = "discourse"
LIKE = 2
_BOT_USERNAMES = frozenset({"system", "discobot"})


#: Rows a Data Explorer run returns at most (the plugin's cap).
LIKES_PER_QUERY = 10_000


@dataclass
class _Page:
    """Events read, plus the records that could not be."""

    events: list[SourceEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, results: Iterable[SourceEvent | Rejected]) -> None:
        """Sort events and rejected records into their lists."""
        for result in results:
            (self.rejected if isinstance(result, Rejected) else self.events).append(result)  # type: ignore[arg-type]


@dataclass
class PostPage(_Page):
    """One page of posts turned into events, plus what could not be read."""

    max_post_id: int = 0
    #: The lowest post id read so far: the ``before`` that resumes after this page.
    position: int | None = None
    #: Topic id → who started it, for the topics whose first post is on this page.
    starters: dict[int, str] = field(default_factory=dict)
    #: Event id → topic id of replies whose starter is not known yet (``thread_owner_key`` None).
    unresolved: dict[str, int] = field(default_factory=dict)


@dataclass
class LikePage(_Page):
    """One page of the likes query: like events with their real time, and what could not be read."""

    #: The highest like id read: the ``after_id`` of the next page.
    after_id: int = 0


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as Discourse writes it ("...Z"), tz-aware."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed


def _ref(kind: str, record: Any) -> str | None:
    """``kind:id`` when the record has a usable id, else None (quarantined by payload)."""
    value = record.get("id") if isinstance(record, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        return None
    return f"{kind}:{clean_text(str(value))[:100]}"


def _post_id(post: Any) -> int | None:
    """The post's id when it is an integer (never raises: paging needs it even for bad posts)."""
    try:
        return v.integer(v.record(post, "post"), "id", required=True)
    except BadRecord:
        return None


def post_created_at(post: Mapping[str, Any]) -> datetime:
    """When a post was written; BadRecord when ``created_at`` is missing or unreadable."""
    value = v.text(post, "created_at", required=True)
    try:
        return parse_time(value or "")
    except ValueError as err:
        raise BadRecord(f"unreadable created_at: {err}") from err


class DiscourseSource:
    """Reads members, posts and likes of one forum."""

    def __init__(
        self,
        client: DiscourseClient,
        *,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.base_url = client.host.rstrip("/")
        self.policy = policy or RetryPolicy(SERVICE)
        self.pacer = pacer or Pacer()
        self._categories: dict[int, str] | None = None
        self._topic_owners: dict[int, str | None] = {}

    # -- calls -------------------------------------------------------------------------
    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def attempt() -> Any:
            self.pacer.wait()
            try:
                return fn(*args, **kwargs)
            except DiscourseRateLimitedError as err:
                raise _translate(err) from err
            except DiscourseError as err:
                raise _translate(err) from err
            except (requests.ConnectionError, requests.Timeout) as err:
                raise RetryableError(SERVICE, f"connection failed: {err}") from err

        return self.policy.call(attempt)

    # -- members -----------------------------------------------------------------------
    def member_pages(self, flag: str = "active", *, newer_than: int | None = None) -> Iterator[MemberPage]:
        """Members with their emails, newest first, a page of up to 100 at a time.

        All of them, or with ``newer_than`` (a user id) only the pages down to the first user
        at or below it: user ids grow with sign-ups, so the members who joined since. A user
        record that cannot be read goes to the page's ``rejected`` list.
        """
        page = 1
        while True:
            users = self._call(self.client.list_users, flag, show_emails="true", order="created", page=page)
            if not users:
                return
            if not isinstance(users, list):
                raise error_for_status(SERVICE, 400, f"unexpected user list: {v.describe(users)}")
            members = MemberPage()
            for user in users:
                try:
                    members.members.append(self._member(user))
                except BadRecord as err:
                    members.rejected.append(Rejected(_ref("user", user), f"user: {err}", user))
            yield members
            if newer_than is not None and any(int(m.external_id) <= newer_than for m in members.members):
                return
            page += 1

    @staticmethod
    def _member(user: Any) -> Member:
        """A user of the admin list as a `Member`; BadRecord when a field has the wrong type."""
        user = v.record(user, "user")
        user_id = v.integer(user, "id", required=True)
        username = v.text(user, "username") or str(user_id)
        return Member(
            key=f"{SERVICE}:{user_id}",
            source=SERVICE,
            external_id=str(user_id),
            username=username,
            email=v.text(user, "email"),
            name=v.text(user, "name"),
            is_staff=v.flag(user, "admin") or v.flag(user, "moderator"),
            is_bot=user_id <= 0 or username.lower() in _BOT_USERNAMES,
        )

    # -- posts -------------------------------------------------------------------------
    def categories(self) -> dict[int, str]:
        """Category id → slug, fetched once per source."""
        if self._categories is None:
            body = self._call(self.client.categories) or []
            if isinstance(body, Mapping):
                listing = body.get("category_list")
                body = listing.get("categories") if isinstance(listing, Mapping) else []
            self._categories = {}
            for category in body if isinstance(body, list) else []:
                try:  # an unreadable category only costs its events their category label
                    category = v.record(category, "category")
                    slug = v.text(category, "slug") or v.text(category, "name")
                    self._categories[v.integer(category, "id", required=True)] = slug or "-"
                except BadRecord:
                    continue
        return self._categories

    def remember_owners(self, owners: Mapping[int, str | None]) -> None:
        """Topic id → starter's member key, known from elsewhere (the store's topic cache)."""
        self._topic_owners.update(owners)

    def topic_owner(self, topic_id: int) -> str | None:
        """Member key of whoever started a topic: one topic read, then cached.

        The fallback for a reply whose topic began before anything we have read; a deleted
        or private topic has no owner (the reply stays a plain reply).
        """
        if topic_id not in self._topic_owners:
            try:
                topic = self._call(self.client._get, f"/t/{topic_id}.json") or {}
            except ConnectorError:
                topic = {}
            owner_id = _topic_owner(topic)
            self._topic_owners[topic_id] = f"{SERVICE}:{owner_id}" if owner_id is not None else None
        return self._topic_owners[topic_id]

    def _learn_starters(self, posts: Iterable[Any], page: PostPage) -> None:
        """Note who started each topic whose first post is among ``posts`` (no request)."""
        for post in posts:
            if not isinstance(post, Mapping) or post.get("post_number") != 1:
                continue
            topic_id, user_id = post.get("topic_id"), post.get("user_id")
            if isinstance(topic_id, int) and isinstance(user_id, int) and not isinstance(user_id, bool):
                page.starters[topic_id] = self._topic_owners[topic_id] = f"{SERVICE}:{user_id}"

    def like_pages(self, query_id: int, after_id: int = 0) -> Iterator[LikePage]:
        """Every like after ``after_id``, oldest first, 10,000 a call, through the Data Explorer query
        ``query_id`` (the README has its SQL): one call per 10,000 likes instead of one per post."""
        while True:
            body = self._call(self.client._post, f"/admin/plugins/explorer/queries/{query_id}/run",
                              params=json.dumps({"after_id": str(after_id)}), limit=str(LIKES_PER_QUERY))
            if not isinstance(body, Mapping) or not isinstance(body.get("rows"), list):
                raise error_for_status(SERVICE, 400, f"unexpected Data Explorer answer: {v.describe(body)}")
            columns = body.get("columns") or []
            page = LikePage(after_id=after_id)
            for row in body["rows"]:
                record = dict(zip(columns, row)) if isinstance(row, list) else row
                page.after_id = max(page.after_id, _like_id(record))
                page.add([self._queried_like(record)])
            yield page
            if len(body["rows"]) < LIKES_PER_QUERY or page.after_id <= after_id:
                return
            after_id = page.after_id

    def _queried_like(self, record: Any) -> SourceEvent | Rejected:
        try:
            record = v.record(record, "like")
            post = {"id": v.integer(record, "post_id", required=True), "topic_id": record.get("topic_id"),
                    "post_number": record.get("post_number"), "topic_slug": record.get("topic_slug"),
                    "topic_title": record.get("topic_title"), "category_id": record.get("category_id")}
            when = post_created_at(record)
            category = v.text(record, "category_slug") or self._category(post)
            return like_event(post, {"id": record.get("user_id")}, when, self.base_url, category)
        except BadRecord as err:
            return Rejected(_ref("like", record), f"like: {err}", record)

    def post_pages(
        self, cursor: int | None, *, now: datetime, likes_lookback: timedelta = timedelta(days=2),
        before: int | None = None, read_likes: bool = True,
    ) -> Iterator[PostPage]:
        """Pages of events for posts newer than ``cursor``, newest first.

        Posts younger than ``likes_lookback`` are read again (they are already stored, so
        only their new likes count) because Discourse has no site-wide feed of likes. With
        ``read_likes`` False no liker is read (likes come from `like_pages` or webhooks).

        ``before`` resumes a read that stopped: pass the ``position`` of the last page that
        was stored and only the posts below it are read. Each page must bring posts below
        the previous one: an inclusive ``before`` (older Discourse) is de-duplicated, a
        server that ignores it raises `PagingStalled` after the pages already yielded.
        """
        since = now - likes_lookback
        while True:
            body = self._call(self.client.latest_posts, before=before) or {}
            posts = posts_below(body.get("latest_posts") or [], before, _post_id)
            if not posts:
                return
            page = PostPage(position=before)
            self._learn_starters(posts, page)
            reached_end = False
            for post in posts:
                post_id = _post_id(post)
                if post_id is not None:
                    page.position = post_id if page.position is None else min(page.position, post_id)
                    page.max_post_id = max(page.max_post_id, post_id)  # even when rejected
                if post_id is None:
                    page.rejected.append(self._rejected_post(post))
                    continue
                is_new = cursor is None or post_id > cursor
                try:
                    created = post_created_at(post)
                except BadRecord as err:
                    page.rejected.append(Rejected(f"post:{post_id}", f"post: {err}", post))
                    continue
                if not is_new and created < since:
                    reached_end = True
                    continue
                try:
                    liked = _like_count(post)
                    if is_new:
                        page.events.append(self._post_event(post, created, page))
                except BadRecord as err:
                    page.rejected.append(Rejected(f"post:{post_id}", f"post: {err}", post))
                    continue
                if liked and read_likes:
                    page.add(self._like_events(post, created))
            yield page
            if reached_end or page.position is None or page.position == before or page.position <= 1:
                return
            before = page.position

    @staticmethod
    def _rejected_post(post: Any) -> Rejected:
        try:
            reason = f"id is not an integer but {v.describe(v.record(post, 'post').get('id'))}"
        except BadRecord as err:
            reason = str(err)
        return Rejected(_ref("post", post), f"post: {reason}", post)

    def _category(self, post: Mapping[str, Any]) -> str | None:
        category_id = v.integer(post, "category_id")
        return self.categories().get(category_id) if category_id is not None else None

    def _post_event(self, post: Mapping[str, Any], created: datetime, page: PostPage) -> SourceEvent:
        """A post as an event; a reply whose topic's starter is not known yet goes into
        ``page.unresolved`` (its first post comes later in the feed, or the caller knows it)."""
        topic_id = v.integer(post, "topic_id", required=True)
        return post_event(post, created, self.base_url, self._category(post),
                          self._known_owner(topic_id, post, page))

    def _known_owner(self, topic_id: int, post: Mapping[str, Any], page: PostPage) -> str | None:
        if v.integer(post, "post_number") == 1:
            return f"{SERVICE}:{v.integer(post, 'user_id', required=True)}"
        if topic_id in self._topic_owners:
            return self._topic_owners[topic_id]
        page.unresolved[f"post:{post['id']}"] = topic_id
        return None

    def _like_events(self, post: Mapping[str, Any], created: datetime) -> list[SourceEvent | Rejected]:
        """Who liked a post, every page of 200. Discourse does not say when a like was
        given: the post's own time stands in.

        A liker without a usable user id is rejected, never turned into a member. A liker
        seen on an earlier page (a like withdrawn meanwhile shifts the pages) counts once; a
        page that brings no new liker at all raises `PagingStalled`.
        """
        results: list[SourceEvent | Rejected] = []
        seen: set[Any] = set()
        page = 0
        while True:
            body = self._call(self.client.post_action_users, post["id"], post_action_type_id=LIKE,
                              page=page) or {}
            users = body.get("post_action_users") if isinstance(body, Mapping) else body
            if not isinstance(users, list):
                reason = f"likes of post {post['id']}: post_action_users is not an array but {v.describe(users)}"
                return [*results, Rejected(f"likes:{post['id']}", reason, body)]
            keys = [_liker_key(user) for user in users]
            fresh = [user for user, key in zip(users, keys, strict=True) if key is None or key not in seen]
            results.extend(self._like_event(post, user, created) for user in fresh)
            if len(users) < LIKERS_PER_PAGE:
                return results
            if not {key for key in keys if key is not None} - seen:
                raise stalled_likers(post["id"], page)
            seen.update(key for key in keys if key is not None)
            page += 1

    def _like_event(self, post: Mapping[str, Any], user: Any, created: datetime) -> SourceEvent | Rejected:
        return like_event(post, user, created, self.base_url, self._category(post))


def post_url(post: Mapping[str, Any], base_url: str) -> str:
    """The post's address on the forum; BadRecord without a topic id."""
    slug = v.text(post, "topic_slug") or "-"
    number = v.integer(post, "post_number") or 1
    return f"{base_url}/t/{slug}/{v.integer(post, 'topic_id', required=True)}/{number}"


def post_event(post: Mapping[str, Any], created: datetime, base_url: str, category: str | None,
               thread_owner_key: str | None) -> SourceEvent:
    """A post (of the feed or a webhook) as a topic, reply or solution event; BadRecord when a field is unusable."""
    user_id = v.integer(post, "user_id", required=True)
    if v.flag(post, "accepted_answer"):
        kind = "solution"
    elif v.integer(post, "post_number") == 1:
        kind = "topic"
    else:
        kind = "reply"
    return SourceEvent(
        source=SERVICE,
        source_event_id=f"post:{post['id']}",
        member_key=f"{SERVICE}:{user_id}",
        kind=kind,
        occurred_at=created,
        url=post_url(post, base_url),
        title=v.text(post, "topic_title"),
        text=v.text(post, "raw") or v.text(post, "excerpt") or "",
        category=category,
        thread_owner_key=thread_owner_key,
    )


def like_event(post: Mapping[str, Any], user: Any, when: datetime, base_url: str,
               category: str | None) -> SourceEvent | Rejected:
    """``user`` liked ``post`` at ``when``; a liker without a usable id is rejected, never a member."""
    try:
        user_id = v.integer(v.record(user, "liker"), "id", required=True, minimum=1)
    except BadRecord as err:
        payload = {"post_id": post["id"], "post_action_user": user}
        return Rejected(None, f"like of post {post['id']}: {err}", payload)
    return SourceEvent(
        source=SERVICE,
        source_event_id=f"like:{post['id']}:{user_id}",
        member_key=f"{SERVICE}:{user_id}",
        kind="like",
        occurred_at=when,
        url=post_url(post, base_url),
        title=v.text(post, "topic_title"),
        category=category,
    )


def _like_id(record: Any) -> int:
    """The like's id in the query's rows (0 when unreadable: it never moves the cursor back)."""
    value = record.get("id") if isinstance(record, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _liker_key(user: Any) -> Any:
    """What makes a liker the same one on another page (its id as given), else None."""
    value = user.get("id") if isinstance(user, Mapping) else None
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _like_count(post: Mapping[str, Any]) -> int:
    """Likes the post's ``actions_summary`` reports; BadRecord when it cannot be read."""
    for action in v.items(post, "actions_summary"):
        action = v.record(action, "actions_summary entry")
        if v.integer(action, "id") == LIKE:
            return v.integer(action, "count", minimum=0) or 0
    return 0


def _topic_owner(topic: Any) -> int | None:
    """Who started a topic, from a topic view (its ``user_id``, else post #1's author)."""
    if not isinstance(topic, Mapping):
        return None
    owner = topic.get("user_id")
    if owner is None:
        stream = topic.get("post_stream")
        posts = stream.get("posts") if isinstance(stream, Mapping) else None
        first = posts[0] if isinstance(posts, list) and posts else None
        if isinstance(first, Mapping) and first.get("post_number") == 1:
            owner = first.get("user_id")
    return owner if isinstance(owner, int) and not isinstance(owner, bool) else None


def _translate(err: DiscourseError) -> ConnectorError:
    response = getattr(err, "response", None)
    if isinstance(err, DiscourseRateLimitedError):
        retry_after = response.headers.get("Retry-After") if response is not None else None
        return error_for_status(SERVICE, 429, str(err), retry_after or _wait_seconds(response))
    status = response.status_code if response is not None else None
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if status is None or 200 <= status < 300:
        # A malformed success (wrong content type, undecodable body): not worth retrying.
        return error_for_status(SERVICE, 400, f"unexpected response: {err}")
    return error_for_status(SERVICE, status, str(err), retry_after)


def _wait_seconds(response: Any) -> str | None:
    """``extras.wait_seconds`` of a 429 body (Discourse's own hint), when there is no Retry-After."""
    try:
        wait = response.json()["extras"]["wait_seconds"]
    except (AttributeError, ValueError, TypeError, KeyError):
        return None
    return str(wait) if isinstance(wait, (int, float)) and not isinstance(wait, bool) else None
