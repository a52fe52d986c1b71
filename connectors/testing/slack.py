"""Slack Web API emulator: the handful of methods the alerting connector uses.

slack_sdk POSTs every method to ``/api/{method}`` (form body, or JSON for
``chat.postMessage``) and treats anything but HTTP 200 with ``ok: true`` as an error, so the
emulator answers errors as ``200 {"ok": false, "error": ...}`` exactly like Slack, and keeps
the posted messages (with their metadata) so tests can check for duplicates.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

from connectors.testing.community import Community
from connectors.testing.server import Emulator, Fault, Request, Response, json_response

__all__ = ["SlackEmulator"]

TEAM_ID = "T0EMULATE1"
BOT_USER_ID = "U0BOTUSER01"
BOT_ID = "B0EMULATOR1"
APP_ID = "A0EMULATOR1"
TRUE = ("1", "true", "True")


class SlackEmulator(Emulator):
    """Serves a `Community`'s owners and people as Slack users plus a few channels."""

    service = "slack"

    def __init__(
        self,
        community: Community,
        token: str = "xoxb-test",
        channels: tuple[str, ...] = ("community-alerts",),
    ) -> None:
        super().__init__()
        self.community = community
        self.token = token
        self.channels = {f"C{i:010d}": name for i, name in enumerate(channels, start=1)}
        self._messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self._lock = threading.Lock()
        self._last_ts_us = 0
        self._methods = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "users.lookupByEmail": self.lookup_by_email,
            "conversations.history": self.history,
            "conversations.list": self.conversations_list,
        }
        self.route("POST", r"/api/(?P<method>[A-Za-z.]+)", self.call)
        self.route("GET", r"/api/(?P<method>[A-Za-z.]+)", self.call)

    # -- protocol hooks --------------------------------------------------------------------
    def error_response(self, status: int, message: str) -> Response:
        return json_response({"ok": False, "error": message}, status)

    def fault_response(self, fault: Fault) -> Response:
        error = "ratelimited" if fault.status == 429 else "internal_error"
        response = json_response({"ok": False, "error": error}, fault.status or 500)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    @staticmethod
    def _args(request: Request) -> dict[str, Any]:
        """Query string, then form or JSON body; the body wins like on Slack."""
        args: dict[str, Any] = {k: v[0] for k, v in request.query.items() if v}
        ctype = (request.header("Content-Type") or "").lower()
        if request.body and "json" in ctype:
            args.update(request.json() or {})
        elif request.body:
            args.update({k: v[0] for k, v in request.form().items() if v})
        return args

    def call(self, request: Request) -> Response:
        args = self._args(request)
        auth = request.header("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else args.get("token")
        if not token:
            return json_response({"ok": False, "error": "not_authed"})
        if token != self.token:
            return json_response({"ok": False, "error": "invalid_auth"})
        method = self._methods.get(request.params["method"])
        if method is None:
            return json_response({"ok": False, "error": "unknown_method"}, 404)
        return json_response(method(args))

    # -- methods ---------------------------------------------------------------------------
    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://emulated.slack.com/", "team": "Emulated Workspace",
                "user": "community-bot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                "bot_id": BOT_ID, "is_enterprise_install": False}

    def _channel_id(self, channel: str | None) -> str | None:
        if not channel:
            return None
        if channel in self.channels:
            return channel
        name = channel.lstrip("#")
        return next((cid for cid, n in self.channels.items() if n == name), None)

    def _next_ts(self) -> str:
        now_us = int(time.time() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    @staticmethod
    def _maybe_json(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in "[{":
            return json.loads(value)
        return value

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._channel_id(args.get("channel"))
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        text, blocks = args.get("text"), self._maybe_json(args.get("blocks"))
        if not text and not blocks and not args.get("attachments"):
            return {"ok": False, "error": "no_text"}
        message: dict[str, Any] = {"user": BOT_USER_ID, "type": "message", "text": text or "",
                                   "bot_id": BOT_ID, "team": TEAM_ID}
        if blocks:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        metadata = self._maybe_json(args.get("metadata"))
        with self._lock:
            message["ts"] = self._next_ts()
            stored = dict(message)
            if metadata:
                stored["metadata"] = metadata
            self._messages[cid].append(stored)
        return {"ok": True, "channel": cid, "ts": message["ts"], "message": message}

    def _user(self, uid: str, name: str, real: str, email: str, bot: bool = False) -> dict:
        return {
            "id": uid, "team_id": TEAM_ID, "name": name, "deleted": False, "color": "9f69e7",
            "real_name": real, "tz": "Europe/London", "tz_label": "British Summer Time",
            "tz_offset": 3600, "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": bot,
            "is_app_user": False, "updated": 1_700_000_000,
            "profile": {
                "real_name": real, "real_name_normalized": real, "display_name": name,
                "display_name_normalized": name, "email": email, "avatar_hash": "g0000000000",
                "title": "", "phone": "", "skype": "", "status_text": "", "status_emoji": "",
                "fields": {}, "team": TEAM_ID,
            },
        }

    def lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").strip().lower()
        with self.community.lock:
            for owner in self.community.owners:
                if owner.email.lower() == email:
                    real = f"{owner.first_name} {owner.last_name}"
                    name = owner.email.split("@")[0]
                    return {"ok": True, "user": self._user(owner.slack_user_id, name, real, owner.email)}
            person = self.community.person_by_email(email) if email else None
        if person is None:
            return {"ok": False, "error": "users_not_found"}
        user = self._user(person.slack_user_id, person.username, person.name, person.email,
                          person.is_bot)
        return {"ok": True, "user": user}

    def history(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._channel_id(args.get("channel"))
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        limit = max(1, min(999, int(args.get("limit") or 100)))
        inclusive = str(args.get("inclusive", "")) in TRUE
        oldest, latest = float(args.get("oldest") or 0), args.get("latest")
        latest_f = float(latest) if latest else float("inf")
        cursor = args.get("cursor")
        if cursor:
            latest_f = float(base64.b64decode(cursor).decode().split(":", 1)[1])
            inclusive_latest = False
        else:
            inclusive_latest = inclusive
        with self._lock:
            messages = list(reversed(self._messages[cid]))

        def keep(ts: float) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = ts <= latest_f if inclusive_latest else ts < latest_f
            return above and below

        selected = [m for m in messages if keep(float(m["ts"]))]
        page, has_more = selected[:limit], len(selected) > limit
        with_metadata = str(args.get("include_all_metadata", "")) in TRUE
        out = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        next_cursor = ""
        if has_more:
            next_cursor = base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode()
        return {"ok": True, "messages": out, "has_more": has_more, "pin_count": 0,
                "channel_actions_ts": None, "channel_actions_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channels = [
            {"id": cid, "name": name, "name_normalized": name, "created": 1_600_000_000,
             "creator": BOT_USER_ID, "is_archived": False, "is_channel": True,
             "is_general": False, "is_mpim": False, "is_group": False, "is_org_shared": False,
             "is_im": False, "is_shared": False, "is_private": False, "is_member": True,
             "topic": {"value": "", "creator": "", "last_set": 0},
             "purpose": {"value": "", "creator": "", "last_set": 0}}
            for cid, name in self.channels.items()
        ]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    # -- for tests -------------------------------------------------------------------------
    def messages(self, channel_name: str) -> list[dict[str, Any]]:
        """Every message posted to the channel (oldest first), metadata included."""
        cid = self._channel_id(channel_name)
        if cid is None:
            raise KeyError(channel_name)
        with self._lock:
            return [dict(m) for m in self._messages[cid]]
