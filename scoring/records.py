"""The records every package passes around.

Frozen dataclasses with no behaviour beyond small derived values: connectors produce them,
the store persists them, scoring and playbooks consume them. Datetimes are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "ACTIVITY_TYPES",
    "TIERS",
    "AccountScoreUpdate",
    "Activity",
    "CrmAccount",
    "CrmContact",
    "CrmOpportunity",
    "CrmOwner",
    "Match",
    "Member",
    "Resolution",
    "SourceEvent",
    "TierState",
]

#: Activity type identifiers of PRODUCT.md, the shared vocabulary of config, store and docs.
ACTIVITY_TYPES: tuple[str, ...] = (
    "premium_feature_question",
    "feature_request",
    "answer",
    "competitor_mention",
    "webinar_attended",
    "how_to_content",
    "thread_started",
    "reply",
    "reaction",
)

#: Tier identifiers, lowest first.
TIERS: tuple[str, ...] = ("awareness", "consideration", "intent")


@dataclass(frozen=True, slots=True)
class Activity:
    """One scored community action; identified by (source, source_event_id)."""

    source: str
    source_event_id: str
    member_key: str
    type: str
    occurred_at: datetime
    url: str | None = None
    title: str | None = None
    excerpt: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_event_id)


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """A raw event as a source reports it, before classification into an activity type.

    ``kind`` is what happened in source terms: ``topic`` (started a thread), ``reply``,
    ``like``, ``solution`` (post accepted as the answer).
    """

    source: str
    source_event_id: str
    member_key: str
    kind: str
    occurred_at: datetime
    url: str | None = None
    title: str | None = None
    text: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    thread_owner_key: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A community member as one source knows them; ``key`` is ``"{source}:{external_id}"``.

    ``sso_id`` is the external id of the single sign-on identity behind the account, when
    the source knows it (the same id a CRM contact may carry).
    """

    key: str
    source: str
    external_id: str
    username: str
    email: str | None = None
    name: str | None = None
    company: str | None = None
    is_staff: bool = False
    is_bot: bool = False
    sso_id: str | None = None


@dataclass(frozen=True, slots=True)
class CrmOwner:
    """A CRM user who owns accounts (the SDR or CSM who receives alerts)."""

    id: str
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CrmAccount:
    """A CRM company/account."""

    id: str
    name: str
    domain: str | None = None
    owner_id: str | None = None
    plan: str | None = None
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class CrmContact:
    """A CRM contact, optionally associated with an account; ``sso_id`` as on `Member`."""

    id: str
    email: str | None = None
    account_id: str | None = None
    name: str | None = None
    sso_id: str | None = None


@dataclass(frozen=True, slots=True)
class CrmOpportunity:
    """A CRM deal/opportunity: a won one is an upgrade for attribution."""

    id: str
    account_id: str | None
    name: str | None = None
    stage: str | None = None
    amount: float = 0.0
    closed_at: datetime | None = None
    is_won: bool = False
    community_influenced: bool = False


@dataclass(frozen=True, slots=True)
class AccountScoreUpdate:
    """What score write-back puts on a CRM account: score, tier, velocity, last activity."""

    account_id: str
    score: float
    tier: str | None
    velocity: float
    last_activity_at: datetime | None


@dataclass(frozen=True, slots=True)
class Match:
    """How a member was tied to a CRM account: method and confidence are always recorded."""

    member_key: str
    account_id: str
    method: str
    confidence: float
    contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of identity resolution: matches plus unmatched members with the reason.

    ``person_of`` maps every member key to the key of the person it belongs to (members of
    one person on several sources share it; a member alone is its own person).
    """

    matches: dict[str, Match] = field(default_factory=dict)
    unmatched: dict[str, str] = field(default_factory=dict)
    person_of: dict[str, str] = field(default_factory=dict)

    def account_of(self) -> dict[str, str]:
        """member_key → account_id, the mapping `score_accounts` takes."""
        return {key: m.account_id for key, m in self.matches.items()}


@dataclass(frozen=True, slots=True)
class TierState:
    """An entity's current tier, when it entered it, and how many times it has entered a tier above none."""

    entity_id: str
    tier: str | None
    score: float
    since: datetime
    episode: int = 0
