"""Slack Web API emulator: the methods the alerting connector and the Slack source use.

slack_sdk POSTs every method to ``/api/{method}`` (form body, or JSON for
``chat.postMessage``) and treats anything but HTTP 200 with ``ok: true`` as an error, so the
emulator answers errors as ``200 {"ok": false, "error": ...}`` exactly like Slack, and keeps
the posted messages (with their metadata) so tests can check for duplicates.

With a `SlackWorkspace` (``workspace=``) it also serves that workspace's channels, history,
threads and users: ``conversations.list`` (types, exclude_archived, cursor/limit),
``conversations.history`` (newest first; oldest/latest/inclusive; top-level messages and
thread parents with ``reply_count``/``latest_reply``; replies only when also sent to the
channel), ``conversations.replies`` (parent first on the first page, then the replies oldest
first), ``users.list`` (cursor/limit, ``profile.email``; ``limit_required`` without a limit
when ``users_limit_required``) and ``users.info``.

Rate limits, when asked for: ``rate_limits=True`` applies Slack's tiers per method (Tier 3,
50 a minute, for history and replies; Tier 2 for the lists; Tier 4 for users.info) over a
sliding minute; ``history_rpm=1, history_limit=15`` emulates the 2025 limits for
commercially distributed non-Marketplace apps (one call a minute, at most 15 messages per
call on conversations.history/replies: a larger ``limit`` is cut to 15). Over the limit the
answer is HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with ``Retry-After`` in whole
seconds. ``clock`` is injectable so tests do not wait.

``chat.postMessage`` checks its blocks against Block Kit's limits (`_block_kit`) and answers
``invalid_blocks`` with the reasons, and text over 40,000 characters with ``msg_too_long``.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from connectors.testing._block_kit import MESSAGE_TEXT_LIMIT, block_errors
from connectors.testing.community import Community
from connectors.testing.poison import Poison
from connectors.testing.server import Emulator, Fault, Request, Response, json_response
from connectors.testing.slack_community import (
    SlackChannel,
    SlackMessage,
    SlackUser,
    SlackWorkspace,
    _ts_key,
    build_users,
)

__all__ = ["TIERS", "RateWindow", "SlackEmulator"]

TEAM_ID = "T0EMULATE1"
BOT_USER_ID = "U0BOTUSER01"
BOT_ID = "B0EMULATOR1"
APP_ID = "A0EMULATOR1"
TRUE = ("1", "true", "True")

#: Requests a minute per method (Slack's rate tiers: T2 20+, T3 50+, T4 100+).
TIERS: dict[str, float] = {
    "conversations.history": 50, "conversations.replies": 50, "conversations.list": 20,
    "users.list": 20, "users.info": 100, "users.lookupByEmail": 100, "auth.test": 100,
    "chat.postMessage": 60,
}
HISTORY_METHODS = ("conversations.history", "conversations.replies")


class RateWindow:
    """At most ``per_minute`` admitted calls in any sliding 60 seconds of ``clock``."""

    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        self.capacity = max(1, math.floor(per_minute))
        self.clock = clock
        self.times: deque[float] = deque()
        self.lock = threading.Lock()

    def admit(self) -> float | None:
        """None when the call may go ahead (and is counted), else seconds to wait."""
        with self.lock:
            now = self.clock()
            while self.times and self.times[0] <= now - 60:
                self.times.popleft()
            if len(self.times) < self.capacity:
                self.times.append(now)
                return None
            return self.times[0] + 60 - now


def _cursor(kind: str, value: str | int) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _uncursor(cursor: str, kind: str) -> str | None:
    try:
        found, _, value = base64.b64decode(cursor).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return value if found == kind and value else None


class SlackEmulator(Emulator):
    """Serves a `Community`'s owners and people as Slack users plus a few channels."""

    service = "slack"

    def __init__(
        self,
        community: Community,
        token: str = "xoxb-test",
        channels: tuple[str, ...] = ("community-alerts",),
        *,
        workspace: SlackWorkspace | None = None,
        rate_limits: bool | Mapping[str, float] = False,
        history_rpm: float | None = None,
        history_limit: int | None = None,
        users_limit_required: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``channels`` are the alert channels (posted messages only); ``workspace`` adds
        the community's channels, messages and users. ``rate_limits`` True applies `TIERS`,
        a mapping gives requests a minute per method; ``history_rpm``/``history_limit`` set
        the limits of conversations.history and conversations.replies (2025 limited apps:
        1 and 15)."""
        super().__init__()
        self.community = community
        self.token = token
        self.workspace = workspace
        self.channels = {f"C{i:010d}": name for i, name in enumerate(channels, start=1)}
        self._messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self._lock = threading.Lock()
        self._last_ts_us = 0
        self.history_limit = history_limit
        self.users_limit_required = users_limit_required
        #: Bad records to serve: kinds "user" (by id) and "message" (by (channel id, ts)).
        self.poison = Poison()
        rpm: dict[str, float] = {}
        if rate_limits is True:
            rpm.update(TIERS)
        elif isinstance(rate_limits, Mapping):
            rpm.update(rate_limits)
        if history_rpm is not None:
            rpm.update(dict.fromkeys(HISTORY_METHODS, history_rpm))
        self.windows = {method: RateWindow(n, clock) for method, n in rpm.items() if n > 0}
        self._methods = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "users.lookupByEmail": self.lookup_by_email,
            "users.list": self.users_list,
            "users.info": self.users_info,
            "conversations.history": self.history,
            "conversations.replies": self.replies,
            "conversations.list": self.conversations_list,
            "conversations.info": self.conversations_info,
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
        name = request.params["method"]
        method = self._methods.get(name)
        if method is None:
            return json_response({"ok": False, "error": "unknown_method"}, 404)
        window = self.windows.get(name)
        wait = window.admit() if window is not None else None
        if wait is not None:
            return json_response({"ok": False, "error": "ratelimited"}, 429,
                                 {"Retry-After": str(max(1, math.ceil(wait)))})
        try:
            return json_response(method(args))
        except _ArgError as err:
            return json_response({"ok": False, "error": str(err)})

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
        found = next((cid for cid, n in self.channels.items() if n == name), None)
        if found is None and self.workspace is not None:
            try:
                found = self.workspace.channel(channel).id
            except KeyError:
                return None
        return found

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
        refused = _refused(text, blocks)
        if refused is not None:
            return refused
        message: dict[str, Any] = {"user": BOT_USER_ID, "type": "message", "text": text or "",
                                   "bot_id": BOT_ID, "team": TEAM_ID}
        if blocks:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        metadata = self._maybe_json(args.get("metadata"))
        if cid not in self._messages:  # a workspace channel: the bot's post joins its history
            posted = self.workspace.add_message(cid, BOT_USER_ID, text or "", bot_id=BOT_ID,
                                                at=_utcnow())
            return {"ok": True, "channel": cid, "ts": posted.ts, "message": message | {"ts": posted.ts}}
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
        limit = self._limit(args, default=100, maximum=999, capped=True)
        inclusive = str(args.get("inclusive", "")) in TRUE
        oldest = _ts_arg(args.get("oldest")) or (0, 0)
        latest = _ts_arg(args.get("latest"))
        inclusive_latest = inclusive
        cursor = args.get("cursor")
        if cursor:
            after = _uncursor(cursor, "next_ts")
            if after is None:
                return {"ok": False, "error": "invalid_cursor"}
            latest, inclusive_latest = _ts_key(after), False
        if cid in self._messages:
            with self._lock:
                messages = list(reversed(self._messages[cid]))
        else:
            messages = [self._render(m) for m in reversed(self.workspace.history(cid))]

        def keep(ts: tuple[int, int]) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = latest is None or (ts <= latest if inclusive_latest else ts < latest)
            return above and below

        selected = [m for m in messages if keep(_ts_key(m["ts"]))]
        page, has_more = selected[:limit], len(selected) > limit
        with_metadata = str(args.get("include_all_metadata", "")) in TRUE
        out = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        out = [self.poison.apply("message", (cid, m["ts"]), m) for m in out]
        next_cursor = _cursor("next_ts", page[-1]["ts"]) if has_more else ""
        return {"ok": True, "messages": out, "has_more": has_more, "pin_count": 0,
                "channel_actions_ts": None, "channel_actions_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: the parent first (on the first page), then replies oldest first."""
        cid = self._channel_id(args.get("channel"))
        if cid is None or cid in self._messages:
            return {"ok": False, "error": "channel_not_found"}
        ts = args.get("ts")
        if not ts:
            raise _ArgError("invalid_arguments")
        parent = self.workspace.message(cid, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        if parent.is_reply:  # Slack answers with the thread the reply belongs to
            parent = self.workspace.message(cid, parent.thread_ts or ts) or parent
        limit = self._limit(args, default=1000, maximum=1000, capped=True)
        inclusive = str(args.get("inclusive", "")) in TRUE
        oldest = _ts_arg(args.get("oldest")) or (0, 0)
        latest = _ts_arg(args.get("latest"))

        def keep(key: tuple[int, int]) -> bool:
            above = key >= oldest if inclusive else key > oldest
            below = latest is None or (key <= latest if inclusive else key < latest)
            return above and below

        thread = [m for m in self.workspace.replies(cid, parent.ts) if keep(_ts_key(m.ts))]
        items: list[SlackMessage] = [parent, *thread]
        cursor = args.get("cursor")
        if cursor:
            after = _uncursor(cursor, "next_ts")
            if after is None:
                return {"ok": False, "error": "invalid_cursor"}
            items = [m for m in thread if _ts_key(m.ts) > _ts_key(after)]
        page, has_more = items[:limit], len(items) > limit
        body: dict[str, Any] = {
            "ok": True,
            "messages": [self.poison.apply("message", (cid, m.ts), self._render(m, in_thread=True))
                         for m in page],
            "has_more": has_more,
        }
        body["response_metadata"] = {
            "next_cursor": _cursor("next_ts", page[-1].ts) if has_more else ""}
        return body

    def _limit(self, args: dict[str, Any], *, default: int, maximum: int, capped: bool) -> int:
        try:
            limit = int(args.get("limit") or default)
        except ValueError:
            raise _ArgError("invalid_limit") from None
        limit = max(1, min(maximum, limit))
        if capped and self.history_limit is not None:
            limit = min(limit, self.history_limit)
        return limit

    def _render(self, m: SlackMessage, in_thread: bool = False) -> dict[str, Any]:
        """A stored message as the Web API shows it (thread fields on parents and replies)."""
        ws = self.workspace
        out: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
        if m.subtype:
            out["subtype"] = m.subtype
        if m.user:
            out["user"] = m.user
        if m.bot_id:
            out["bot_id"] = m.bot_id
        if m.username:
            out["username"] = m.username
        if m.subtype is None or m.subtype == "thread_broadcast":
            out["team"] = TEAM_ID
        if m.is_reply:
            parent = ws.message(m.channel, m.thread_ts or "")
            out["thread_ts"] = m.thread_ts
            if parent is not None and parent.user:
                out["parent_user_id"] = parent.user
        else:
            thread = ws.replies(m.channel, m.ts)
            if thread:
                users = list(dict.fromkeys(r.user for r in thread if r.user))
                out.update(thread_ts=m.ts, reply_count=len(thread), reply_users_count=len(users),
                           latest_reply=thread[-1].ts, reply_users=users[:5], subscribed=False)
            elif in_thread:
                out.update(thread_ts=m.ts, reply_count=0, subscribed=False)
        if m.reactions:
            out["reactions"] = [{"name": name, "users": list(users), "count": len(users)}
                                for name, users in m.reactions.items() if users]
        return out

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """One channel by id, in the shape ``conversations.list`` gives it."""
        wanted = str(args.get("channel") or "")
        listed = self.conversations_list({"types": "public_channel,private_channel", "limit": 1000})
        found = next((c for c in listed["channels"] if c["id"] == wanted), None)
        return {"ok": True, "channel": found} if found else {"ok": False, "error": "channel_not_found"}

    def conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = {t.strip() for t in str(args.get("types") or "public_channel").split(",")}
        exclude_archived = str(args.get("exclude_archived", "")) in TRUE
        limit = self._limit(args, default=100, maximum=1000, capped=False)
        alert = [SlackChannel(cid, name, _utcnow().replace(year=2020)) for cid, name in self.channels.items()]
        listed = alert + (list(self.workspace.channels) if self.workspace else [])
        listed = [c for c in listed
                  if ("private_channel" if c.is_private else "public_channel") in types
                  and not (exclude_archived and c.is_archived)]
        offset = 0
        if args.get("cursor"):
            raw = _uncursor(str(args["cursor"]), "offset")
            if raw is None or not raw.isdigit():
                return {"ok": False, "error": "invalid_cursor"}
            offset = int(raw)
        page = listed[offset:offset + limit]
        more = offset + limit < len(listed)
        channels = [
            {"id": c.id, "name": c.name, "name_normalized": c.name,
             "created": int(c.created.timestamp()), "creator": BOT_USER_ID,
             "is_archived": c.is_archived, "is_channel": not c.is_private,
             "is_general": c.name == "general", "is_mpim": False, "is_group": c.is_private,
             "is_org_shared": False, "is_im": False, "is_shared": False,
             "is_private": c.is_private, "is_member": True,
             "topic": {"value": "", "creator": "", "last_set": 0},
             "purpose": {"value": c.purpose, "creator": "", "last_set": 0}}
            for c in page
        ]
        return {"ok": True, "channels": channels,
                "response_metadata": {"next_cursor": _cursor("offset", offset + limit) if more else ""}}

    def _all_users(self) -> list[SlackUser]:
        if self.workspace is not None:
            return list(self.workspace.users)
        return build_users(self.community)

    def _render_user(self, u: SlackUser) -> dict[str, Any]:
        user = self._user(u.id, u.name, u.real_name, u.email or "", u.is_bot)
        user.update(deleted=u.deleted, is_admin=u.is_admin or u.is_owner, is_owner=u.is_owner)
        if u.email is None:  # bots, Slackbot and deactivated accounts show no address
            del user["profile"]["email"]
        if u.is_bot:
            user["profile"]["bot_id"] = BOT_ID if u.id == BOT_USER_ID else "B0COMMUBOT1"
        return user

    def users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.users_limit_required and not args.get("limit"):
            return {"ok": False, "error": "limit_required"}
        limit = self._limit(args, default=1000, maximum=1000, capped=False)
        offset = 0
        if args.get("cursor"):
            raw = _uncursor(str(args["cursor"]), "offset")
            if raw is None or not raw.isdigit():
                return {"ok": False, "error": "invalid_cursor"}
            offset = int(raw)
        users = self._all_users()
        page = users[offset:offset + limit]
        more = offset + limit < len(users)
        return {"ok": True, "members": [self.poison.apply("user", u.id, self._render_user(u)) for u in page],
                "cache_ts": int(time.time()),
                "response_metadata": {"next_cursor": _cursor("offset", offset + limit) if more else ""}}

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = args.get("user")
        found = next((u for u in self._all_users() if u.id == wanted), None)
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._render_user(found)}

    # -- for tests -------------------------------------------------------------------------
    def messages(self, channel_name: str) -> list[dict[str, Any]]:
        """Every message posted to the channel (oldest first), metadata included."""
        cid = self._channel_id(channel_name)
        if cid is None:
            raise KeyError(channel_name)
        with self._lock:
            return [dict(m) for m in self._messages[cid]]


def _refused(text: Any, blocks: Any) -> dict[str, Any] | None:
    """Slack's answer to text or blocks over its limits (nothing is posted), else None."""
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_LIMIT:
        return {"ok": False, "error": "msg_too_long"}
    if blocks in (None, "", []):
        return None
    errors = block_errors(blocks)
    if not errors:
        return None
    return {"ok": False, "error": "invalid_blocks", "errors": errors,
            "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]}}


class _ArgError(Exception):
    """A request argument Slack would refuse; the message is Slack's error code."""


def _ts_arg(value: Any) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    try:
        return _ts_key(str(value))
    except ValueError:
        raise _ArgError("invalid_ts_oldest") from None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
