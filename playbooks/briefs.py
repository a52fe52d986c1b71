"""What an alert says about an account: gathered from scores and activities, purely.

Briefs hold community text as it was written (names, titles); the messages built from
them escape it for their destination (`playbooks.intent_messages`), exactly once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scoring.records import Activity, CrmAccount, CrmOwner, Member

__all__ = ["AccountBrief", "build_briefs"]

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
    activities: Iterable[Activity],
    accounts: Mapping[str, CrmAccount],
    owners: Mapping[str, CrmOwner],
    owner_slack_ids: Mapping[str, str] | None = None,
    top: int = 5,
) -> dict[str, AccountBrief]:
    """A brief for each wanted account that the CRM knows."""
    wanted = {a for a in account_ids if a in accounts}
    by_account: dict[str, list[Activity]] = defaultdict(list)
    for activity in activities:
        account = account_of.get(activity.member_key)
        if account in wanted:
            by_account[account].append(activity)
    member_keys: dict[str, list[str]] = defaultdict(list)
    for member_key, account in account_of.items():
        if account in wanted:
            member_keys[account].append(member_key)

    briefs: dict[str, AccountBrief] = {}
    for account_id in sorted(wanted):
        account = accounts[account_id]
        acts = sorted(by_account[account_id], key=lambda a: a.occurred_at, reverse=True)
        ranked = sorted(
            ((members[k].name or members[k].username if k in members else k, member_scores.get(k, 0.0))
             for k in member_keys[account_id]),
            key=lambda pair: (-pair[1], pair[0]),
        )
        owner = owners.get(account.owner_id) if account.owner_id else None
        briefs[account_id] = AccountBrief(
            account=account,
            score=account_scores.get(account_id, 0.0),
            active_members=sum(1 for pair in ranked if pair[1] > 0),
            top_members=[pair for pair in ranked if pair[1] > 0][:top],
            top_activities=Counter(a.type for a in acts).most_common(top),
            recent_questions=[a for a in acts if a.type in QUESTION_TYPES][:3],
            last_activity_at=acts[0].occurred_at if acts else None,
            owner=owner,
            owner_slack_id=(owner_slack_ids or {}).get(owner.id) if owner else None,
        )
    return briefs
