"""The Intent playbook: an account at Intent, active recently, gets one Slack alert and one CRM task.

``plan_intent_actions`` is pure: tier states and briefs in, typed actions out. It looks at every
account whose Intent episode is open, not only the ones that crossed this run, so an account
that reached Intent while quiet gets its play when it becomes active again, and switching a
playbook from draft to live catches up on the episodes still open. The keys name the account,
its tier episode and, for drafts, ``draft`` - so a draft never uses up the live play, and the
ledger turns a re-plan into a no-op (keys it already holds are skipped before capacity).
Free accounts go to conversion, paid ones to expansion (``route``); each owner gets at most
``capacity_per_owner_per_week`` plays, the highest priority (score × account value) first -
the rest are deferred with the reason.

Holdouts: with a ``holdout`` share > 0 a live play is held out for a salted-hash draw of its
account and episode (`scoring.holdouts.is_held_out`, so every run and worker agrees) - recorded
in the ledger as ``intent:<account>:<episode>:holdout``, never sent, and outside the owners'
capacity - so the calibration report can compare upgrade rates of played and held-out accounts.
Drafts are never held out: reviewers see every play.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, CreateCrmTask, Mode, RecordDraft, SendSlackAlert
from playbooks.briefs import AccountBrief
from playbooks.capacity import Play, PlayPlan, allot
from playbooks.intent_messages import intent_alert_blocks, shorten
from playbooks.intent_messages import task_body as _task_body
from scoring.holdouts import HoldoutConfig
from scoring.model import ScoringModel
from scoring.priority import Candidate
from scoring.records import TierState

__all__ = ["IntentPlan", "IntentPlaybookConfig", "intent_alert_blocks", "intent_plays", "open_plays",
           "plan_intent_actions", "play_key", "split_holdouts"]


class IntentPlaybookConfig(BaseModel):
    """How the Intent playbook behaves; ``draft`` sends everything to the review channel."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (review channel only, no CRM task) or live.")
    alert_channel: str = Field(default="community-alerts", description="Channel for live alerts.")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    task_due_hours: float = Field(default=4, gt=0, le=24 * 365, description="CRM task due this many hours after the crossing.")
    holdout: HoldoutConfig = Field(default_factory=HoldoutConfig,
                                   description="The share of live plays held out to measure lift, and its salt.")

    def holds_out(self, account_id: str, episode: int) -> bool:
        """Whether the live play of this account's episode is held out (drafts never are)."""
        return self.mode == "live" and self.holdout.holds_out(account_id, episode)


#: The Intent plan is the shared plan type (kept under its old name for callers).
IntentPlan = PlayPlan


def play_key(account_id: str, episode: int, mode: Mode) -> str:
    """The key of one Intent play; drafts have their own, so going live still plays."""
    return f"intent:{account_id}:{episode}" + (":draft" if mode == "draft" else "")


def open_plays(states: Iterable[TierState], known_keys: Collection[str], mode: Mode) -> dict[str, str]:
    """account → play key of every account at Intent whose episode has no play of ``mode`` yet."""
    plays = {}
    for state in states:
        key = play_key(state.entity_id, state.episode, mode)
        if state.tier == "intent" and f"{key}:slack" not in known_keys and f"{key}:holdout" not in known_keys:
            plays[state.entity_id] = key
    return plays


def split_holdouts(plays: Iterable[Play]) -> tuple[PlayPlan, list[Play]]:
    """The held-out plays as a plan of their own (never capped: nobody works them) and the plays to allot."""
    held, rest = [], []
    for play in plays:
        (held if play.candidate.key.endswith(":holdout") else rest).append(play)
    return PlayPlan([a for p in held for a in p.actions]), rest


def intent_plays(
    states: Iterable[TierState],
    briefs: Mapping[str, AccountBrief],
    config: IntentPlaybookConfig,
    model: ScoringModel,
    now: datetime,
    *,
    known_keys: Collection[str] = (),
    crm: str = "hubspot",
) -> list[Play]:
    """Every Intent play that could go out now, before capacity (see `plan_intent_actions`)."""
    if config.mode == "off":
        return []
    recent_since = now - timedelta(days=model.recency_days)
    draft = config.mode == "draft"
    states = list(states)
    by_account = {s.entity_id: s for s in states}
    plays: list[Play] = []
    for account_id, key in sorted(open_plays(states, known_keys, config.mode).items()):
        brief = briefs.get(account_id)
        if brief is None or brief.last_activity_at is None or brief.last_activity_at < recent_since:
            continue
        candidate = Candidate(key=key, account_id=account_id, owner_id=brief.account.owner_id,
                              score=brief.score, value=brief.account.value)
        state = by_account[account_id]
        if config.holds_out(account_id, state.episode):
            held = Candidate(key=f"{key}:holdout", account_id=account_id, owner_id=candidate.owner_id,
                             score=brief.score, value=brief.account.value)
            plays.append(Play(held, (RecordDraft(
                key=f"{key}:holdout", playbook="intent", play=key, record="holdout", mode=config.mode,
                priority=candidate.priority, owner_id=candidate.owner_id,
                summary=f"Held out: {shorten(brief.account.name, 200)} at Intent (score {brief.score:.0f})"),)))
            continue
        text, blocks = intent_alert_blocks(brief, draft=draft)
        actions: list[Action] = [SendSlackAlert(
            key=f"{key}:slack", channel=config.review_channel if draft else config.alert_channel,
            text=text, blocks=blocks, mode=config.mode, priority=candidate.priority,
            owner_id=candidate.owner_id, play=key, signal_at=state.since,
        )]
        if not draft:
            actions.append(CreateCrmTask(
                key=f"{key}:task", crm=crm, account_id=account_id,
                subject=f"Community Intent: {shorten(brief.account.name, 200)}", body=_task_body(brief),
                due_at=now + timedelta(hours=config.task_due_hours),
                owner_id=candidate.owner_id, mode=config.mode, priority=candidate.priority, play=key,
            ))
        plays.append(Play(candidate, tuple(actions)))
    return plays


def plan_intent_actions(
    states: Iterable[TierState],
    briefs: Mapping[str, AccountBrief],
    config: IntentPlaybookConfig,
    model: ScoringModel,
    now: datetime,
    *,
    plays_this_week: Mapping[str | None, int] | None = None,
    known_keys: Collection[str] = (),
    crm: str = "hubspot",
) -> PlayPlan:
    """One alert and (live) one task per account at Intent, active recently, not played this episode.

    ``states`` are the accounts' tier states now; ``known_keys`` the ledger's keys (plays
    already recorded); ``plays_this_week`` counts the owner-facing plays of this mode each
    owner got in the last 7 days; ``crm`` is where the tasks go.
    """
    held, plays = split_holdouts(intent_plays(states, briefs, config, model, now, known_keys=known_keys, crm=crm))
    return held + allot(plays, plays_this_week or {}, model)
