"""Discourse as a community source, through pydiscourse.

Pages are generators: members 100 at a time (with emails), posts newest first by ``before``
id down to the cursor, likers of new and recently liked posts. State comes in as a value
(the cursor) and the new cursor goes out; nothing here stores anything.

pydiscourse retries 429s itself (sleeping ``extras.wait_seconds`` + 1, four tries); what
it gives up on, plus 5xx and dropped connections, goes to our :class:`RetryPolicy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseError, DiscourseRateLimitedError

from connectors.errors import ConnectorError, RetryableError, error_for_status
from connectors.retry import Pacer, RetryPolicy
from scoring.records import Member, SourceEvent

__all__ = ["DiscourseSource", "PostPage", "Rejected", "parse_time"]

SERVICE = "discourse"
LIKE = 2
_BOT_USERNAMES = frozenset({"system", "discobot"})


@dataclass(frozen=True)
class Rejected:
    """A record that could not be parsed, kept with the reason for the quarantine."""

    ref: str
    reason: str
    payload: dict[str, Any]


@dataclass
class PostPage:
    """One page of posts turned into events, plus what could not be read."""

    events: list[SourceEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    max_post_id: int = 0


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as Discourse writes it ("...Z"), tz-aware."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed


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
        self._topic_owners: dict[int, int | None] = {}

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
    def member_pages(self, flag: str = "active") -> Iterator[list[Member]]:
        """All members with their emails, a page of up to 100 at a time."""
        page = 1
        while True:
            users = self._call(self.client.list_users, flag, show_emails="true", page=page)
            if not users:
                return
            yield [self._member(user) for user in users if "id" in user]
            page += 1

    @staticmethod
    def _member(user: dict[str, Any]) -> Member:
        user_id = int(user["id"])
        username = str(user.get("username") or user_id)
        return Member(
            key=f"{SERVICE}:{user_id}",
            source=SERVICE,
            external_id=str(user_id),
            username=username,
            email=user.get("email") or None,
            name=user.get("name") or None,
            is_staff=bool(user.get("admin") or user.get("moderator")),
            is_bot=user_id <= 0 or username.lower() in _BOT_USERNAMES,
        )

    # -- posts -------------------------------------------------------------------------
    def categories(self) -> dict[int, str]:
        """Category id → slug, fetched once per source."""
        if self._categories is None:
            body = self._call(self.client.categories) or []
            listed = body if isinstance(body, list) else body.get("category_list", {}).get("categories", [])
            self._categories = {int(c["id"]): str(c.get("slug") or c.get("name")) for c in listed}
        return self._categories

    def thread_owner(self, post: dict[str, Any]) -> str | None:
        """Member key of whoever started the post's topic (cached; one topic read when unseen).

        Classification needs it: a reply in someone else's question thread is an answer.
        """
        topic_id = post.get("topic_id")
        if not isinstance(topic_id, int):
            return None
        if post.get("post_number") == 1 and isinstance(post.get("user_id"), int):
            self._topic_owners[topic_id] = post["user_id"]
        if topic_id not in self._topic_owners:
            try:
                topic = self._call(self.client.topic, post.get("topic_slug") or "-", topic_id) or {}
            except ConnectorError:
                topic = {}  # deleted or private topic: the reply stays a plain reply
            owner = topic.get("user_id")
            if owner is None:
                first = ((topic.get("post_stream") or {}).get("posts") or [{}])[0]
                owner = first.get("user_id") if first.get("post_number") == 1 else None
            self._topic_owners[topic_id] = owner if isinstance(owner, int) else None
        owner_id = self._topic_owners[topic_id]
        return f"{SERVICE}:{owner_id}" if owner_id is not None else None

    def post_pages(
        self, cursor: int | None, *, now: datetime, likes_lookback: timedelta = timedelta(days=2)
    ) -> Iterator[PostPage]:
        """Pages of events for posts newer than ``cursor``, newest first.

        Posts younger than ``likes_lookback`` are read again (they are already stored, so
        only their new likes count) because Discourse has no site-wide feed of likes.
        """
        since = now - likes_lookback
        before: int | None = None
        while True:
            body = self._call(self.client.latest_posts, before=before) or {}
            posts = body.get("latest_posts") or []
            if not posts:
                return
            page = PostPage()
            oldest_id: int | None = None
            reached_end = False
            for post in posts:
                post_id = post.get("id")
                if not isinstance(post_id, int):
                    page.rejected.append(Rejected(f"post:{post_id}", "post without an integer id", post))
                    continue
                oldest_id = post_id if oldest_id is None else min(oldest_id, post_id)
                is_new = cursor is None or post_id > cursor
                try:
                    created = parse_time(str(post["created_at"]))
                except (KeyError, ValueError) as err:
                    page.rejected.append(Rejected(f"post:{post_id}", f"unreadable created_at: {err}", post))
                    continue
                if not is_new and created < since:
                    reached_end = True
                    continue
                page.max_post_id = max(page.max_post_id, post_id)
                if is_new:
                    event = self._post_event(post, created)
                    if isinstance(event, Rejected):
                        page.rejected.append(event)
                        continue
                    page.events.append(event)
                if _like_count(post):
                    page.events.extend(self._like_events(post, created))
            yield page
            if reached_end or oldest_id is None or oldest_id <= 1:
                return
            before = oldest_id

    def _post_url(self, post: dict[str, Any]) -> str:
        slug = post.get("topic_slug") or "-"
        return f"{self.base_url}/t/{slug}/{post['topic_id']}/{post.get('post_number', 1)}"

    def _post_event(self, post: dict[str, Any], created: datetime) -> SourceEvent | Rejected:
        ref = f"post:{post['id']}"
        user_id = post.get("user_id")
        if not isinstance(user_id, int) or "topic_id" not in post:
            return Rejected(ref, "post without user_id or topic_id", post)
        number = post.get("post_number")
        if post.get("accepted_answer"):
            kind = "solution"
        elif number == 1:
            kind = "topic"
        else:
            kind = "reply"
        category_id = post.get("category_id")
        return SourceEvent(
            source=SERVICE,
            source_event_id=ref,
            member_key=f"{SERVICE}:{user_id}",
            kind=kind,
            occurred_at=created,
            url=self._post_url(post),
            title=post.get("topic_title"),
            text=post.get("raw") or post.get("excerpt") or "",
            category=self.categories().get(category_id) if isinstance(category_id, int) else None,
            thread_owner_key=self.thread_owner(post),
        )

    def _like_events(self, post: dict[str, Any], created: datetime) -> list[SourceEvent]:
        """Who liked a post. Discourse does not say when: the post's own time stands in."""
        body = self._call(self.client.post_action_users, post["id"], post_action_type_id=LIKE) or {}
        return [
            SourceEvent(
                source=SERVICE,
                source_event_id=f"like:{post['id']}:{user['id']}",
                member_key=f"{SERVICE}:{user['id']}",
                kind="like",
                occurred_at=created,
                url=self._post_url(post),
                title=post.get("topic_title"),
                category=self.categories().get(post["category_id"]) if isinstance(post.get("category_id"), int) else None,
            )
            for user in body.get("post_action_users", [])
            if isinstance(user.get("id"), int)
        ]


def _like_count(post: dict[str, Any]) -> int:
    for action in post.get("actions_summary") or []:
        if action.get("id") == LIKE:
            return int(action.get("count") or 0)
    return 0


def _translate(err: DiscourseError) -> ConnectorError:
    response = getattr(err, "response", None)
    if isinstance(err, DiscourseRateLimitedError):
        retry_after = response.headers.get("Retry-After") if response is not None else None
        return error_for_status(SERVICE, 429, str(err), retry_after)
    status = response.status_code if response is not None else None
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if status is None or 200 <= status < 300:
        # A malformed success (wrong content type, undecodable body): not worth retrying.
        return error_for_status(SERVICE, 400, f"unexpected response: {err}")
    return error_for_status(SERVICE, status, str(err), retry_after)
