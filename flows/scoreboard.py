"""Everything the plays need to know at one moment, read from the state database once.

Both ``community_sync`` (immediate plays) and ``daily_signals`` (daily plays) start from the
same picture: people's activities (team and bots left out, forgotten people out), scores,
signals, tier states moved to ``now``, the CRM's accounts and owners.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from connectors.store import Store
from playbooks.people import Person, gather_people
from scoring.frame import ActivityFrame
from scoring.model import ScoringModel
from scoring.records import Activity, CrmAccount, CrmOwner, Member, TierState
from scoring.signals import Signals, TierTransition, advance_tiers, detect_signals, last_activity

__all__ = ["Scoreboard", "as_people", "people_activities", "read_scoreboard"]


def as_people(activities: list[Activity], person_of: dict[str, str], excluded: set[str]) -> list[Activity]:
    """Activities keyed by person (one person on Discourse and Slack scores once), team and bots left out."""
    return [
        a if person_of.get(a.member_key, a.member_key) == a.member_key
        else replace(a, member_key=person_of[a.member_key])
        for a in activities if a.member_key not in excluded
    ]


@dataclass
class Scoreboard:
    """Scores, signals and tier states at ``now``, with the records the plays name.

    ``frame`` holds every scored activity as columns, keyed by person; the activities of a
    few people as records come from `people_activities`. ``stored_states`` are the tier states
    as read (kind → entity → state), so that saving writes only what moved. ``stored_count``
    is how many activities the store held when the scoreboard read them (all kept, as rows).
    """

    now: datetime
    members: dict[str, Member]
    frame: ActivityFrame
    account_of: dict[str, str]
    person_of: dict[str, str]
    excluded: set[str]
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
    last_activity: dict[str, datetime]
    stored_states: dict[str, dict[str, TierState]]
    stored_count: int = 0

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
    # The database builds the frame while this thread turns the other tables into records.
    with ThreadPoolExecutor(max_workers=1) as reader:
        frame_read = reader.submit(store.activity_frame) if store.concurrent_reads else None
        members = {m.key: m for m in store.members()}
        person_of = store.people()
        matches = store.matches()
        stored_states = {kind: store.tier_states(kind) for kind in ("account", "member")}
        stored = frame_read.result() if frame_read else store.activity_frame()
    excluded = {k for k, m in members.items() if m.is_staff or m.is_bot}
    opted_out = store.opted_out(stored.member_keys)  # forgotten while a pull ran
    frame = stored.regroup({k: None if k in excluded or k in opted_out else person_of.get(k, k)
                            for k in stored.member_keys})
    account_of = {k: m.account_id for k, m in matches.items()}
    signals = detect_signals(frame, account_of, model, now)
    member_scores = dict(signals.history.members[0.0])
    account_scores = dict(signals.history.accounts[0.0])
    account_states, transitions = advance_tiers(account_scores, stored_states["account"], model, now)
    member_states, _ = advance_tiers(member_scores, stored_states["member"], model, now)
    latest = last_activity(frame)
    people = gather_people(person_of, members, matches, member_scores, latest)
    return Scoreboard(
        now=now, members=members, frame=frame, account_of=account_of, person_of=person_of,
        excluded=excluded | opted_out, signals=signals, member_scores=member_scores, account_scores=account_scores,
        accounts={a.id: a for a in store.accounts(crm)}, owners={o.id: o for o in store.owners(crm)},
        people=people, account_states=dict(account_states), member_states=dict(member_states),
        transitions=list(transitions), opted_out=set(opted_out), last_activity=latest, stored_states=stored_states,
        stored_count=len(stored),
    )


def people_activities(store: Store, board: Scoreboard, account_ids: Iterable[str] | None = None, *,
                      types: Iterable[str] | None = None, latest: int | None = None) -> list[Activity]:
    """The scored activities as records, keyed by person: of the people of ``account_ids``, or all (None).

    Records cost memory (about 2 KB each): plays read the latest few of the accounts they
    brief (``types``, ``latest`` per member: see `Store.activities`), and only reports that
    replay the whole history read them all.
    """
    if account_ids is None:
        return as_people(store.activities(), board.person_of, board.excluded)
    wanted = set(account_ids)
    people = {board.person_of.get(k, k) for k, a in board.account_of.items() if a in wanted}
    keys = {k for k, p in board.person_of.items() if p in people} | people
    return as_people(store.activities(member_keys=keys, types=types, latest=latest), board.person_of, board.excluded)
