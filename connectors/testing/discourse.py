"""Discourse emulator: the admin user list, the latest-posts feed and post likers, plus the
groups and private messages the champion playbook writes (``self.forum``, see
`connectors.testing._discourse_writes`).

Speaks what pydiscourse expects (exact ``application/json; charset=utf-8``, paths with and
without ``.json``) and what the official OpenAPI document describes; where real Discourse
differs from the document (integer ``reply_to_post_number``, ``count`` in
``actions_summary``, discourse-solved's ``accepted_answer``) it answers like the real thing.

Paging as Discourse pages: ``/posts.json`` 50 posts below ``before`` (exclusive), and
``/post_action_users`` 200 likers a page (0-based ``page``, ``limit`` up to 200, oldest like
first, ``total_rows_post_action_users`` only when there are more than a page). Fault mode
``before_mode``: ``"inclusive"`` answers like older Discourse (the ``before`` post comes
back too), ``"ignored"`` like a proxy that drops the parameter (always the newest page).
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

from connectors.testing._discourse_webhooks import WebhookSender
from connectors.testing._discourse_writes import ForumWrites
from connectors.testing.community import Category, Community, Person, Post
from connectors.testing.poison import Poison
from connectors.testing.server import Emulator, Fault, Request, Response, WindowBudget, json_response

__all__ = ["DiscourseEmulator", "iso"]

USERS_PER_PAGE = 100
POSTS_PER_PAGE = 50
LIKERS_PER_PAGE = 200
BEFORE_MODES = ("exclusive", "inclusive", "ignored")
LIKE = 2


def iso(when: datetime) -> str:
    """Rails' ISO 8601 with milliseconds and Z."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


#: The id the emulator gives the likes query of the Data Explorer plugin, and the plugin's row cap.
LIKES_QUERY_ID = 7
QUERY_ROW_LIMIT = 10_000


def _avatar(person: Person | None) -> str:
    letter = (person.username[:1] if person else "x").lower()
    return f"/letter_avatar_proxy/v4/letter/{letter}/e9a140/{{size}}.png"


def cook(raw: str) -> str:
    """A stand-in for Discourse's markdown renderer: escaped paragraphs."""
    return "".join(f"<p>{html.escape(part)}</p>" for part in raw.split("\n\n") if part)


class DiscourseEmulator(Emulator):
    """Serves a `Community` as a Discourse site; needs ``Api-Key`` and ``Api-Username``."""

    service = "discourse"

    def __init__(
        self, community: Community, api_key: str = "test-key", api_username: str = "system"
    ) -> None:
        super().__init__()
        self.community = community
        self.api_key = api_key
        self.api_username = api_username
        #: Bad records to serve: kinds "user" and "post" (by id), "likers" (by post id).
        self.poison = Poison()
        self.before_mode = "exclusive"
        #: Groups (a "champions" group is seeded) and private messages, with their rules.
        self.forum = ForumWrites(community)
        #: The id of the Data Explorer query that lists likes (see `run_query`); other ids are 404.
        self.likes_query_id = LIKES_QUERY_ID
        #: Discourse's site-wide admin API budget when set (`limit_site`).
        self.site_limit: WindowBudget | None = None
        #: Webhook events sent as posts and likes are made through `like` and `reply`.
        self.webhooks = WebhookSender("http://127.0.0.1")
        self.forum.register(self.route)  # before /t/{slug}/{id}: /t/external_id/... is theirs
        self.route("GET", r"/admin/users/list/(?P<flag>[a-z_]+)(?:\.json)?", self.list_users)
        self.route("GET", r"/posts(?:\.json)?", self.latest_posts)
        self.route("GET", r"/post_action_users(?:\.json)?", self.post_action_users)
        self.route("GET", r"/t/(?:[^/]+/)?(?P<id>\d+)(?:\.json)?", self.topic)
        self.route("GET", r"/categories(?:\.json)?", self.categories)
        self.route("POST", r"/admin/plugins/explorer/queries/(?P<id>\d+)/run", self.run_query)

    # -- protocol hooks --------------------------------------------------------------------
    def authenticate(self, request: Request) -> Response | None:
        key, user = request.header("Api-Key"), request.header("Api-Username")
        if key != self.api_key or not user or user != self.api_username:
            return self.error_response(403, "You are not permitted to view the requested resource.")
        return self._over_site_limit()

    def limit_site(self, requests_per_window: int, window_seconds: float = 60.0) -> None:
        """Enforce Discourse's admin API budget for the whole site (60 a minute by default there):
        a request beyond it is answered 429 with the seconds to wait."""
        self.site_limit = WindowBudget(requests_per_window, window_seconds)

    def _over_site_limit(self) -> Response | None:
        wait = self.site_limit.take() if self.site_limit is not None else None
        return None if wait is None else self.fault_response(Fault(path="", status=429, retry_after=wait))

    def error_response(self, status: int, message: str) -> Response:
        kinds = {403: "invalid_access", 404: "not_found", 429: "rate_limit"}
        return json_response(
            {"errors": [message], "error_type": kinds.get(status, "unknown")}, status
        )

    def fault_response(self, fault: Fault) -> Response:
        if fault.status == 429:
            wait = fault.retry_after if fault.retry_after is not None else 0
            body = {
                "errors": [f"You’ve performed this action too many times. Please wait {wait} seconds before trying again."],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
            }
            headers = {"Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return json_response(body, 429, headers)
        return super().fault_response(fault)

    # -- the Data Explorer plugin ----------------------------------------------------------------
    def run_query(self, request: Request) -> Response:
        """``POST /admin/plugins/explorer/queries/{id}/run`` of the likes query (README): likes after
        ``params.after_id`` in id order, at most ``limit`` rows (10,000 at most, as the plugin caps)."""
        if int(request.params["id"]) != self.likes_query_id:
            return self.error_response(404, "The requested URL or resource could not be found.")
        form = request.form()
        try:
            params = json.loads((form.get("params") or ["{}"])[0] or "{}")
            after = int(params.get("after_id", 0))
            limit = min(int((form.get("limit") or [str(QUERY_ROW_LIMIT)])[0]), QUERY_ROW_LIMIT)
        except (ValueError, TypeError, AttributeError) as err:
            return json_response({"success": False, "errors": [f"invalid params: {err}"]}, 422)
        columns = ["id", "post_id", "user_id", "created_at", "topic_id", "post_number", "topic_slug",
                   "topic_title", "category_id", "category_slug"]
        rows = []
        with self.community.lock:
            for number, like in enumerate(self.community.likes[after:], start=after + 1):
                post = self.community.post_by_id(like.post_id)
                topic = self.community.topic_by_id(post.topic_id) if post else None
                if post is None or topic is None:
                    continue
                category = self.community.category_by_id(topic.category_id)
                rows.append([number, post.id, like.user_id, iso(like.created_at or post.created_at), post.topic_id,
                             post.post_number, topic.slug, topic.title, topic.category_id,
                             category.slug if category else None])
                if len(rows) >= limit:
                    break
        return json_response({"success": True, "errors": [], "duration": 1.0, "result_count": len(rows),
                              "params": {"after_id": str(after)}, "columns": columns, "rows": rows})

    # -- activity as it happens, with its webhooks ---------------------------------------------
    def like(self, post_id: int, user_id: int, when: datetime | None = None) -> None:
        """A member likes a post: stored, then the ``post_liked`` webhook (when one is configured)."""
        self.community.add_like(post_id, user_id, when)
        with self.community.lock:
            post = self.community.post_by_id(post_id)
            person = self.community.person_by_id(user_id)
            assert post is not None and person is not None
            payload = {"like": {"post": self._post_json(post), "user": {
                "id": person.id, "username": person.username, "name": person.name,
                "avatar_template": _avatar(person)}}}
        self.webhooks.send("like", "post_liked", payload)

    def reply(self, topic_id: int, user_id: int, raw: str, when: datetime | None = None) -> Post:
        """A member replies: stored, then the ``post_created`` webhook (when one is configured)."""
        post = self.community.add_reply(topic_id, user_id, raw, when)
        with self.community.lock:
            payload = {"post": self._post_json(post)}
        self.webhooks.send("post", "post_created", payload)
        return post

    # -- users -----------------------------------------------------------------------------
    def _last_seen(self) -> dict[int, datetime]:
        seen: dict[int, datetime] = {}
        for post in self.community.posts:
            last = seen.get(post.user_id)
            if last is None or post.created_at > last:
                seen[post.user_id] = post.created_at
        return seen

    def user_json(self, person: Person, last_seen: datetime | None, emails: bool) -> dict:
        now = self.community.now
        data = {
            "id": person.id,
            "username": person.username,
            "name": person.name,
            "avatar_template": _avatar(person),
            "active": True,
            "admin": person.admin,
            "moderator": person.moderator,
            "last_seen_at": iso(last_seen) if last_seen else None,
            "last_emailed_at": None,
            "created_at": iso(person.created_at),
            "last_seen_age": (now - last_seen).total_seconds() if last_seen else None,
            "last_emailed_age": None,
            "created_at_age": (now - person.created_at).total_seconds(),
            "trust_level": person.trust_level,
            "manual_locked_trust_level": None,
            "title": None,
            "time_read": 0,
            "staged": False,
            "days_visited": 1,
            "posts_read_count": 0,
            "topics_entered": 0,
            "post_count": 0,
        }
        if emails:
            data["email"] = person.email
            data["secondary_emails"] = []
        return data

    def list_users(self, request: Request) -> Response:
        flag = request.params["flag"]
        page = max(1, int(request.arg("page", "1") or 1))
        with self.community.lock:
            people = list(self.community.people)
            seen = self._last_seen()
        if flag == "staff":
            people = [p for p in people if p.admin or p.moderator]
        elif flag == "new":
            people = [p for p in people if p.trust_level == 0]
        elif flag != "active":
            people = []
        wanted = request.arg("email")
        if wanted:
            people = [p for p in people if p.email.lower() == wanted.lower()]
        order = request.arg("order")
        if order == "created":
            people.sort(key=lambda p: (p.created_at, p.id), reverse=request.arg("asc") != "true")
        else:  # Discourse's own order for the list: last seen first (it moves as members visit)
            people.sort(key=lambda p: (seen.get(p.id) or p.created_at, p.id), reverse=request.arg("asc") != "true")
        chunk = people[(page - 1) * USERS_PER_PAGE: page * USERS_PER_PAGE]
        emails = request.arg("show_emails") == "true"
        return json_response([self.poison.apply("user", p.id, self.user_json(p, seen.get(p.id), emails))
                              for p in chunk])

    # -- posts -----------------------------------------------------------------------------
    def post_json(self, post: Post) -> Any:
        """A post as the API shows it, or the poison registered for it."""
        return self.poison.apply("post", post.id, self._post_json(post))

    def _post_json(self, post: Post) -> dict:
        c = self.community
        topic = c.topic_by_id(post.topic_id)
        person = c.person_by_id(post.user_id)
        thread = c.posts_of_topic(post.topic_id)
        likes = len(c.likes_of_post(post.id))
        summary = [{"id": LIKE, "count": likes, "can_act": True}] if likes else [
            {"id": LIKE, "can_act": True}
        ]
        text = post.raw.replace("\n", " ")
        excerpt = html.escape(text[:300]) + ("&hellip;" if len(text) > 300 else "")
        slug = topic.slug if topic else "topic"
        return {
            "id": post.id,
            "name": person.name if person else None,
            "username": person.username if person else "deleted",
            "avatar_template": _avatar(person),
            "created_at": iso(post.created_at),
            "cooked": cook(post.raw),
            "post_number": post.post_number,
            "post_type": 1,
            "posts_count": len(thread),
            "updated_at": iso(post.created_at),
            "reply_count": sum(1 for p in thread if p.reply_to_post_number == post.post_number),
            "reply_to_post_number": post.reply_to_post_number,
            "quote_count": 0,
            "incoming_link_count": 0,
            "reads": 1 + likes,
            "readers_count": likes,
            "score": float(likes * 15 + 1),
            "yours": False,
            "topic_id": post.topic_id,
            "topic_slug": slug,
            "topic_title": topic.title if topic else "",
            "topic_html_title": html.escape(topic.title) if topic else "",
            "category_id": topic.category_id if topic else 1,
            "display_username": person.name if person else None,
            "primary_group_name": None,
            "flair_name": None,
            "flair_url": None,
            "flair_bg_color": None,
            "flair_color": None,
            "flair_group_id": None,
            "badges_granted": [],
            "version": 1,
            "can_edit": True,
            "can_delete": True,
            "can_recover": False,
            "can_see_hidden_post": True,
            "can_wiki": True,
            "user_title": None,
            "bookmarked": False,
            "raw": post.raw,
            "actions_summary": summary,
            "moderator": bool(person and person.moderator),
            "admin": bool(person and person.admin),
            "staff": bool(person and (person.admin or person.moderator)),
            "user_id": post.user_id,
            "hidden": False,
            "trust_level": person.trust_level if person else 0,
            "deleted_at": None,
            "user_deleted": False,
            "edit_reason": None,
            "can_view_edit_history": True,
            "wiki": False,
            "excerpt": excerpt,
            "truncated": len(text) > 300,
            "reviewable_id": None,
            "reviewable_score_count": 0,
            "reviewable_score_pending_count": 0,
            "post_url": f"/t/{slug}/{post.topic_id}/{post.post_number}",
            "accepted_answer": post.accepted_answer,
        }

    def latest_posts(self, request: Request) -> Response:
        before = request.arg("before")
        with self.community.lock:
            posts = sorted(self.community.posts, key=lambda p: p.id, reverse=True)
            if self.before_mode not in BEFORE_MODES:
                raise ValueError(f"before_mode must be one of {BEFORE_MODES}")
            if before and self.before_mode == "exclusive":
                posts = [p for p in posts if p.id < int(before)]
            elif before and self.before_mode == "inclusive":
                posts = [p for p in posts if p.id <= int(before)]
            page = [self.post_json(p) for p in posts[:POSTS_PER_PAGE]]
        return json_response({"latest_posts": page})

    def post_action_users(self, request: Request) -> Response:
        post_id = int(request.arg("id", "0") or 0)
        action = int(request.arg("post_action_type_id", str(LIKE)) or LIKE)
        page = int(request.arg("page", "0") or 0)
        limit = int(request.arg("limit", str(LIKERS_PER_PAGE)) or LIKERS_PER_PAGE)
        if not 0 < limit <= LIKERS_PER_PAGE or page < 0:
            return json_response({"errors": [f"Invalid limit or page: limit must be 1..{LIKERS_PER_PAGE}"],
                                  "error_type": "invalid_parameters"}, 400)
        with self.community.lock:
            if self.community.post_by_id(post_id) is None:
                return self.error_response(404, "The requested URL or resource could not be found.")
            likes = self.community.likes_of_post(post_id) if action == LIKE else []
            likes.sort(key=lambda like: like.created_at or self.community.now)
            total = len(likes)
            likes = likes[page * limit:(page + 1) * limit]  # oldest like first, like Discourse
            people = [self.community.person_by_id(like.user_id) for like in likes]
        users = [
            {"id": p.id, "username": p.username, "name": p.name, "avatar_template": _avatar(p),
             "post_url": None, "username_lower": p.username.lower()}
            for p in people if p is not None
        ]
        users += self.poison.extra("likers", post_id)
        body: dict = {"post_action_users": users}
        if total > limit:
            body["total_rows_post_action_users"] = total
        return json_response(body)

    def categories(self, request: Request) -> Response:
        """``/categories.json``: every category with the fields the spec requires."""
        with self.community.lock:
            counts = {c.id: sum(1 for t in self.community.topics if t.category_id == c.id)
                      for c in self.community.categories}
            listed = [self.category_json(c, position, counts[c.id])
                      for position, c in enumerate(self.community.categories)]
        return json_response({"category_list": {"can_create_category": True, "can_create_topic": True,
                                                "categories": listed}})

    @staticmethod
    def category_json(category: Category, position: int, topics: int) -> dict:
        return {
            "id": category.id, "name": category.name, "color": "0088CC", "text_color": "FFFFFF",
            "style_type": "square", "emoji": None, "icon": None, "slug": category.slug,
            "topic_count": topics, "post_count": topics, "position": position,
            "description": None, "description_text": None, "description_excerpt": None,
            "topic_url": None, "read_restricted": False, "permission": 1, "notification_level": 1,
            "can_edit": True, "topic_template": None, "topic_title_placeholder": None,
            "has_children": False, "subcategory_count": None, "sort_order": None,
            "sort_ascending": None, "show_subcategory_list": False, "num_featured_topics": 3,
            "default_view": None, "subcategory_list_style": "rows_with_featured_topics",
            "default_top_period": "all", "default_list_filter": "all", "minimum_required_tags": 0,
            "navigate_to_first_post_after_read": False, "topics_day": 0, "topics_week": 0,
            "topics_month": 0, "topics_year": topics, "topics_all_time": topics,
            "subcategory_ids": [], "uploaded_logo": None, "uploaded_logo_dark": None,
            "uploaded_background": None, "uploaded_background_dark": None,
        }

    def topic(self, request: Request) -> Response:
        """A minimal topic view: first 20 posts in ``post_stream.posts``, all ids in ``stream``."""
        with self.community.lock:
            topic = self.community.topic_by_id(int(request.params["id"]))
            if topic is None:
                message = self.forum.topic_json(int(request.params["id"]))
                if message is not None:
                    return json_response(message)
                return self.error_response(404, "The requested URL or resource could not be found.")
            thread = self.community.posts_of_topic(topic.id)
            posts = [self.post_json(p) for p in thread[:20]]
        return json_response({
            "id": topic.id, "title": topic.title, "fancy_title": html.escape(topic.title),
            "slug": topic.slug, "posts_count": len(thread), "created_at": iso(topic.created_at),
            "category_id": topic.category_id, "user_id": topic.user_id, "archetype": "regular",
            "post_stream": {"posts": posts, "stream": [p.id for p in thread]},
        })
