"""Records ⇄ table rows: the only place that knows both shapes.

Kept apart from `store` so the conversions stay boring, testable and next to each other
when a record gains a field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from scoring.records import Activity, CrmAccount, CrmContact, CrmOwner, Match, Member, TierState

__all__ = [
    "account_row",
    "activity_row",
    "contact_row",
    "match_row",
    "member_row",
    "owner_row",
    "row_account",
    "row_activity",
    "row_contact",
    "row_match",
    "row_member",
    "row_owner",
    "row_tier",
    "tier_row",
]


def member_row(m: Member, now: datetime) -> dict[str, Any]:
    return {
        "key": m.key,
        "source": m.source,
        "external_id": m.external_id,
        "username": m.username,
        "email": m.email,
        "name": m.name,
        "company": m.company,
        "is_staff": bool(m.is_staff),
        "is_bot": bool(m.is_bot),
        "updated_at": now,
    }


def row_member(r: Row[Any]) -> Member:
    return Member(
        key=r.key,
        source=r.source,
        external_id=r.external_id,
        username=r.username,
        email=r.email,
        name=r.name,
        company=r.company,
        is_staff=r.is_staff,
        is_bot=r.is_bot,
    )


def activity_row(a: Activity, now: datetime) -> dict[str, Any]:
    return {
        "source": a.source,
        "source_event_id": a.source_event_id,
        "member_key": a.member_key,
        "type": a.type,
        "occurred_at": a.occurred_at,
        "url": a.url,
        "title": a.title,
        "excerpt": a.excerpt,
        "ingested_at": now,
    }


def row_activity(r: Row[Any]) -> Activity:
    return Activity(
        source=r.source,
        source_event_id=r.source_event_id,
        member_key=r.member_key,
        type=r.type,
        occurred_at=r.occurred_at,
        url=r.url,
        title=r.title,
        excerpt=r.excerpt,
    )


def owner_row(crm: str, o: CrmOwner, now: datetime) -> dict[str, Any]:
    return {"crm": crm, "id": o.id, "email": o.email, "name": o.name, "updated_at": now}


def row_owner(r: Row[Any]) -> CrmOwner:
    return CrmOwner(id=r.id, email=r.email, name=r.name)


def account_row(crm: str, a: CrmAccount, now: datetime) -> dict[str, Any]:
    return {
        "crm": crm,
        "id": a.id,
        "name": a.name,
        "domain": a.domain,
        "owner_id": a.owner_id,
        "plan": a.plan,
        "value": float(a.value),
        "updated_at": now,
    }


def row_account(r: Row[Any]) -> CrmAccount:
    return CrmAccount(
        id=r.id, name=r.name, domain=r.domain, owner_id=r.owner_id, plan=r.plan, value=r.value
    )


def contact_row(crm: str, c: CrmContact, now: datetime) -> dict[str, Any]:
    return {
        "crm": crm,
        "id": c.id,
        "email": c.email,
        "account_id": c.account_id,
        "name": c.name,
        "updated_at": now,
    }


def row_contact(r: Row[Any]) -> CrmContact:
    return CrmContact(id=r.id, email=r.email, account_id=r.account_id, name=r.name)


def match_row(member_key: str, m: Match, now: datetime) -> dict[str, Any]:
    return {
        "member_key": member_key,
        "account_id": m.account_id,
        "contact_id": m.contact_id,
        "method": m.method,
        "confidence": float(m.confidence),
        "updated_at": now,
    }


def row_match(r: Row[Any]) -> Match:
    return Match(
        member_key=r.member_key,
        account_id=r.account_id,
        method=r.method,
        confidence=r.confidence,
        contact_id=r.contact_id,
    )


def tier_row(kind: str, s: TierState, now: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "entity_id": s.entity_id,
        "tier": s.tier,
        "score": float(s.score),
        "episode": int(s.episode),
        "since": s.since,
        "updated_at": now,
    }


def row_tier(r: Row[Any]) -> TierState:
    return TierState(
        entity_id=r.entity_id, tier=r.tier, score=r.score, since=r.since, episode=r.episode
    )
