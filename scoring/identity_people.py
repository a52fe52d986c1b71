"""One person behind several community accounts (Discourse and Slack, say).

Members are the same person when they share a canonical email address (`canonical_email`:
trimmed, lower-case, ``+tag`` dropped at the providers that support it) or an SSO id; the
relation is transitive (A shares an email with B, B an SSO id with C: one person).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scoring.identity_keys import canonical_email
from scoring.records import Member

__all__ = ["link_people", "people_of", "sso_key"]


def sso_key(sso_id: str | None) -> str | None:
    """An SSO id as compared: trimmed, blank means none (ids are opaque: case is kept)."""
    if sso_id is None:
        return None
    sso_id = sso_id.strip()
    return sso_id or None


def link_people(members: Iterable[Member]) -> dict[str, str]:
    """member_key → person_key, for every member.

    The person key is the smallest member key of the group, so it is deterministic and
    independent of input order; a member linked to nobody is its own person. Staff and
    bots are linked like anyone else (resolution then treats the whole person as such).
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller key becomes the root: the root is the group's minimum.
            parent[max(ra, rb)] = min(ra, rb)

    first_with: dict[tuple[str, str], str] = {}
    for member in members:
        parent.setdefault(member.key, member.key)
        keys = (("email", canonical_email(member.email)), ("sso", sso_key(member.sso_id)))
        for kind, value in keys:
            if value is None:
                continue
            seen = first_with.setdefault((kind, value), member.key)
            union(seen, member.key)
    return {key: find(key) for key in parent}


def people_of(person_of: dict[str, str]) -> dict[str, list[str]]:
    """person_key → its member keys, sorted: the inverse of `link_people`'s mapping."""
    people: dict[str, list[str]] = defaultdict(list)
    for member_key, person_key in person_of.items():
        people[person_key].append(member_key)
    return {person: sorted(keys) for person, keys in people.items()}
