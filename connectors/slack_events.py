"""Real-time capture from Slack: an Events API receiver that writes activities to the store.

Slack's history API is rate-limited (1 request a minute for many apps) and retention-limited,
so a deployment runs this small HTTP endpoint next to its Prefect workers; the next
``community_sync`` scores what it stored. For every request it

1. verifies ``X-Slack-Signature`` over the raw body (HMAC-SHA256 with the signing secret)
   and rejects requests older than five minutes (replays);
2. answers the ``url_verification`` handshake with the challenge;
3. stores each ``event_callback`` once: the event id and its activities are written in one
   transaction, so Slack's retries (it re-delivers when we are slow) are acknowledged without
   a second copy, and a failure stores nothing and lets the retry through;
4. turns the event into source events exactly as the history backfill does (same event
   ids), classifies them and stores the activities.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier

from connectors.slack_source import events_from_message, parse_ts, reaction_event
from connectors.store import Store
from scoring.classify import ClassificationRules, to_activity
from scoring.records import SourceEvent

__all__ = ["EventResult", "SlackEventsReceiver", "channel_names_from"]

log = logging.getLogger("connectors.slack_events")
SOURCE = "slack"


@dataclass(frozen=True)
class EventResult:
    """What the receiver answered and stored for one request."""

    status: int
    body: dict[str, Any]
    stored: int = 0


def channel_names_from(client: WebClient) -> Callable[[str], str | None]:
    """Channel id → name through ``conversations.info``, cached; None when Slack won't say."""
    names: dict[str, str | None] = {}

    def lookup(channel_id: str) -> str | None:
        if channel_id not in names:
            try:
                names[channel_id] = client.conversations_info(channel=channel_id)["channel"]["name"]
            except (SlackApiError, KeyError, OSError) as err:
                log.warning("no name for channel %s: %s", channel_id, err)
                return None  # not cached: the next event asks again
        return names[channel_id]

    return lookup


class _FixedClock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class SlackEventsReceiver:
    """Verifies, deduplicates, classifies and stores Slack Events API deliveries."""

    def __init__(
        self,
        store: Store,
        signing_secret: str,
        *,
        channel_names: Mapping[str, str] | Callable[[str], str | None] | None = None,
        rules: ClassificationRules | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.verifier = SignatureVerifier(signing_secret, clock=_FixedClock(clock))
        self.rules = rules or ClassificationRules()
        self._channel_names = channel_names or {}
        self._server: ThreadingHTTPServer | None = None

    def channel_name(self, channel_id: str) -> str | None:
        """The channel's name for classification (ids alone say nothing about #help)."""
        if callable(self._channel_names):
            return self._channel_names(channel_id)
        return self._channel_names.get(channel_id)

    # -- the request handler, independent of the HTTP server -----------------------------
    def handle(self, headers: Mapping[str, str], body: bytes) -> EventResult:
        """Answer one delivery: 401 for a bad signature, 400 for a body that is not an event."""
        try:
            valid = self.verifier.is_valid_request(body, dict(headers))
        except (ValueError, TypeError):  # a timestamp that is not a number
            valid = False
        if not valid:
            return EventResult(401, {"error": "invalid signature"})
        try:
            payload = json.loads(body)
        except ValueError:
            return EventResult(400, {"error": "body is not JSON"})
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "url_verification":
            return EventResult(200, {"challenge": payload.get("challenge", "")})
        if kind != "event_callback":
            return EventResult(200, {"ignored": str(kind)})
        event_id = payload.get("event_id")
        event = payload.get("event")
        if not isinstance(event_id, str) or not isinstance(event, dict):
            self.store.quarantine(SOURCE, str(event_id), "event_callback without event_id or event", payload)
            return EventResult(200, {"quarantined": True})
        try:
            events = self._source_events(event)
        except (KeyError, TypeError, ValueError) as err:
            if self.store.save_inbound_event(SOURCE, event_id) is not None:
                self.store.quarantine(SOURCE, event_id, f"unreadable event: {err!r}", payload)
            return EventResult(200, {"quarantined": True})
        activities = [a for a in (to_activity(e, self.rules) for e in events) if a is not None]
        stored = self.store.save_inbound_event(SOURCE, event_id, activities)
        if stored is None:
            return EventResult(200, {"duplicate": event_id})
        return EventResult(200, {"ok": True}, stored)

    def _source_events(self, event: dict[str, Any]) -> list[SourceEvent]:
        kind = event.get("type")
        if kind == "message":
            channel = event["channel"]
            return events_from_message(event, channel, self.channel_name(channel))
        if kind == "reaction_added":
            item = event.get("item") or {}
            if item.get("type") != "message":
                return []
            channel = item["channel"]
            when = parse_ts(event["event_ts"]) if event.get("event_ts") else None
            return [reaction_event(channel, self.channel_name(channel), item["ts"], event["user"],
                                   event["reaction"], item_user=event.get("item_user"), occurred_at=when)]
        return []

    # -- the HTTP server -------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 3000, path: str = "/slack/events") -> ThreadingHTTPServer:
        """Start serving in a daemon thread; returns the server (``server_address`` has the port)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                log.debug(format, *args)

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                self._reply(200 if self.path == "/healthz" else 404, {"ok": self.path == "/healthz"})

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                if self.path != path:
                    self._reply(404, {"error": "not found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
                try:
                    result = receiver.handle(dict(self.headers.items()), body)
                except Exception as err:  # answer 500 so Slack retries; the claim was not made or is harmless
                    log.exception("event handling failed")
                    result = EventResult(500, {"error": type(err).__name__})
                self._reply(result.status, result.body)

        server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=server.serve_forever, name="slack-events", daemon=True).start()
        self._server = server
        return server

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
