"""The pure core: records, the scoring model and the math.

Nothing here imports Prefect, HTTP clients, databases, the clock or the environment: every
function takes plain data and ``now`` and returns new values.

    from scoring import Activity, ScoringModel, score_members, score_accounts
    model = ScoringModel()
    members = score_members(activities, model, now)        # {member_key: score}
    accounts = score_accounts(members, account_of, model)  # {account_id: score}
    model.tier(accounts["acme"])                           # "intent"
"""

from scoring.classify import ClassificationRules, classify, to_activity
from scoring.errors import ScoringError
from scoring.identity import resolve
from scoring.model import ActivityWeight, ScoringModel
from scoring.records import (
    ACTIVITY_TYPES,
    TIERS,
    Activity,
    CrmAccount,
    CrmContact,
    CrmOwner,
    Match,
    Member,
    Resolution,
    SourceEvent,
    TierState,
)
from scoring.score import decayed_points, score_accounts, score_members
from scoring.signals import TierTransition, advance_tiers

__all__ = [
    "ACTIVITY_TYPES",
    "TIERS",
    "Activity",
    "ActivityWeight",
    "ClassificationRules",
    "CrmAccount",
    "CrmContact",
    "CrmOwner",
    "Match",
    "Member",
    "Resolution",
    "ScoringError",
    "ScoringModel",
    "SourceEvent",
    "TierState",
    "TierTransition",
    "advance_tiers",
    "classify",
    "decayed_points",
    "resolve",
    "score_accounts",
    "score_members",
    "to_activity",
]
