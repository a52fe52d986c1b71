"""What an alert says about an account: gathered from scores and activities, purely.

Briefs hold community text as it was written (names, titles); the messages built from
them escape it for their destination (`playbooks.intent_messages`), exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from scoring.frame import ActivityFrame, moment
from scoring.records import ACTIVITY_TYPES, Activity, CrmAccount, CrmOwner, Member

__all__ = ["QUESTION_TYPES", "AccountBrief", "build_briefs"]

QUESTION_TYPES = frozenset({"premium_feature_question", "feature_request", "thread_started",
                            "competitor_mention"})


@dataclass(frozen=True)
class AccountBrief:
    """An account with its score, top members and activities, and its owner.

    ``recent_questions`` are the three latest question-like activities, with or without a
    URL (a Slack message may have no permalink; the alert then shows its title as text).
    """

    account: CrmAccount
    score: float
    active_members: int = 0
    top_members: list[tuple[str, float]] = field(default_factory=list)
    top_activities: list[tuple[str, int]] = field(default_factory=list)
    recent_questions: list[Activity] = field(default_factory=list)
    last_activity_at: datetime | None = None
    owner: CrmOwner | None = None
    owner_slack_id: str | None = None


def build_briefs(
    account_ids: Iterable[str],
    *,
    account_scores: Mapping[str, float],
    member_scores: Mapping[str, float],
    account_of: Mapping[str, str],
    members: Mapping[str, Member],
    frame: ActivityFrame,
    questions: Iterable[Activity],
    accounts: Mapping[str, CrmAccount],
    owners: Mapping[str, CrmOwner],
    owner_slack_ids: Mapping[str, str] | None = None,
    top: int = 5,
) -> dict[str, AccountBrief]:
    """A brief for each wanted account that the CRM knows.

    Activity counts and the last activity come from ``frame`` (every activity, as columns);
    ``questions`` need only hold each member's latest question-like activities as records.
    """
    wanted = sorted(a for a in set(account_ids) if a in accounts)
    kinds, latest, last = _activity_summary(frame, account_of, wanted)
    asked: dict[str, list[Activity]] = defaultdict(list)
    for activity in questions:
        account = account_of.get(activity.member_key)
        if activity.type in QUESTION_TYPES and account is not None:
            asked[account].append(activity)
    member_keys: dict[str, list[str]] = defaultdict(list)
    for member_key, account in account_of.items():
        member_keys[account].append(member_key)

    briefs: dict[str, AccountBrief] = {}
    for i, account_id in enumerate(wanted):
        account = accounts[account_id]
        ranked = sorted(
            ((members[k].name or members[k].username if k in members else k, member_scores.get(k, 0.0))
             for k in member_keys[account_id]),
            key=lambda pair: (-pair[1], pair[0]),
        )
        types = sorted(np.flatnonzero(kinds[i]).tolist(), key=lambda t: (-kinds[i, t], -latest[i, t]))
        owner = owners.get(account.owner_id) if account.owner_id else None
        briefs[account_id] = AccountBrief(
            account=account,
            score=account_scores.get(account_id, 0.0),
            active_members=sum(1 for pair in ranked if pair[1] > 0),
            top_members=[pair for pair in ranked if pair[1] > 0][:top],
            top_activities=[(ACTIVITY_TYPES[t], int(kinds[i, t])) for t in types[:top]],
            recent_questions=sorted(asked[account_id], key=lambda a: a.occurred_at, reverse=True)[:3],
            last_activity_at=moment(float(last[i])) if np.isfinite(last[i]) else None,
            owner=owner,
            owner_slack_id=(owner_slack_ids or {}).get(owner.id) if owner else None,
        )
    return briefs


def _activity_summary(frame: ActivityFrame, account_of: Mapping[str, str],
                      wanted: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per wanted account: activities per type, the latest time per type, the latest time (-inf: none)."""
    index = {a: i for i, a in enumerate(wanted)}
    n_types = len(ACTIVITY_TYPES)
    account = np.fromiter((index.get(account_of.get(k, ""), -1) for k in frame.member_keys), dtype=np.int64,
                          count=len(frame.member_keys))[frame.member]
    rows = account >= 0
    pair = account[rows] * n_types + frame.type[rows]
    kinds = np.bincount(pair, minlength=len(wanted) * n_types).reshape(-1, n_types)
    latest = np.full(len(wanted) * n_types, -np.inf)
    np.maximum.at(latest, pair, frame.occurred_at[rows])
    latest = latest.reshape(-1, n_types)
    return kinds, latest, latest.max(axis=1, initial=-np.inf)
