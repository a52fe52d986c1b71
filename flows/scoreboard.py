"""Everything the plays need to know at one moment, read from the state database once.

Both ``community_sync`` (immediate plays) and ``daily_signals`` (daily plays) start from the
same picture: people's activities (team and bots left out, forgotten people out), scores,
signals, tier states moved to ``now``, the CRM's accounts and owners.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from connectors.store import Store
from playbooks.people import Person, gather_people
from scoring.model import ScoringModel
from scoring.records import Activity, CrmAccount, CrmOwner, Member, TierState
from scoring.signals import Signals, TierTransition, advance_tiers, detect_signals

__all__ = ["Scoreboard", "as_people", "read_scoreboard"]


def as_people(activities: list[Activity], person_of: dict[str, str], excluded: set[str]) -> list[Activity]:
    """Activities keyed by person (one person on Discourse and Slack scores once), team and bots left out."""
    return [
        a if person_of.get(a.member_key, a.member_key) == a.member_key
        else replace(a, member_key=person_of[a.member_key])
        for a in activities if a.member_key not in excluded
    ]


@dataclass
class Scoreboard:
    """Scores, signals and tier states at ``now``, with the records the plays name."""

    now: datetime
    members: dict[str, Member]
    activities: list[Activity]
    account_of: dict[str, str]
    signals: Signals
    member_scores: dict[str, float]
    account_scores: dict[str, float]
    accounts: dict[str, CrmAccount]
    owners: dict[str, CrmOwner]
    people: dict[str, Person]
    account_states: dict[str, TierState]
    member_states: dict[str, TierState]
    transitions: list[TierTransition]
    opted_out: set[str]

    def account_tiers(self) -> dict[str, str | None]:
        return {a: s.tier for a, s in self.account_states.items()}

    def account_last_activity(self) -> dict[str, datetime]:
        latest: dict[str, datetime] = {}
        for person in self.people.values():
            if person.account_id and person.last_activity_at:
                if person.account_id not in latest or person.last_activity_at > latest[person.account_id]:
                    latest[person.account_id] = person.last_activity_at
        return latest


def read_scoreboard(store: Store, model: ScoringModel, now: datetime, crm: str) -> Scoreboard:
    """Score what the store holds at ``now``; tier states are moved but not saved (the caller saves)."""
    members = {m.key: m for m in store.members()}
    stored = store.activities()
    excluded = {k for k, m in members.items() if m.is_staff or m.is_bot}
    opted_out = store.opted_out({a.member_key for a in stored})  # forgotten while a pull ran
    person_of = store.people()
    activities = as_people(stored, person_of, excluded | opted_out)
    account_of = {k: m.account_id for k, m in store.matches().items()}
    signals = detect_signals(activities, account_of, model, now)
    member_scores = dict(signals.history.members[0.0])
    account_scores = dict(signals.history.accounts[0.0])
    account_states, transitions = advance_tiers(account_scores, store.tier_states("account"), model, now)
    member_states, _ = advance_tiers(member_scores, store.tier_states("member"), model, now)
    last_activity: dict[str, datetime] = {}
    for activity in activities:
        if activity.member_key not in last_activity or activity.occurred_at > last_activity[activity.member_key]:
            last_activity[activity.member_key] = activity.occurred_at
    people = gather_people(person_of, members, store.matches(), member_scores, last_activity)
    return Scoreboard(
        now=now, members=members, activities=activities, account_of=account_of, signals=signals,
        member_scores=member_scores, account_scores=account_scores,
        accounts={a.id: a for a in store.accounts(crm)}, owners={o.id: o for o in store.owners(crm)},
        people=people, account_states=dict(account_states), member_states=dict(member_states),
        transitions=list(transitions), opted_out=set(opted_out),
    )
