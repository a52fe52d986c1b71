"""Real-time capture from Slack: an Events API receiver that writes activities to the store.

Slack's history API is rate-limited (1 request a minute for many apps) and retention-limited,
so a deployment runs this small HTTP endpoint next to its Prefect workers; the next
``community_sync`` scores what it stored. For every request it

1. refuses what is malformed before reading it (size, length, content type: see
   `connectors.slack_events_server`), then verifies ``X-Slack-Signature`` over the raw body
   (HMAC-SHA256 with the signing secret) and rejects timestamps more than five minutes
   off (replays) — 401 with the reason;
2. answers the ``url_verification`` handshake with the challenge;
3. stores each ``event_callback`` once: the event id and its activities are written in one
   transaction, so Slack's retries (it re-delivers when we are slow or answer non-2xx) are
   acknowledged without a second copy, and a failure stores nothing and lets the retry through;
4. turns the event into source events exactly as the history backfill does (same event
   ids), classifies them and stores the activities;
5. answers a *poison* event (signed, but unusable: see `connectors.slack_event_payload`)
   200 and quarantines it once with its reason, so Slack stops re-sending it. Only a store
   that cannot be reached (or a channel lookup that failed) answers 500, to get the retry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient

from connectors.errors import ConnectorError, NotFoundError
from connectors.slack import _translated
from connectors.slack_event_payload import PoisonEvent, is_slack_id, source_events
from connectors.slack_events_server import EventResult, Receiver, ServerLimits
from connectors.store import Store
from scoring.classify import ClassificationRules, to_activity

__all__ = ["EventResult", "ServerLimits", "SlackEventsReceiver", "channel_names_from", "slack_signature"]

log = logging.getLogger("connectors.slack_events")
SOURCE = "slack"
#: Slack's replay window for ``X-Slack-Request-Timestamp``.
MAX_CLOCK_SKEW_S = 300


def channel_names_from(client: WebClient) -> Callable[[str], str | None]:
    """Channel id → name through ``conversations.info``, cached.

    None when Slack says the channel does not exist or is not ours (the event is then
    quarantined); any other failure (network, rate limit, auth) raises `ConnectorError`, so
    the delivery is answered 500 and Slack retries it instead of it being thrown away.
    """
    names: dict[str, str] = {}

    def lookup(channel_id: str) -> str | None:
        if channel_id not in names:
            try:
                name = _translated(client.conversations_info, channel=channel_id)["channel"]["name"]
            except NotFoundError as err:
                log.warning("no name for channel %s: %s", channel_id, err)
                return None  # not cached: the next event asks again
            except (KeyError, TypeError) as err:
                raise ConnectorError("slack", f"conversations.info without a channel name: {err!r}") from err
            names[channel_id] = str(name)
        return names[channel_id]

    return lookup


def slack_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """Slack's ``v0`` request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``.

    Computed over the raw bytes (slack-sdk's verifier decodes the body first, which fails
    on bytes that are not UTF-8 before the signature is even known).
    """
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


class SlackEventsReceiver(Receiver):
    """Verifies, deduplicates, classifies and stores Slack Events API deliveries."""

    source, path, port = SOURCE, "/slack/events", 3000

    def __init__(
        self,
        store: Store,
        signing_secret: str,
        *,
        channel_names: Mapping[str, str] | Callable[[str], str | None] | None = None,
        rules: ClassificationRules | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store)
        self._secret = signing_secret.encode()
        self.rules = rules or ClassificationRules()
        self._clock = clock
        self._channel_names = channel_names or {}

    def channel_name(self, channel_id: str) -> str | None:
        """The channel's name for classification (ids alone say nothing about #help)."""
        if callable(self._channel_names):
            return self._channel_names(channel_id)
        return self._channel_names.get(channel_id)

    # -- the request handler, independent of the HTTP server -----------------------------
    def handle(self, headers: Mapping[str, str], body: bytes) -> EventResult:
        """Answer one delivery: 401 for a bad signature, 400 for a body that is not an event."""
        headers = {name.lower(): value for name, value in headers.items()}
        refusal = self._signature_refusal(headers, body)
        if refusal is not None:
            return EventResult(401, {"error": refusal})
        payload = self._json_object(body)
        if isinstance(payload, EventResult):
            return payload
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                return EventResult(400, {"error": "url_verification without a challenge"})
            return EventResult(200, {"challenge": challenge})
        if kind != "event_callback":
            return EventResult(200, {"ignored": str(kind)[:40]})
        retry = headers.get("x-slack-retry-num")
        if retry is not None:
            log.info("Slack retry %s of %s (%s)", retry, payload.get("event_id"), headers.get("x-slack-retry-reason"))
        return self._callback(payload, body)

    def _signature_refusal(self, headers: Mapping[str, str], body: bytes) -> str | None:
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not timestamp or not signature:
            return "missing X-Slack-Signature or X-Slack-Request-Timestamp"
        if not timestamp.isascii() or not timestamp.isdigit():
            return "X-Slack-Request-Timestamp is not a number"
        if abs(self._clock() - int(timestamp)) > MAX_CLOCK_SKEW_S:
            return "stale X-Slack-Request-Timestamp (more than 5 minutes off)"
        expected = slack_signature(self._secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "invalid signature"
        return None

    def _callback(self, payload: dict[str, Any], body: bytes) -> EventResult:
        event_id = payload.get("event_id")
        if not is_slack_id(event_id):
            ref = "sha256:" + hashlib.sha256(body).hexdigest()[:32]  # the same body on every retry
            return self._quarantine(ref, "event_callback without a usable event_id", body)
        try:
            events = source_events(payload.get("event"), self.channel_name)
            activities = [a for a in (to_activity(e, self.rules) for e in events) if a is not None]
        except PoisonEvent as err:
            return self._quarantine(event_id, str(err), body)
        return self._save(event_id, body, activities)
