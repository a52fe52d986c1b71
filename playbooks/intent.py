"""The Intent playbook: an account crossing into Intent gets one Slack alert and one CRM task.

``plan_intent_actions`` is pure: transitions and briefs in, typed actions out. The keys
name the account and its tier episode, so the same crossing always plans the same keys and
the ledger turns a re-plan into a no-op. Free accounts go to conversion, paid ones to
expansion (``route``); each owner gets at most ``capacity_per_owner_per_week`` plays, the
highest priority (score × account value) first — the rest are deferred with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, CreateCrmTask, Mode, SendSlackAlert
from playbooks.briefs import AccountBrief
from playbooks.intent_messages import intent_alert_blocks
from playbooks.intent_messages import task_body as _task_body
from scoring.model import ScoringModel
from scoring.priority import Candidate, Deferred, apply_capacity
from scoring.signals import TierTransition

__all__ = ["IntentPlan", "IntentPlaybookConfig", "plan_intent_actions", "intent_alert_blocks"]


class IntentPlaybookConfig(BaseModel):
    """How the Intent playbook behaves; ``draft`` sends everything to the review channel."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="live", description="off, draft (review channel only) or live.")
    alert_channel: str = Field(default="community-alerts", description="Channel for live alerts.")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    task_due_hours: float = Field(default=4, gt=0, description="CRM task due this many hours after the crossing.")


@dataclass(frozen=True)
class IntentPlan:
    """The actions to take and the plays deferred by capacity caps."""

    actions: list[Action] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)


def plan_intent_actions(
    transitions: Iterable[TierTransition],
    briefs: Mapping[str, AccountBrief],
    config: IntentPlaybookConfig,
    model: ScoringModel,
    now: datetime,
    *,
    plays_this_week: Mapping[str | None, int] | None = None,
    crm: str = "hubspot",
) -> IntentPlan:
    """One alert and one task per account that entered Intent and was active recently.

    ``plays_this_week`` counts the plays each owner already got in the last 7 days; ``crm``
    is where the tasks go.
    """
    if config.mode == "off":
        return IntentPlan()
    recent_since = now - timedelta(days=model.recency_days)
    candidates: list[Candidate] = []
    for move in transitions:
        if move.to_tier != "intent" or move.from_tier == "intent":
            continue
        brief = briefs.get(move.entity_id)
        if brief is None or brief.last_activity_at is None or brief.last_activity_at < recent_since:
            continue
        candidates.append(Candidate(
            key=f"intent:{move.entity_id}:{move.episode}", account_id=move.entity_id,
            owner_id=brief.account.owner_id, score=brief.score, value=brief.account.value,
        ))
    kept, deferred = apply_capacity(candidates, plays_this_week or {}, model)
    draft = config.mode == "draft"
    actions: list[Action] = []
    for candidate in kept:
        brief = briefs[candidate.account_id]
        text, blocks = intent_alert_blocks(brief, draft=draft)
        actions.append(SendSlackAlert(
            key=f"{candidate.key}:slack", channel=config.review_channel if draft else config.alert_channel,
            text=text, blocks=blocks, mode=config.mode, priority=candidate.priority,
            owner_id=candidate.owner_id,
        ))
        if not draft:
            actions.append(CreateCrmTask(
                key=f"{candidate.key}:task", crm=crm, account_id=candidate.account_id,
                subject=f"Community Intent: {brief.account.name}", body=_task_body(brief),
                due_at=now + timedelta(hours=config.task_due_hours),
                owner_id=candidate.owner_id, mode=config.mode, priority=candidate.priority,
            ))
    return IntentPlan(actions, deferred)
