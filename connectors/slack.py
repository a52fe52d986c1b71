"""Slack as an alert channel, through slack-sdk.

Exactly-once posting: every message carries its action key in message ``metadata``. When an
attempt may already have reached Slack (a retry after a dropped connection, or an action a
crashed run left pending), the channel's history is searched for the key before posting
again. slack-sdk's own retry handlers are off (see ``CommunitySlackCredentials``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.errors import (
    AuthError,
    ConnectorError,
    NotFoundError,
    RetryableError,
    error_for_status,
)
from connectors.retry import RetryPolicy

__all__ = ["METADATA_EVENT_TYPE", "PostedMessage", "SlackNotifier"]

SERVICE = "slack"
METADATA_EVENT_TYPE = "community_scoring_action"
_AUTH_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
     "missing_scope", "no_permission", "not_allowed_token_type"}
)
_NOT_FOUND = frozenset({"channel_not_found", "users_not_found", "user_not_found", "not_in_channel",
                        "thread_not_found", "message_not_found"})


@dataclass(frozen=True)
class PostedMessage:
    """Where a message landed: Slack identifies it by channel id and ``ts``."""

    channel: str
    ts: str


class SlackNotifier:
    """Posts alerts and looks up users by email."""

    def __init__(self, client: WebClient, *, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self._channel_ids: dict[str, str] = {}

    def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return self.policy.call(_translated, fn, **kwargs)

    def user_id_for_email(self, email: str) -> str | None:
        """The Slack user with this email, or None when there is none."""
        try:
            response = self._call(self.client.users_lookupByEmail, email=email)
        except NotFoundError:
            return None
        return response["user"]["id"]

    def channel_id(self, channel: str) -> str:
        """A channel id from an id or a name (with or without '#')."""
        name = channel.lstrip("#")
        if name[:1] in {"C", "G"} and name.upper() == name:
            return name
        if name not in self._channel_ids:
            cursor = None
            while True:
                page = self._call(
                    self.client.conversations_list, cursor=cursor, limit=200,
                    exclude_archived=True, types="public_channel,private_channel",
                )
                for found in page.get("channels", []):
                    self._channel_ids[found["name"]] = found["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if name in self._channel_ids or not cursor:
                    break
        if name not in self._channel_ids:
            raise NotFoundError(SERVICE, f"channel #{name} not found (is the bot invited?)")
        return self._channel_ids[name]

    def find_message(self, channel: str, key: str, oldest: datetime | None = None) -> PostedMessage | None:
        """A message we posted earlier for action ``key``, if Slack has it."""
        channel_id = self.channel_id(channel)
        cursor = None
        while True:
            page = self._call(
                self.client.conversations_history, channel=channel_id, cursor=cursor, limit=200,
                include_all_metadata=True,
                oldest=f"{oldest.timestamp():.6f}" if oldest else None,
            )
            for message in page.get("messages", []):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("action_key") == key:
                    return PostedMessage(channel_id, message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None

    def post_once(
        self,
        channel: str,
        *,
        key: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        maybe_sent_since: datetime | None = None,
    ) -> PostedMessage:
        """Post a message for action ``key`` unless Slack already has one.

        ``maybe_sent_since`` says an earlier attempt may have got through (the action was
        left pending by a previous run): the history is checked first.
        """
        checked_first = maybe_sent_since is not None
        state = {"attempted": checked_first}

        def attempt() -> PostedMessage:
            if state["attempted"]:
                found = self.find_message(channel, key, maybe_sent_since)
                if found is not None:
                    return found
            state["attempted"] = True
            response = _translated(
                self.client.chat_postMessage,
                channel=channel,
                text=text,
                blocks=blocks,
                metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"action_key": key}},
                unfurl_links=False,
                unfurl_media=False,
            )
            return PostedMessage(response["channel"], response["ts"])

        return self.policy.call(attempt)


def _translated(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call slack-sdk and turn its errors into ours."""
    try:
        return fn(**kwargs)
    except SlackApiError as err:
        raise _translate(err) from err
    except (URLError, OSError) as err:
        raise RetryableError(SERVICE, f"connection failed: {err}") from err


def _translate(err: SlackApiError) -> ConnectorError:
    response = err.response
    status = getattr(response, "status_code", None)
    code = response.get("error") if hasattr(response, "get") else None
    headers = getattr(response, "headers", {}) or {}
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    message = f"{code or 'error'} (HTTP {status})"
    details = (response.get("response_metadata") or {}).get("messages") if hasattr(response, "get") else None
    if details:  # e.g. invalid_blocks: which block broke which limit
        message += ": " + "; ".join(str(d) for d in details[:5])
    if status == 429 or code == "ratelimited":
        return error_for_status(SERVICE, 429, message, retry_after)
    if status is not None and status >= 500:
        return error_for_status(SERVICE, status, message, retry_after)
    if code in _AUTH_ERRORS:
        return AuthError(SERVICE, message, status=status)
    if code in _NOT_FOUND:
        return NotFoundError(SERVICE, message, status=status)
    return error_for_status(SERVICE, 400, message)
