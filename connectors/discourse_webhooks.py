"""Real-time capture from Discourse: a webhook receiver that writes posts and likes to the store.

Discourse has no site-wide feed of likes: without webhooks, likes cost one
``post_action_users`` read per post, at 60 requests a minute for the whole site. With a
webhook (Admin → API → Webhooks: content type ``application/json``, a secret, events "Post"
and "Like") every new post and like arrives as it happens, with the real time of the like.
For every request the receiver

1. refuses what is malformed before reading it (size, length, content type: the same server
   as the Slack receiver, `connectors.slack_events_server`), then verifies
   ``X-Discourse-Event-Signature`` (``sha256=`` + HMAC-SHA256 of the raw body with the
   webhook's secret) — 401 with the reason;
2. stores each delivery once by ``X-Discourse-Event-Id`` (Discourse re-delivers failed events
   with the same id), its activities in the same transaction, with the same event ids as the
   pull (``post:<id>``, ``like:<post>:<user>``), so the two never double-count;
3. places a reply in its thread like the pull does: by the starter the store knows, else the
   reply is held until the next sync learns it (`connectors.store.threads`);
4. answers a signed but unusable delivery 200 and quarantines it once with its reason, so
   Discourse stops re-sending it; only a database that cannot be reached answers 500.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from connectors import validate as v
from connectors.discourse import SERVICE, like_event, post_created_at, post_event
from connectors.slack_events_server import EventResult, Receiver
from connectors.store import Store, ThreadChanges
from connectors.validate import BadRecord, Rejected
from scoring.classify import ClassificationRules, to_activity
from scoring.records import Activity, SourceEvent

__all__ = ["DiscourseWebhookReceiver", "discourse_signature"]

#: Deliveries that carry activities; every other event is acknowledged and ignored.
POST_EVENTS = frozenset({"post_created"})
LIKE_EVENTS = frozenset({"post_liked"})


def discourse_signature(secret: bytes, body: bytes) -> str:
    """Discourse's webhook signature: ``sha256=`` + HMAC-SHA256 of the raw body, hex."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class DiscourseWebhookReceiver(Receiver):
    """Verifies, deduplicates, classifies and stores Discourse webhook deliveries."""

    source, path, port = SERVICE, "/discourse/webhooks", 3001

    def __init__(
        self,
        store: Store,
        secret: str,
        base_url: str,
        *,
        categories: Mapping[int, str] | None = None,
        rules: ClassificationRules | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if not secret:
            raise ValueError("a Discourse webhook receiver needs the webhook's secret")
        super().__init__(store)
        self._secret = secret.encode()
        self.base_url = base_url.rstrip("/")
        self.categories = dict(categories or {})
        self.rules = rules or ClassificationRules()
        self._clock = clock

    # -- the request handler, independent of the HTTP server -----------------------------
    def handle(self, headers: Mapping[str, str], body: bytes) -> EventResult:
        """Answer one delivery: 401 for a bad signature, 400 for a body that is not a JSON object."""
        headers = {name.lower(): value for name, value in headers.items()}
        signature = headers.get("x-discourse-event-signature")
        if not signature:
            return EventResult(401, {"error": "missing X-Discourse-Event-Signature"})
        expected = discourse_signature(self._secret, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return EventResult(401, {"error": "invalid signature"})
        payload = self._json_object(body)
        if isinstance(payload, EventResult):
            return payload
        event = headers.get("x-discourse-event", "")
        if event not in POST_EVENTS | LIKE_EVENTS:
            return EventResult(200, {"ignored": event[:40]})
        delivery = headers.get("x-discourse-event-id", "")
        ref = f"webhook:{delivery}" if delivery.isascii() and delivery.isdigit() else (
            "sha256:" + hashlib.sha256(body).hexdigest()[:32])  # the same body on every re-delivery
        try:
            source_event, threads = (self._like(payload) if event in LIKE_EVENTS else self._post(payload))
        except BadRecord as err:
            return self._quarantine(ref, f"{event}: {err}", body)
        if isinstance(source_event, Rejected):
            return self._quarantine(ref, source_event.reason, body)
        activities: list[Activity] = []
        if threads is None or not threads.hold:
            activity = to_activity(source_event, self.rules)
            activities = [activity] if activity is not None else []
        return self._save(ref, body, activities, threads)

    def _category(self, post: Mapping[str, Any]) -> str | None:
        slug = v.text(post, "category_slug")
        category_id = v.integer(post, "category_id")
        return slug or (self.categories.get(category_id) if category_id is not None else None)

    def _like(self, payload: Mapping[str, Any]) -> tuple[SourceEvent | Rejected, None]:
        like = v.record(payload.get("like"), "like")
        post = v.record(like.get("post"), "like.post")
        v.integer(post, "id", required=True)
        return like_event(post, like.get("user"), self._clock(), self.base_url, self._category(post)), None

    def _post(self, payload: Mapping[str, Any]) -> tuple[SourceEvent, ThreadChanges | None]:
        post = v.record(payload.get("post"), "post")
        v.integer(post, "id", required=True)
        topic_id = v.integer(post, "topic_id", required=True)
        user_id = v.integer(post, "user_id", required=True)
        if v.integer(post, "post_number") == 1:
            owner: str | None = f"{SERVICE}:{user_id}"
            event = post_event(post, post_created_at(post), self.base_url, self._category(post), owner)
            return event, ThreadChanges(SERVICE, owners={str(topic_id): owner})
        known = self.store.thread_owners(SERVICE, [str(topic_id)])
        owner = known.get(str(topic_id))
        event = post_event(post, post_created_at(post), self.base_url, self._category(post), owner)
        if str(topic_id) in known:
            return event, None
        return event, ThreadChanges(SERVICE, hold=[(str(topic_id), event)])  # placed by the next sync
