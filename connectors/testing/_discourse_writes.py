"""Groups and private messages of the Discourse emulator: what the champion playbook writes.

Answers the way Discourse's own controllers do (read in their source), in the shapes of the
official OpenAPI document:

- ``GET /groups/{name}.json``: the group, found by name case-insensitively; 404 otherwise.
- ``GET /groups/{name}/members.json``: ``limit`` (default 50, at most 1000) and ``offset``;
  ``filter`` matches usernames and emails as substrings, a comma-separated filter as
  alternatives (Discourse: ``username_lower ~* '(a|b)'``).
- ``PUT /groups/{id}/members.json`` with ``usernames`` (comma separated, JSON or form):
  unknown usernames are skipped silently, none known is a 400; when *every* known user is
  already a member the answer is 422 "... is already a member of this group." (otherwise
  the members among them are simply kept); automatic groups cannot be edited (403).
- ``POST /posts.json`` with ``archetype=private_message``: ``target_recipients`` (comma
  separated usernames), title 2..255 characters after Discourse's title clean-up, body
  10..32000 characters and not gibberish (``min_personal_message_*`` and ``max_*`` site
  settings at their defaults), ``external_id`` ([\\w-], 50 characters, unique per site
  whatever the case). Refusals are 422 ``{"action": "create_post", "errors": [...]}``. Like
  Discourse, an identical API request from the same user within 120 s gets the first answer
  again instead of a second post (``DistributedMemoizer`` in ``PostsController#create``).
- ``GET /t/external_id/{external_id}.json``: 301 to ``/t/{slug}/{id}.json``.
- ``GET /topics/private-messages-sent/{username}.json``: the user's sent messages, newest
  first, 30 a page (``page`` from 0), with ``more_topics_url`` while there are more.

Private messages never appear in ``/posts.json`` (Discourse lists public posts only); their
ids come from a range of their own so the community's topics and posts can still grow.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.testing.community import Community, Person, slugify
from connectors.testing.server import Request, Response, json_response

__all__ = ["ForumSettings", "ForumWrites", "Group", "PrivateMessage"]

NOT_FOUND = "The requested URL or resource could not be found."
NOT_PERMITTED = "You are not permitted to view the requested resource."
#: First id of emulated private-message topics and posts (Discourse shares one sequence).
PM_ID_BASE = 1_000_000_000
MESSAGES_PER_PAGE = 30
ADD_MEMBERS_LIMIT = 1000
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]+")
Route = Callable[[str, str, Callable[[Request], Response]], None]


@dataclass
class ForumSettings:
    """The site settings these rules read, at Discourse's defaults (tests may change them)."""

    min_personal_message_title_length: int = 2
    max_topic_title_length: int = 255
    min_personal_message_post_length: int = 10
    max_post_length: int = 32000
    body_min_entropy: int = 7
    max_allowed_message_recipients: int = 30
    external_id_max_length: int = 50
    #: How long an identical API post request gets the first answer again.
    api_post_memo_seconds: float = 120.0


@dataclass
class Group:
    """A Discourse group; ``members`` maps user id to when they were added."""

    id: int
    name: str
    full_name: str | None = None
    automatic: bool = False
    members: dict[int, datetime] = field(default_factory=dict)


@dataclass
class PrivateMessage:
    """A private-message topic with its first (and only) post."""

    topic_id: int
    post_id: int
    title: str
    raw: str
    sender_id: int
    recipient_ids: list[int]
    created_at: datetime
    external_id: str | None = None

    @property
    def slug(self) -> str:
        return slugify(self.title) or "topic"


def iso(when: datetime) -> str:
    """Rails' ISO 8601 with milliseconds and Z."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def avatar(person: Person) -> str:
    return f"/letter_avatar_proxy/v4/letter/{person.username[:1].lower()}/e9a140/{{size}}.png"


def clean_title(title: str) -> str:
    """A light version of Discourse's ``TextCleaner.clean_title`` (title_prettify on)."""
    text = " ".join(title.split())
    text = re.sub(r"!{2,}", "!", re.sub(r"\?{2,}", "?", text))
    if any(c.isalpha() for c in text) and text == text.upper():
        text = text.lower()
    return text[:1].upper() + text[1:]


def _stripped(raw: str) -> str:
    """What Discourse counts of a body (``StrippedLengthValidator.get_sanitized_value``)."""
    value = re.sub(r"<!--(.*?)-->", "", raw, flags=re.DOTALL)
    value = re.sub(r":\w+(:\w+)?:", "X", value)
    value = re.sub(r"\.{2,}", "…", value)
    return re.sub(r",{2,}", ",", value).strip()


def _invalid(name: str) -> Response:
    return json_response({"errors": [f"You supplied invalid parameters to the request: {name}"],
                          "error_type": "invalid_parameters"}, 400)


def _error(status: int, message: str, kind: str) -> Response:
    return json_response({"errors": [message], "error_type": kind}, status)


class ForumWrites:
    """State and route handlers for groups and private messages of one emulated forum."""

    def __init__(self, community: Community, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.community = community
        self.settings = ForumSettings()
        self.clock = clock
        self.system = Person(-1, "system", "system", "no_email", None, None, "", True,
                             community.now, is_bot=True, admin=True, trust_level=4)
        self.groups: dict[int, Group] = {}
        self.messages: list[PrivateMessage] = []
        self._memo: dict[str, tuple[float, int, Any]] = {}
        self._lock = threading.RLock()
        self._seed_groups()

    def register(self, route: Route) -> None:
        """Add the routes; call before any ``/t/{slug}/{id}`` route (first match wins)."""
        route("GET", r"/groups/(?P<name>[^/]+?)/members(?:\.json)?", self.list_members)
        route("PUT", r"/groups/(?P<id>[^/]+?)/members(?:\.json)?", self.add_members)
        route("GET", r"/groups/(?P<name>[^/]+?)(?:\.json)?", self.show_group)
        route("POST", r"/posts(?:\.json)?", self.create_post)
        route("GET", r"/t/external_id/(?P<external_id>[^/]+?)(?:\.json)?", self.by_external_id)
        route("GET", r"/topics/private-messages-sent/(?P<username>[^/]+?)(?:\.json)?",
              self.sent_messages)

    # -- state for tests -------------------------------------------------------------------
    def _seed_groups(self) -> None:
        people = self.community.people
        since = self.community.now
        automatic = {
            1: ("admins", [p for p in people if p.admin]),
            2: ("moderators", [p for p in people if p.moderator]),
            3: ("staff", [p for p in people if p.admin or p.moderator]),
            **{10 + level: (f"trust_level_{level}", [p for p in people if p.trust_level >= level])
               for level in range(5)},
        }
        for group_id, (name, members) in automatic.items():
            self.groups[group_id] = Group(group_id, name, None, True, {p.id: since for p in members})
        self.add_group("champions", full_name="Community Champions")

    def add_group(self, name: str, *, full_name: str | None = None, members: Iterable[str] = ()) -> Group:
        """Create a custom group (ids from 41, like a fresh site's) with these usernames in it."""
        with self._lock:
            if self.group_by_name(name) is not None:
                raise ValueError(f"group {name} exists")
            group = Group(max([40, *self.groups]) + 1, name, full_name)
            for username in members:
                person = self.user_by_username(username)
                if person is None:
                    raise KeyError(f"no user {username}")
                group.members[person.id] = self.community.now
            self.groups[group.id] = group
            return group

    def group_by_name(self, name: str) -> Group | None:
        return next((g for g in self.groups.values() if g.name.lower() == name.lower()), None)

    def members_of(self, name: str) -> list[str]:
        """Usernames in group ``name``, sorted."""
        group = self.group_by_name(name)
        if group is None:
            raise KeyError(f"no group {name}")
        with self._lock:
            ids = list(group.members)
        return sorted(p.username for p in map(self.user_by_id, ids) if p is not None)

    def messages_to(self, username: str) -> list[PrivateMessage]:
        """Private messages whose recipients include ``username``."""
        person = self.user_by_username(username)
        with self._lock:
            return [m for m in self.messages if person is not None and person.id in m.recipient_ids]

    def user_by_username(self, username: str) -> Person | None:
        wanted = username.lower()
        if wanted == self.system.username:
            return self.system
        with self.community.lock:
            return next((p for p in self.community.people if p.username.lower() == wanted), None)

    def user_by_id(self, user_id: int) -> Person | None:
        return self.system if user_id == self.system.id else self.community.person_by_id(user_id)

    # -- groups ----------------------------------------------------------------------------
    def show_group(self, request: Request) -> Response:
        group = self.group_by_name(request.params["name"])
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        return json_response({"group": self.group_json(group),
                              "extras": {"visible_group_names": [g.name for g in self.groups.values()]}})

    def group_json(self, group: Group) -> dict[str, Any]:
        """A group as ``GET /groups/{name}.json`` shows it to an admin."""
        return {
            "id": group.id, "automatic": group.automatic, "name": group.name,
            "user_count": len(group.members), "mentionable_level": 0, "messageable_level": 0,
            "visibility_level": 0, "primary_group": False, "title": None, "grant_trust_level": None,
            "incoming_email": None, "has_messages": False, "flair_url": None, "flair_bg_color": None,
            "flair_color": None, "bio_raw": None, "bio_cooked": None, "bio_excerpt": None,
            "public_admission": False, "public_exit": False, "allow_membership_requests": False,
            "full_name": group.full_name, "default_notification_level": 3,
            "membership_request_template": None, "is_group_user": False,
            "members_visibility_level": 0, "can_see_members": True, "can_admin_group": True,
            "can_edit_group": not group.automatic, "publish_read_state": False,
            "is_group_owner_display": False, "mentionable": False, "messageable": True,
            "automatic_membership_email_domains": None, "smtp_updated_at": None,
            "smtp_updated_by": None, "smtp_enabled": False, "smtp_server": None, "smtp_port": None,
            "smtp_ssl_mode": 0, "email_username": None, "email_from_alias": None,
            "email_password": None, "message_count": 0, "allow_unknown_sender_topic_replies": False,
            "associated_group_ids": [], "watching_category_ids": [], "tracking_category_ids": [],
            "watching_first_post_category_ids": [], "regular_category_ids": [],
            "muted_category_ids": [], "watching_tags": [], "watching_first_post_tags": [],
            "tracking_tags": [], "regular_tags": [], "muted_tags": [],
        }

    def list_members(self, request: Request) -> Response:
        group = self.group_by_name(request.params["name"])
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        try:
            limit = int(request.arg("limit", "50") or 50)
            offset = int(request.arg("offset", "0") or 0)
        except ValueError:
            return _invalid("limit")
        if not 0 <= limit <= 1000 or offset < 0:
            return _invalid("limit" if not 0 <= limit <= 1000 else "offset")
        with self._lock:
            added = dict(group.members)
        people = [p for p in map(self.user_by_id, added) if p is not None]
        wanted = request.arg("filter")
        if wanted:
            terms = [t.lower() for t in wanted.split(",")] if "," in wanted else [wanted.lower()]
            people = [p for p in people
                      if any(t in p.username.lower() or t in p.email.lower() for t in terms)]
        people.sort(key=lambda p: p.username.lower())
        return json_response({
            "members": [self._member_json(p, added[p.id]) for p in people[offset:offset + limit]],
            "owners": [],
            "meta": {"total": len(people), "limit": limit, "offset": offset},
        })

    @staticmethod
    def _member_json(person: Person, added_at: datetime) -> dict[str, Any]:
        return {"id": person.id, "username": person.username, "name": person.name,
                "avatar_template": avatar(person), "title": None,
                "last_posted_at": iso(added_at), "last_seen_at": iso(added_at),
                "added_at": iso(added_at), "timezone": "UTC"}

    def add_members(self, request: Request) -> Response:
        """``GroupsController#add_members`` for usernames (emails and user ids not emulated)."""
        raw_id = request.params["id"]
        group = self.groups.get(int(raw_id)) if raw_id.isdigit() else None
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        if group.automatic:
            return _error(403, NOT_PERMITTED, "invalid_access")
        usernames = _args(request).get("usernames")
        if not isinstance(usernames, str) or not usernames:
            return _invalid("user_ids or usernames or user_emails must be present")
        users: dict[int, Person] = {}
        for name in usernames.split(","):  # Discourse does not strip spaces
            person = self.user_by_username(name)
            if person is not None:
                users.setdefault(person.id, person)
        if not users:
            return _invalid("usernames")
        if len(users) > ADD_MEMBERS_LIMIT:
            too_many = f"You cannot add more than {ADD_MEMBERS_LIMIT} users to a group at a time."
            return json_response({"errors": [too_many]}, 422)
        with self._lock:
            already = sorted(p.username for p in users.values() if p.id in group.members)
            if already and len(already) == len(users):
                message = (f"'{already[0]}' is already a member of this group." if len(already) == 1
                           else "The following users are already members of this group: "
                                + ", ".join(already))
                return json_response({"errors": [message]}, 422)
            for person in users.values():
                group.members.setdefault(person.id, self.community.now)
        return json_response({"success": "OK", "usernames": [p.username for p in users.values()],
                              "emails": []})

    # -- private messages ------------------------------------------------------------------
    def create_post(self, request: Request) -> Response:
        """``PostsController#create`` for a new private message, memoized like the real one."""
        args = _args(request)
        sender = self.user_by_username(request.header("Api-Username") or "")
        if sender is None:
            return _error(403, NOT_PERMITTED, "invalid_access")
        signature = hashlib.sha1(json.dumps([sorted(args.items()), sender.id], default=str)
                                 .encode("utf-8")).hexdigest()
        with self._lock:
            now = self.clock()
            self._memo = {k: v for k, v in self._memo.items() if v[0] > now}
            if signature in self._memo:
                _, status, payload = self._memo[signature]
                return json_response(payload, status)
            status, payload = self._create_private_message(args, sender)
            if self.settings.api_post_memo_seconds > 0:
                self._memo[signature] = (now + self.settings.api_post_memo_seconds, status, payload)
        return json_response(payload, status)

    def _create_private_message(self, args: dict[str, Any], sender: Person) -> tuple[int, Any]:
        if args.get("archetype") != "private_message" or args.get("topic_id"):
            only = "The emulator creates private messages only (archetype=private_message, no topic_id)."
            return 400, {"errors": [only]}
        title = clean_title(str(args.get("title") or ""))
        raw = str(args.get("raw") or "")
        recipients = str(args.get("target_recipients") or args.get("target_usernames") or "")
        external_id = str(args.get("external_id") or "") or None
        errors = self._title_errors(title) + self._body_errors(raw)
        people: list[Person] = []
        names = [n.lower() for n in recipients.split(",")] if recipients else []
        if not names:
            errors.append("You must select a valid user.")
        elif len(names) > self.settings.max_allowed_message_recipients:
            errors.append(f"Sorry, you can only send a message to "
                          f"{self.settings.max_allowed_message_recipients} users.")
        else:
            found = [self.user_by_username(n) for n in names]
            if any(p is None for p in found):
                errors.append("One of the users you are sending this message to could not be found.")
            people = [p for p in found if p is not None]
        errors += self._external_id_errors(external_id)
        if errors:
            return 422, {"action": "create_post", "errors": errors}
        message = PrivateMessage(
            topic_id=self._next_id(lambda m: m.topic_id), post_id=self._next_id(lambda m: m.post_id),
            title=title, raw=raw, sender_id=sender.id,
            recipient_ids=list(dict.fromkeys(p.id for p in people)), created_at=self.community.now,
            external_id=external_id,
        )
        self.messages.append(message)
        return 200, self.post_json(message)

    def _title_errors(self, title: str) -> list[str]:
        s = self.settings
        if not title:
            return ["Title can't be blank"]
        if len(title) > s.max_topic_title_length:
            return [f"Title is too long (maximum is {s.max_topic_title_length} characters)"]
        if len(title) < s.min_personal_message_title_length:
            return [f"Title is too short (minimum is {s.min_personal_message_title_length} characters)"]
        return []

    def _body_errors(self, raw: str) -> list[str]:
        s = self.settings
        if not raw.strip():
            return ["Body can't be blank"]
        if len(raw) > s.max_post_length:
            return [f"Body is limited to {s.max_post_length} characters; you entered {len(raw)}."]
        if len(_stripped(raw)) < s.min_personal_message_post_length:
            return [f"Body is too short (minimum is {s.min_personal_message_post_length} characters)"]
        entropy = len(set(raw.strip()))  # TextSentinel: a private message needs half the entropy
        quiet = any(c.islower() for c in raw) or not any(c.isalpha() for c in raw)
        if entropy < -(-s.body_min_entropy // 2) or not quiet:
            return ["Body seems unclear, is it a complete sentence?"]
        return []

    def _external_id_errors(self, external_id: str | None) -> list[str]:
        if external_id is None:
            return []
        if len(external_id) > self.settings.external_id_max_length:
            return [f"External is too long (maximum is {self.settings.external_id_max_length} characters)"]
        if not _EXTERNAL_ID.fullmatch(external_id):
            return ["External is invalid"]
        if self.message_by_external_id(external_id) is not None:
            return ["External has already been taken"]
        return []

    def _next_id(self, of: Callable[[PrivateMessage], int]) -> int:
        return max((of(m) for m in self.messages), default=PM_ID_BASE - 1) + 1

    def message_by_external_id(self, external_id: str) -> PrivateMessage | None:
        with self._lock:
            return next((m for m in self.messages
                         if m.external_id and m.external_id.lower() == external_id.lower()), None)

    def message_by_topic_id(self, topic_id: int) -> PrivateMessage | None:
        with self._lock:
            return next((m for m in self.messages if m.topic_id == topic_id), None)

    def post_json(self, message: PrivateMessage) -> dict[str, Any]:
        """The first post of a message as ``POST /posts.json`` answers it."""
        sender = self.user_by_id(message.sender_id) or self.system
        staff = sender.admin or sender.moderator
        return {
            "id": message.post_id, "name": sender.name, "username": sender.username,
            "avatar_template": avatar(sender), "created_at": iso(message.created_at),
            "raw": message.raw, "cooked": "".join(f"<p>{html.escape(p)}</p>"
                                                  for p in message.raw.split("\n\n") if p),
            "post_number": 1, "post_type": 1, "posts_count": 1,
            "updated_at": iso(message.created_at), "reply_count": 0, "reply_to_post_number": None,
            "quote_count": 0, "incoming_link_count": 0, "reads": 1, "readers_count": 0,
            "score": 0.0, "yours": True, "topic_id": message.topic_id,
            "topic_slug": message.slug, "display_username": sender.name,
            "primary_group_name": None, "flair_name": None, "flair_url": None,
            "flair_bg_color": None, "flair_color": None, "flair_group_id": None,
            "badges_granted": [], "version": 1, "can_edit": True, "can_delete": False,
            "can_recover": False, "can_see_hidden_post": True, "can_wiki": True,
            "user_title": None, "bookmarked": False, "actions_summary": [],
            "moderator": sender.moderator, "admin": sender.admin, "staff": staff,
            "user_id": sender.id, "draft_sequence": 0, "hidden": False,
            "trust_level": sender.trust_level, "deleted_at": None, "user_deleted": False,
            "edit_reason": None, "can_view_edit_history": True, "wiki": False,
            "reviewable_id": None, "reviewable_score_count": 0,
            "reviewable_score_pending_count": 0,
            "post_url": f"/t/{message.slug}/{message.topic_id}/1", "mentioned_users": [],
        }

    def topic_json(self, topic_id: int) -> dict[str, Any] | None:
        """A private message as ``GET /t/{slug}/{id}.json`` shows it, or None."""
        message = self.message_by_topic_id(topic_id)
        if message is None:
            return None
        people = [p for p in map(self.user_by_id, [message.sender_id, *message.recipient_ids]) if p]
        return {
            "id": message.topic_id, "title": message.title, "fancy_title": html.escape(message.title),
            "slug": message.slug, "posts_count": 1, "created_at": iso(message.created_at),
            "category_id": None, "user_id": message.sender_id, "archetype": "private_message",
            "post_stream": {"posts": [self.post_json(message)], "stream": [message.post_id]},
            "details": {"allowed_users": [{"id": p.id, "username": p.username, "name": p.name,
                                           "avatar_template": avatar(p)} for p in people],
                        "allowed_groups": []},
        }

    def by_external_id(self, request: Request) -> Response:
        """``TopicsController#show_by_external_id``: a 301 to the topic (Rails' HTML body)."""
        message = self.message_by_external_id(request.params["external_id"])
        if message is None:
            return _error(404, NOT_FOUND, "not_found")
        host = request.header("Host") or "127.0.0.1"
        location = f"http://{host}/t/{message.slug}/{message.topic_id}.json"
        body = f'<html><body>You are being <a href="{html.escape(location)}">redirected</a>.</body></html>'
        return Response(301, body.encode("utf-8"),
                        {"Location": location, "Content-Type": "text/html; charset=utf-8"})

    def sent_messages(self, request: Request) -> Response:
        """``ListController#private_messages_sent`` (newest first, 30 a page)."""
        user = self.user_by_username(request.params["username"])
        if user is None:
            return _error(404, NOT_FOUND, "not_found")
        page = int(request.arg("page", "0") or 0)
        with self._lock:
            sent = sorted((m for m in self.messages if m.sender_id == user.id),
                          key=lambda m: (m.created_at, m.topic_id), reverse=True)
        chunk = sent[page * MESSAGES_PER_PAGE:(page + 1) * MESSAGES_PER_PAGE]
        people = {p.id: p for m in chunk
                  for p in map(self.user_by_id, [m.sender_id, *m.recipient_ids]) if p is not None}
        topic_list: dict[str, Any] = {
            "can_create_topic": True, "draft": None, "draft_key": "new_topic", "draft_sequence": 0,
            "per_page": MESSAGES_PER_PAGE, "topics": [self._list_item(m) for m in chunk],
        }
        if len(sent) > (page + 1) * MESSAGES_PER_PAGE:
            topic_list["more_topics_url"] = (f"/topics/private-messages-sent/{user.username}"
                                             f"?page={page + 1}")
        return json_response({
            "users": [{"id": p.id, "username": p.username, "name": p.name,
                       "avatar_template": avatar(p)} for p in people.values()],
            "primary_groups": [], "topic_list": topic_list,
        })

    def _list_item(self, message: PrivateMessage) -> dict[str, Any]:
        sender = self.user_by_id(message.sender_id) or self.system
        when = iso(message.created_at)
        return {
            "id": message.topic_id, "title": message.title, "fancy_title": html.escape(message.title),
            "slug": message.slug, "posts_count": 1, "reply_count": 0, "highest_post_number": 1,
            "image_url": None, "created_at": when, "last_posted_at": when, "bumped": True,
            "bumped_at": when, "archetype": "private_message", "unseen": False,
            "last_read_post_number": 1, "unread_posts": 0, "pinned": False, "unpinned": None,
            "visible": True, "closed": False, "archived": False, "notification_level": 3,
            "bookmarked": False, "liked": False, "views": 1, "like_count": 0, "has_summary": False,
            "last_poster_username": sender.username, "category_id": None, "pinned_globally": False,
            "featured_link": None, "allowed_user_count": 1 + len(message.recipient_ids),
            "posters": [{"extras": "latest single", "description": "Original Poster, Most Recent Poster",
                         "user_id": sender.id, "primary_group_id": None}],
            "participants": [],
        }


def _args(request: Request) -> dict[str, Any]:
    """A write's parameters from a JSON or form body (Discourse accepts both)."""
    content_type = (request.header("Content-Type") or "").lower()
    if "json" in content_type:
        try:
            body = request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return {key: values[0] for key, values in request.form().items() if values}
