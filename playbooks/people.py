"""What the member-level plays know about a person: name, CRM contact, account, forum username.

A person may be several members (a Discourse user and a Slack user with one email); plays
are once per person, so they are keyed by the person and act on the person's CRM contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from scoring.records import Match, Member

__all__ = ["Person", "gather_people"]


@dataclass(frozen=True)
class Person:
    """One person as the plays see them; ``score`` is the person's member score now."""

    key: str
    name: str
    score: float = 0.0
    account_id: str | None = None
    contact_id: str | None = None
    forum_username: str | None = None
    last_activity_at: datetime | None = None


def gather_people(
    person_of: Mapping[str, str],
    members: Mapping[str, Member],
    matches: Mapping[str, Match],
    scores: Mapping[str, float],
    last_activity: Mapping[str, datetime],
) -> dict[str, Person]:
    """person key → `Person`, for every person with a score (keys as scoring uses them)."""
    by_person: dict[str, list[str]] = {}
    for member_key, person in person_of.items():
        by_person.setdefault(person, []).append(member_key)
    people = {}
    for key, score in scores.items():
        keys = sorted(by_person.get(key, [key]), key=lambda k: (k != key, k))
        found = [members[k] for k in keys if k in members]
        match = next((matches[k] for k in keys if k in matches), None)
        forum = next((m.username for m in found if m.source == "discourse" and m.username), None)
        name = next((m.name or m.username for m in found if m.name or m.username), key)
        people[key] = Person(
            key=key, name=name, score=score,
            account_id=match.account_id if match else None,
            contact_id=match.contact_id if match else None,
            forum_username=forum, last_activity_at=last_activity.get(key),
        )
    return people
