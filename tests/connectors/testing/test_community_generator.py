"""The synthetic community: deterministic, big enough, realistic tier spread, tricky texts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.testing import generate_community
from connectors.testing.community import STAFF_DOMAIN

PREMIUM_WORDS = ("pricing", "enterprise plan", "sso", "upgrade")


def _tiers(community, now) -> dict[str, int]:
    """Tiny reference of the default model: 5/3/1/20 points, half-lives 14/7/7/14 days."""
    def decayed(points: float, half_life: float, when) -> float:
        return points * 0.5 ** ((now - when).total_seconds() / 86400 / half_life)

    member: dict[int, float] = {}
    topics = {t.id: t for t in community.topics}
    for post in community.posts:
        if post.post_number == 1:
            premium = any(w in topics[post.topic_id].title.lower() for w in PREMIUM_WORDS)
            points = decayed(20, 14, post.created_at) if premium else decayed(5, 14, post.created_at)
        else:
            points = decayed(3, 7, post.created_at)
        member[post.user_id] = member.get(post.user_id, 0.0) + points
    for like in community.likes:
        member[like.user_id] = member.get(like.user_id, 0.0) + decayed(1, 7, like.created_at)
    tiers = {"none": 0, "awareness": 0, "consideration": 0, "intent": 0}
    for company in community.companies:
        score = sum(member.get(p.id, 0.0) for p in community.people_of_company(company.id))
        tier = ("intent" if score >= 75 else "consideration" if score >= 40
                else "awareness" if score >= 1 else "none")
        tiers[tier] += 1
    return tiers


@pytest.fixture(scope="module")
def big():
    from tests.connectors.conftest import NOW
    return generate_community(now=NOW)  # the defaults: 1000 / 200 / 20000


def test_sizes_and_shape(big, now):
    assert len(big.people) >= 1000 and len(big.companies) >= 200
    topics = len(big.topics)
    replies = sum(1 for p in big.posts if p.post_number > 1)
    assert topics + replies + len(big.likes) >= 20000
    assert topics > 0 and replies > 0 and big.likes
    oldest = min(p.created_at for p in big.posts)
    assert now - oldest <= timedelta(days=125)
    assert max(p.created_at for p in big.posts) <= now
    ordered = sorted(big.posts, key=lambda p: p.id)
    assert all(a.created_at <= b.created_at for a, b in zip(ordered, ordered[1:]))
    assert all(t.created_at <= big.posts_of_topic(t.id)[-1].created_at for t in big.topics[:200])
    assert {c.name for c in big.categories} >= {"Support", "Feature Requests", "How-to", "General"}
    assert all(c.domain.endswith((".example", ".test")) for c in big.companies)
    assert len({c.id for c in big.companies}) == len(big.companies)
    assert all(c.id.isdigit() for c in big.companies)


def test_people_mix(big):
    regular = [p for p in big.people if not p.is_staff and not p.is_bot]
    corporate = [p for p in regular if p.company_id]
    freemail = [p for p in regular if p.company_id is None]
    assert 0.10 <= len(freemail) / len(regular) <= 0.20
    assert 0.5 <= sum(1 for p in corporate if p.contact_id) / len(corporate) <= 0.7
    for person in corporate[:100]:
        company = big.company_by_id(person.company_id)
        assert person.email.lower().endswith("@" + company.domain)
    staff = [p for p in big.people if p.is_staff]
    assert staff and all(p.email.endswith("@" + STAFF_DOMAIN) for p in staff)
    assert any(p.admin for p in staff) and any(p.moderator for p in staff)
    assert [p.username for p in big.people if p.is_bot] == ["discobot"]
    assert any("'" in p.name for p in big.people)
    assert len({p.username for p in big.people}) == len(big.people)
    assert len({p.slack_user_id for p in big.people}) == len(big.people)


def test_tier_spread(big, now):
    tiers = _tiers(big, now)
    assert 0.05 <= tiers["intent"] / len(big.companies) <= 0.15, tiers
    assert tiers["consideration"] >= 0.08 * len(big.companies), tiers
    assert tiers["awareness"] > tiers["consideration"] > 0, tiers


def test_tricky_texts(big):
    raws = [p.raw for p in big.posts]
    assert any("<!channel>" in r and "*bold*" in r and "<@U123>" in r for r in raws)
    assert any(len(r.encode()) >= 100_000 for r in raws)
    assert any(any(ord(ch) > 0xFFFF for ch in r) for r in raws)  # emoji
    assert any(ch in r for r in raws for ch in "çÇèéöü")  # accents
    assert any(any(w in t.title.lower() for w in PREMIUM_WORDS) for t in big.topics)
    assert any(p.accepted_answer for p in big.posts)


def test_deterministic(now):
    a = generate_community(members=120, companies=20, activities=800, seed=3, now=now)
    b = generate_community(members=120, companies=20, activities=800, seed=3, now=now)
    c = generate_community(members=120, companies=20, activities=800, seed=4, now=now)
    assert [(p.id, p.user_id, p.raw, p.created_at) for p in a.posts] == [
        (p.id, p.user_id, p.raw, p.created_at) for p in b.posts]
    assert [(x.email, x.contact_id) for x in a.people] == [(x.email, x.contact_id) for x in b.people]
    assert [x.email for x in a.people] != [x.email for x in c.people]


def test_mutators(community, now):
    person = next(p for p in community.people if p.company_id)
    before = max(p.id for p in community.posts)
    topic = community.add_topic(person.id, "SSO on the enterprise plan?", "Hi", 1, now)
    first = community.posts_of_topic(topic.id)[0]
    assert first.id == before + 1 and first.post_number == 1
    reply = community.add_reply(topic.id, community.people[3].id, "Yes", now, reply_to_post_number=1)
    assert reply.post_number == 2 and reply.reply_to_post_number == 1
    community.add_like(reply.id, person.id, now)
    with pytest.raises(ValueError):
        community.add_like(reply.id, person.id, now)
    assert person in community.people_of_company(person.company_id)
    assert community.person_by_id(person.id) is person
    assert community.company_by_id(person.company_id).id == person.company_id
