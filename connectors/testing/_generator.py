"""Builds a deterministic synthetic community (see `community.generate_community`).

Shape, chosen so the default scoring model sees a realistic tier spread at ``now``: about
10% of companies burst with activity in the last two weeks (intent), about a fifth are
moderately active recently (consideration), the rest trickle along over ~120 days. Events
are generated first, sorted by time, then turned into topics/posts/likes so ids increase
with time and replies and likes only ever point at older posts.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from connectors.testing import _texts as tx
from connectors.testing.community import (
    STAFF_DOMAIN,
    Category,
    Community,
    Company,
    Like,
    Owner,
    Person,
    Post,
    Topic,
    slugify,
)

__all__ = ["build_community"]

HORIZON_DAYS = 120
BURST_DAYS = 12
HOT_SHARE, WARM_SHARE = 0.07, 0.2
HOT_BURST, WARM_BURST = 55, 20
KIND_WEIGHTS = (("topic", 0.18), ("reply", 0.40), ("like", 0.42))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class _Ids:
    """Deterministic unique Slack-style ids (``U`` + 10 upper-case base-36 characters)."""

    def __init__(self) -> None:
        self.n = 0

    def slack(self) -> str:
        self.n += 1
        value, digits = 0x5EED0000 + self.n * 7919, ""
        while value:
            value, rem = divmod(value, 36)
            digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rem] + digits
        return "U" + digits.rjust(10, "0")


def _owners(n: int, ids: _Ids, now: datetime) -> list[Owner]:
    owners = []
    for i in range(n):
        first, last = tx.OWNER_NAMES[i % len(tx.OWNER_NAMES)]
        suffix = "" if i < len(tx.OWNER_NAMES) else str(i)
        email = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(chr(39), '')}{suffix}@{STAFF_DOMAIN}"
        owners.append(Owner(str(41_000_000 + i * 17), email, first, last, ids.slack(), 9_100 + i))
    return owners


def _companies(rng: random.Random, n: int, owners: list[Owner], now: datetime) -> list[Company]:
    names: set[str] = set()
    companies = []
    plans = ("free", "starter", "pro", "enterprise")
    for i in range(n):
        name = f"{rng.choice(tx.COMPANY_WORDS)} {rng.choice(tx.COMPANY_SUFFIXES)}"
        while name in names:
            name = f"{rng.choice(tx.COMPANY_WORDS)} {rng.choice(tx.COMPANY_SUFFIXES)} {len(names)}"
        names.add(name)
        domain = slugify(_ascii(name)).replace("-", "") + (".test" if i % 4 == 3 else ".example")
        companies.append(Company(
            id=str(5_100_000_000 + i * 101),
            name=name,
            domain=domain,
            owner_id=owners[i % len(owners)].id,
            plan=rng.choices(plans, (40, 30, 20, 10))[0],
            annual_revenue=float(round(rng.lognormvariate(15, 1.2), -3)),
            created_at=now - timedelta(days=200 + rng.random() * 700),
        ))
    return companies


def _people(
    rng: random.Random, members: int, companies: list[Company], ids: _Ids, now: datetime
) -> list[Person]:
    """Staff, one bot and members; ~15% free-mail, ~60% of corporate ones are contacts."""
    n_staff = max(3, members // 100)
    start = now - timedelta(days=730)
    raw: list[dict] = []
    corp = 0
    for i in range(members):
        first, last = rng.choice(tx.FIRST_NAMES), rng.choice(tx.LAST_NAMES)
        local = f"{_ascii(first)}.{_ascii(last)}".lower().replace("'", "")
        entry = {"name": f"{first} {last}", "local": local, "company": None, "staff": False,
                 "created": start + timedelta(days=rng.random() * (730 - HORIZON_DAYS - 2))}
        if i < n_staff:
            entry.update(staff=True, domain=STAFF_DOMAIN)
        elif rng.random() < 0.15:
            entry["domain"] = rng.choice(tx.FREEMAIL_DOMAINS)
            entry["local"] = f"{local}{rng.randrange(10, 99)}"
        else:
            company = companies[corp] if corp < len(companies) else rng.choice(companies)
            corp += 1
            entry.update(company=company, domain=company.domain)
        raw.append(entry)
    raw.sort(key=lambda e: e["created"])
    people, usernames, emails = [], set(), set()
    staff_rank = 0
    for pid, entry in enumerate(raw, start=1):
        base = entry["local"].replace(".", "_")[:18] or "user"
        username, k = base, 1
        while username in usernames:
            k += 1
            username = f"{base}{k}"
        usernames.add(username)
        email = f"{entry['local']}@{entry['domain']}"
        if email in emails:
            email = f"{entry['local']}.{pid}@{entry['domain']}"
        emails.add(email)
        company = entry["company"]
        contact_id = None
        if company is not None:
            if rng.random() < 0.6:
                contact_id = str(70_000_000 + pid * 3)
            if rng.random() < 0.04:  # people do type their address in odd case
                email = email[:1].upper() + email[1:].replace(company.domain, company.domain.title())
        people.append(Person(
            id=pid, username=username, name=entry["name"], email=email,
            company_id=company.id if company else None, contact_id=contact_id,
            slack_user_id=ids.slack(), is_staff=entry["staff"], created_at=entry["created"],
            admin=entry["staff"] and staff_rank == 0, moderator=entry["staff"] and staff_rank > 0,
            trust_level=4 if entry["staff"] else rng.choice((0, 1, 1, 2, 2, 3)),
        ))
        staff_rank += entry["staff"]
    bot = Person(-2, "discobot", "discobot", "discobot_email@" + STAFF_DOMAIN, None, None,
                 ids.slack(), False, start - timedelta(days=1), is_bot=True, trust_level=4)
    return [bot, *people]


def _events(
    rng: random.Random, activities: int, people: list[Person], companies: list[Company],
    now: datetime,
) -> list[tuple[datetime, str, int, bool]]:
    """(time, kind, user_id, premium) for every activity, hot/warm bursts first."""
    members: dict[str, list[Person]] = {}
    for p in people:
        if p.company_id:
            members.setdefault(p.company_id, []).append(p)
    active = [c for c in companies if c.id in members]
    order = active[:]
    rng.shuffle(order)
    n_hot, n_warm = round(len(order) * HOT_SHARE), round(len(order) * WARM_SHARE)
    hot, warm = order[:n_hot], order[n_hot:n_hot + n_warm]
    staff = [p for p in people if p.is_staff]
    freemail = [p for p in people if not p.is_staff and not p.is_bot and p.company_id is None]
    weights = {c.id: min(rng.paretovariate(1.6), 5.0) for c in active}
    champions = {cid: [rng.paretovariate(1.2) for _ in ps] for cid, ps in members.items()}
    budget = activities - 1  # one welcome topic by the bot
    burst_total = len(hot) * HOT_BURST + len(warm) * WARM_BURST
    scale = min(1.0, 0.5 * budget / burst_total) if burst_total else 0.0
    events: list[tuple[datetime, str, int, bool]] = []

    def kind() -> str:
        return rng.choices([k for k, _ in KIND_WEIGHTS], [w for _, w in KIND_WEIGHTS])[0]

    def member_of(cid: str) -> int:
        return rng.choices(members[cid], champions[cid])[0].id

    def at(max_days: float, min_days: float = 0.0) -> datetime:
        return now - timedelta(seconds=rng.uniform(min_days * 86400, max_days * 86400))

    for group, size, premium_p in ((hot, HOT_BURST, 0.3), (warm, WARM_BURST, 0.12)):
        for company in group:
            for _ in range(max(1, round(size * scale))):
                events.append((at(BURST_DAYS, 0.02), kind(), member_of(company.id),
                               rng.random() < premium_p))
    remaining = budget - len(events)
    n_staff_ev, n_free_ev = round(remaining * 0.06), round(remaining * 0.12)
    for pool, n in ((staff, n_staff_ev), (freemail or staff, n_free_ev)):
        for _ in range(n):
            events.append((at(HORIZON_DAYS, 0.02), kind(), rng.choice(pool).id, False))
    # Trickle: spread over the horizon, older-heavy for companies outside the bursts.
    bursting = {c.id for c in hot + warm}
    cids, cweights = list(weights), list(weights.values())
    for _ in range(budget - len(events)):
        cid = rng.choices(cids, cweights)[0]
        low = 0.02 if cid in bursting else rng.choice((0.02, 20.0, 45.0))
        events.append((at(HORIZON_DAYS, low), kind(), member_of(cid), rng.random() < 0.04))
    bot = next(p for p in people if p.is_bot)
    events.append((now - timedelta(days=HORIZON_DAYS + 1), "topic", bot.id, False))
    events.sort(key=lambda e: e[0])
    return events


def build_community(
    *, members: int, companies: int, activities: int, seed: int, now: datetime
) -> Community:
    """See `community.generate_community`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(seed)
    ids = _Ids()
    owners = _owners(max(3, min(40, companies // 15 + 1)), ids, now)
    comps = _companies(rng, companies, owners, now)
    people = _people(rng, members, comps, ids, now)
    categories = [Category(i, name, slug) for i, (name, slug) in enumerate(tx.CATEGORIES, 1)]
    community = Community(now=now, owners=owners, companies=comps, people=people,
                          categories=categories)
    _fill_activity(rng, community, _events(rng, activities, people, comps, now))
    community.reindex()
    return community


def _fill_activity(
    rng: random.Random, c: Community, events: list[tuple[datetime, str, int, bool]]
) -> None:
    """Turn time-ordered events into topics, posts and likes (ids increase with time)."""
    topics: list[Topic] = []
    posts: list[Post] = []
    per_topic: dict[int, list[Post]] = {}
    liked: set[tuple[int, int]] = set()
    titles: set[str] = set()
    cat = {cat.slug: cat.id for cat in c.categories}

    def recent(seq_len: int) -> int:
        return seq_len - 1 - min(seq_len - 1, int(rng.expovariate(1 / 40)))

    for when, kind, uid, premium in events:
        if kind == "like" and posts:
            for _ in range(6):
                post = posts[recent(len(posts))]
                if post.user_id != uid and (post.id, uid) not in liked:
                    liked.add((post.id, uid))
                    c.likes.append(Like(post.id, uid, when))
                    break
            else:
                kind = "reply"
        if kind == "like" and not posts:
            kind = "topic"
        if kind == "reply" and topics:
            topic = topics[recent(len(topics))]
            thread = per_topic[topic.id]
            to = rng.randrange(1, len(thread) + 1) if len(thread) > 1 and rng.random() < 0.4 else None
            text = rng.choice(tx.UNICODE_TEXTS) if rng.random() < 0.03 else rng.choice(tx.REPLY_TEXTS)
            post = Post(len(posts) + 1, topic.id, len(thread) + 1, uid, text, when, to)
            posts.append(post)
            thread.append(post)
            continue
        if kind in ("reply", "topic"):
            person = c.person_by_id(uid)
            if person is not None and person.is_bot:
                title, slug = "Welcome to the community! 👋", "general"
            elif premium:
                title, slug = rng.choice(tx.PREMIUM_TITLES), rng.choice(("support", "general"))
            else:
                title = rng.choice(tx.TOPIC_TITLES)
                slug = ("feature-requests" if title.startswith("Feature") else
                        "how-to" if title.startswith("How") else
                        rng.choice(("support", "general", "support")))
            base, n = title, 1
            while title in titles:
                n += 1
                title = f"{base} ({n})"
            titles.add(title)
            topic = Topic(len(topics) + 1, title, cat[slug], uid, when)
            post = Post(len(posts) + 1, topic.id, 1, uid,
                        f"{base}\n\n{rng.choice(tx.REPLY_TEXTS)} Any ideas?", when)
            topics.append(topic)
            posts.append(post)
            per_topic[topic.id] = [post]
    _accept_answers(rng, c, topics, per_topic)
    _plant_tricky_texts(rng, c, posts)
    c.topics, c.posts = topics, posts


def _accept_answers(
    rng: random.Random, c: Community, topics: list[Topic], per_topic: dict[int, list[Post]]
) -> None:
    answerable = {cat.id for cat in c.categories if cat.slug in ("support", "how-to")}
    for topic in topics:
        if topic.category_id in answerable and rng.random() < 0.35:
            reply = next((p for p in per_topic[topic.id][1:] if p.user_id != topic.user_id), None)
            if reply is not None:
                reply.accepted_answer = True


def _plant_tricky_texts(rng: random.Random, c: Community, posts: list[Post]) -> None:
    replies = [p for p in posts if p.post_number > 1]
    if len(replies) < 8:
        return
    picks = rng.sample(replies, 8)
    picks[0].raw = tx.SLACK_TRAP_TEXT
    picks[1].raw = tx.huge_text()
    for post, text in zip(picks[2:], tx.UNICODE_TEXTS, strict=False):
        post.raw = text
    picks[7].raw = "Try `<script>alert('x')</script>` & \"quotes\" — O'Brien's fix works"
