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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, CreateCrmTask, Mode, SendSlackAlert
from playbooks.briefs import AccountBrief
from playbooks.slack_messages import escape, plain, rich_link, rich_text_list
from scoring.model import ScoringModel
from scoring.priority import Candidate, Deferred, apply_capacity
from scoring.signals import TierTransition, route

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


def _angle(brief: AccountBrief) -> str:
    if route(brief.account.plan) == "conversion":
        return "Free-to-paid: offer a walkthrough of the paid features they are asking about."
    return "Expansion: they are on a paid plan; explore a higher tier or more seats."


def intent_alert_blocks(brief: AccountBrief, *, draft: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks of an Intent alert."""
    account = brief.account
    name = escape(account.name)
    owner = f"<@{brief.owner_slack_id}>" if brief.owner_slack_id else escape(
        brief.owner.email if brief.owner and brief.owner.email else "no owner")
    prefix = "[DRAFT] " if draft else ""
    text = f"{prefix}{name} entered Intent (score {brief.score:.0f})"
    activities = ", ".join(f"{t} ×{n}" for t, n in brief.top_activities) or "none"
    members = ", ".join(f"{escape(m)} ({s:.0f})" for m, s in brief.top_members) or "none"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(f"{prefix}Intent: {account.name}"[:150])},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Score*\n{brief.score:.0f}"},
                {"type": "mrkdwn", "text": f"*Plan*\n{escape(account.plan or 'unknown')}"},
                {"type": "mrkdwn", "text": f"*Owner*\n{owner}"},
                {"type": "mrkdwn", "text": f"*Top activities*\n{escape(activities)}"},
            ],
        },
        {"type": "context", "elements": [plain(f"Top members: {members}")]},
    ]
    if brief.recent_questions:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Recent questions*"}})
        blocks.append(rich_text_list([[rich_link(q.url or "", q.title or q.excerpt)] for q in brief.recent_questions]))
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Suggested angle*: {_angle(brief)}"}})
    return text, blocks


def _task_body(brief: AccountBrief) -> str:
    lines = [f"{brief.account.name} crossed into Intent with a community score of {brief.score:.0f}.",
             _angle(brief), "", "Top members:"]
    lines += [f"- {m} ({s:.0f})" for m, s in brief.top_members]
    if brief.recent_questions:
        lines += ["", "Recent questions:"] + [f"- {q.title}: {q.url}" for q in brief.recent_questions]
    return "\n".join(lines)


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
