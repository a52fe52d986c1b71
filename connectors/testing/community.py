"""The synthetic community the emulators serve: one source of truth for all three services.

Discourse users, HubSpot companies/contacts/owners and Slack users are views of the same
people, so identity resolution and account scoring can be tested end to end. The data is
deterministic for a seed and shaped like a real community: a skewed minority of companies is
very active recently, many people use free-mail addresses, staff and a bot post too, and the
texts include the awkward cases (unicode, Slack control sequences, a 100 KB post).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Category",
    "Community",
    "Company",
    "Like",
    "Owner",
    "Person",
    "Post",
    "Topic",
    "STAFF_DOMAIN",
    "generate_community",
]

#: Email domain of the community owner's own employees (staff accounts).
STAFF_DOMAIN = "ourcompany.example"


@dataclass
class Owner:
    """A CRM owner (SDR/CSM) who is also a Slack user and receives alerts."""

    id: str
    email: str
    first_name: str
    last_name: str
    slack_user_id: str
    user_id: int = 0


@dataclass
class Company:
    """A HubSpot company; ``id`` is a numeric string like HubSpot's."""

    id: str
    name: str
    domain: str
    owner_id: str
    plan: str
    annual_revenue: float
    created_at: datetime | None = None


@dataclass
class Person:
    """A community member: Discourse user, maybe a HubSpot contact, always a Slack user."""

    id: int
    username: str
    name: str
    email: str
    company_id: str | None
    contact_id: str | None
    slack_user_id: str
    is_staff: bool
    created_at: datetime
    is_bot: bool = False
    admin: bool = False
    moderator: bool = False
    trust_level: int = 1


@dataclass
class Category:
    id: int
    name: str
    slug: str


@dataclass
class Topic:
    id: int
    title: str
    category_id: int
    user_id: int
    created_at: datetime

    @property
    def slug(self) -> str:
        return slugify(self.title) or "topic"


@dataclass
class Post:
    id: int
    topic_id: int
    post_number: int
    user_id: int
    raw: str
    created_at: datetime
    reply_to_post_number: int | None = None
    accepted_answer: bool = False


@dataclass
class Like:
    post_id: int
    user_id: int
    created_at: datetime | None = None


def slugify(text: str) -> str:
    """Discourse-like ASCII slug (non-ASCII titles fall back to 'topic' at the call site)."""
    out, dash = [], False
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:80]


@dataclass
class Community:
    """All generated records plus indexes; the mutators keep them consistent under a lock."""

    now: datetime
    owners: list[Owner] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    likes: list[Like] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    # -- indexes ---------------------------------------------------------------------------
    def reindex(self) -> None:
        """Rebuild the lookup tables (after bulk generation)."""
        with self.lock:
            self._people = {p.id: p for p in self.people}
            self._companies = {c.id: c for c in self.companies}
            self._owners = {o.id: o for o in self.owners}
            self._topics = {t.id: t for t in self.topics}
            self._posts = {p.id: p for p in self.posts}
            self._topic_posts: dict[int, list[Post]] = {}
            for post in sorted(self.posts, key=lambda p: p.id):
                self._topic_posts.setdefault(post.topic_id, []).append(post)
            self._likes: dict[int, list[Like]] = {}
            self._liked: set[tuple[int, int]] = set()
            for like in self.likes:
                self._likes.setdefault(like.post_id, []).append(like)
                self._liked.add((like.post_id, like.user_id))
            self._members: dict[str, list[Person]] = {}
            for person in self.people:
                if person.company_id is not None:
                    self._members.setdefault(person.company_id, []).append(person)

    def person_by_id(self, person_id: int) -> Person | None:
        return self._people.get(person_id)

    def person_by_email(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email.lower() == wanted), None)

    def company_by_id(self, company_id: str) -> Company | None:
        return self._companies.get(company_id)

    def owner_by_id(self, owner_id: str) -> Owner | None:
        return self._owners.get(owner_id)

    def people_of_company(self, company_id: str) -> list[Person]:
        return list(self._members.get(company_id, []))

    def topic_by_id(self, topic_id: int) -> Topic | None:
        return self._topics.get(topic_id)

    def post_by_id(self, post_id: int) -> Post | None:
        return self._posts.get(post_id)

    def category_by_id(self, category_id: int) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def posts_of_topic(self, topic_id: int) -> list[Post]:
        return list(self._topic_posts.get(topic_id, []))

    def likes_of_post(self, post_id: int) -> list[Like]:
        return list(self._likes.get(post_id, []))

    # -- mutators used by tests between sync runs ------------------------------------------
    def add_topic(
        self,
        user_id: int,
        title: str,
        raw: str,
        category_id: int,
        created_at: datetime | None = None,
    ) -> Topic:
        """Start a topic (and its post #1) with the next ids."""
        when = created_at or self.now
        with self.lock:
            self._require_person(user_id)
            topic = Topic(max((t.id for t in self.topics), default=0) + 1, title, category_id,
                          user_id, when)
            self.topics.append(topic)
            self._topics[topic.id] = topic
            self._append_post(Post(self._next_post_id(), topic.id, 1, user_id, raw, when))
            return topic

    def add_reply(
        self,
        topic_id: int,
        user_id: int,
        raw: str,
        created_at: datetime | None = None,
        reply_to_post_number: int | None = None,
    ) -> Post:
        """Append a reply to a topic with the next post id and post number."""
        when = created_at or self.now
        with self.lock:
            self._require_person(user_id)
            if topic_id not in self._topics:
                raise KeyError(f"no topic {topic_id}")
            number = len(self._topic_posts.get(topic_id, [])) + 1
            post = Post(self._next_post_id(), topic_id, number, user_id, raw, when,
                        reply_to_post_number)
            self._append_post(post)
            return post

    def add_like(self, post_id: int, user_id: int, created_at: datetime | None = None) -> Like:
        """Like a post; liking twice is refused like Discourse does."""
        with self.lock:
            self._require_person(user_id)
            if post_id not in self._posts:
                raise KeyError(f"no post {post_id}")
            if (post_id, user_id) in self._liked:
                raise ValueError(f"user {user_id} already liked post {post_id}")
            like = Like(post_id, user_id, created_at or self.now)
            self.likes.append(like)
            self._likes.setdefault(post_id, []).append(like)
            self._liked.add((post_id, user_id))
            return like

    def _require_person(self, user_id: int) -> None:
        if user_id not in self._people:
            raise KeyError(f"no person {user_id}")

    def add_person(self, username: str, email: str, created_at: datetime | None = None) -> Person:
        """A member signs up (the next user id, no company, no CRM contact)."""
        with self.lock:
            person = Person(max(self._people, default=0) + 1, username, username.title(), email, None, None,
                            f"U{username.upper()[:9]}", False, created_at or self.now)
            self.people.append(person)
            self._people[person.id] = person
            return person

    def _next_post_id(self) -> int:
        return max(self._posts, default=0) + 1

    def _append_post(self, post: Post) -> None:
        self.posts.append(post)
        self._posts[post.id] = post
        self._topic_posts.setdefault(post.topic_id, []).append(post)


def generate_community(
    *,
    members: int = 1000,
    companies: int = 200,
    activities: int = 20000,
    seed: int = 7,
    now: datetime,
) -> Community:
    """A deterministic community for ``seed``: at least the requested sizes, activity
    (topics + replies + likes) spread over ~120 days before ``now`` (tz-aware UTC)."""
    from connectors.testing._generator import build_community

    return build_community(
        members=members, companies=companies, activities=activities, seed=seed, now=now
    )
