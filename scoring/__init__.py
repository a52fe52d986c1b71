"""The pure core: records, the scoring model and the math.

Nothing here imports Prefect, HTTP clients, databases, the clock or the environment: every
function takes plain data and ``now`` and returns new values.

    from scoring import Activity, ScoringModel, score_members, score_accounts
    model = ScoringModel()
    members = score_members(activities, model, now)        # {member_key: score}
    accounts = score_accounts(members, account_of, model)  # {account_id: score}
    model.tier(accounts["acme"])                           # "intent"
"""

from scoring.attribution import (
    Attribution,
    Calibration,
    Dormancy,
    IntentAlert,
    TierDistribution,
    Upgrade,
    attribute_upgrades,
    calibrate,
    dormant_members,
    tier_distribution,
)
from scoring.backtest import Backtest, backtest, replay_alerts
from scoring.classify import ClassificationRules, classify, to_activity
from scoring.errors import ScoringError
from scoring.frame import ActivityFrame
from scoring.history import ScoreHistory, score_history
from scoring.holdouts import (
    HoldoutConfig,
    Lift,
    assign_groups,
    holdout_lift,
    is_held_out,
)
from scoring.identity import link_people, reason_kind, resolve
from scoring.model import ActivityWeight, ScoringModel
from scoring.priority import Candidate, Deferred, apply_capacity, priority
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
from scoring.signals import (
    Champion,
    ChurnRisk,
    Reemergence,
    SeasonalFactor,
    Signals,
    TierTransition,
    Velocity,
    advance_tiers,
    champions,
    churn_risks,
    detect_signals,
    last_activity,
    recently_active,
    reemerged,
    route,
    seasonal_factor,
    velocities,
)
from scoring.versions import AccountComparison, ModelComparison, compare_models

__all__ = [
    "ACTIVITY_TYPES",
    "TIERS",
    "AccountComparison",
    "Activity",
    "ActivityFrame",
    "ActivityWeight",
    "Attribution",
    "Backtest",
    "Calibration",
    "Candidate",
    "Champion",
    "ChurnRisk",
    "ClassificationRules",
    "CrmAccount",
    "CrmContact",
    "CrmOwner",
    "Deferred",
    "Dormancy",
    "HoldoutConfig",
    "IntentAlert",
    "Lift",
    "Match",
    "Member",
    "ModelComparison",
    "Reemergence",
    "Resolution",
    "ScoreHistory",
    "ScoringError",
    "ScoringModel",
    "SeasonalFactor",
    "Signals",
    "SourceEvent",
    "TierDistribution",
    "TierState",
    "TierTransition",
    "Upgrade",
    "Velocity",
    "advance_tiers",
    "apply_capacity",
    "assign_groups",
    "attribute_upgrades",
    "backtest",
    "calibrate",
    "champions",
    "churn_risks",
    "classify",
    "compare_models",
    "decayed_points",
    "detect_signals",
    "dormant_members",
    "holdout_lift",
    "is_held_out",
    "last_activity",
    "link_people",
    "priority",
    "reason_kind",
    "recently_active",
    "reemerged",
    "replay_alerts",
    "resolve",
    "route",
    "score_accounts",
    "score_history",
    "score_members",
    "seasonal_factor",
    "tier_distribution",
    "to_activity",
    "velocities",
]
