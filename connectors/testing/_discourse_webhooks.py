"""Webhooks of the Discourse emulator: what a site with a webhook sends when a post or a like is made.

Shaped as Discourse sends them: ``POST`` with ``Content-Type: application/json`` and the
headers ``X-Discourse-Instance``, ``X-Discourse-Event-Id`` (one id per event, kept on
re-delivery), ``X-Discourse-Event-Type`` (``post``, ``like``), ``X-Discourse-Event``
(``post_created``, ``post_liked``) and ``X-Discourse-Event-Signature`` (``sha256=`` +
HMAC-SHA256 of the body with the webhook's secret). Bodies: ``{"post": <post>}`` and
``{"like": {"post": <post>, "user": <basic user>}}``. Every delivery is kept, with the
receiver's status, and can be sent again (``redeliver``) as the admin UI does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import requests

__all__ = ["Delivery", "WebhookSender"]


@dataclass
class Delivery:
    """One webhook event, its body and the receiver's answers (one per attempt)."""

    event_id: int
    event_type: str
    event: str
    body: bytes
    statuses: list[int] = field(default_factory=list)


class WebhookSender:
    """Sends the emulator's webhook events to ``url`` (none until `configure` is called)."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.url: str | None = None
        self.secret = b""
        self.deliveries: list[Delivery] = []
        self._ids = count(1)

    def configure(self, url: str, secret: str) -> None:
        """Send every later post and like to ``url``, signed with ``secret``."""
        self.url, self.secret = url, secret.encode()

    def send(self, event_type: str, event: str, payload: dict[str, Any],
             sign: Callable[[bytes, bytes], str] | None = None) -> Delivery | None:
        """Deliver one event (a no-op without a configured webhook)."""
        if self.url is None:
            return None
        delivery = Delivery(next(self._ids), event_type, event, json.dumps(payload).encode())
        self.deliveries.append(delivery)
        self._post(delivery, sign)
        return delivery

    def redeliver(self, delivery: Delivery, sign: Callable[[bytes, bytes], str] | None = None) -> int:
        """Send a delivery again, same id and body (Admin → Webhooks → Redeliver)."""
        return self._post(delivery, sign)

    def _post(self, delivery: Delivery, sign: Callable[[bytes, bytes], str] | None) -> int:
        assert self.url is not None
        signature = (sign or _signature)(self.secret, delivery.body)
        headers = {"Content-Type": "application/json", "X-Discourse-Instance": self.instance,
                   "X-Discourse-Event-Id": str(delivery.event_id), "X-Discourse-Event-Type": delivery.event_type,
                   "X-Discourse-Event": delivery.event, "X-Discourse-Event-Signature": signature}
        status = requests.post(self.url, data=delivery.body, headers=headers, timeout=10).status_code
        delivery.statuses.append(status)
        return status


def _signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
