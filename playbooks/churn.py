"""The churn-save playbook: an account that lost its engagement gets a save play, once per episode.

Trigger: `scoring.signals.churn_risks` (down ``churn_drop_points``+ from its peak within the
churn window). Live: a Slack alert in the customer-success channel mentioning the owner,
and a CRM task for the owner. The episode is the stretch during which the churn-risk signal
holds without a break, named by when it started (the store's signal state): a risk that
holds for weeks is one play, however the peak's sampled date moves with the window; a risk
that ends and starts again later is a new episode.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, CreateCrmTask, Mode, SendSlackAlert
from playbooks.capacity import Play
from playbooks.intent_messages import shorten
from playbooks.notices import Notice
from playbooks.owners import Directory
from scoring.priority import Candidate
from scoring.signals import ChurnRisk

__all__ = ["ChurnPlaybookConfig", "churn_plays"]


class ChurnPlaybookConfig(BaseModel):
    """Where churn saves go."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (review channel only) or live.")
    channel: str = Field(default="customer-success", description="Slack channel of the customer-success team.")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    task_due_hours: float = Field(default=24, gt=0, le=24 * 365, description="The save task is due this many hours later.")


def play_key(account_id: str, started: datetime, mode: Mode) -> str:
    """Once per episode: the account and when its churn-risk signal started holding."""
    stamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"churn:{account_id}:{stamp}" + (":draft" if mode == "draft" else "")


def churn_plays(
    risks: Mapping[str, ChurnRisk],
    directory: Directory,
    config: ChurnPlaybookConfig,
    now: datetime,
    *,
    crm: str,
    started: Mapping[str, datetime],
    known_plays: Collection[str] = (),
) -> list[Play]:
    """One save play per account at churn risk whose episode has no play of this mode yet.

    ``started``: account → when its churn-risk signal started holding (`Store.signal_starts`);
    an account missing there starts its episode ``now``.
    """
    if config.mode == "off":
        return []
    draft = config.mode == "draft"
    plays = []
    for account_id, risk in sorted(risks.items()):
        key = play_key(account_id, started.get(account_id, now), config.mode)
        if key in known_plays or account_id not in directory.accounts:
            continue
        owner = directory.owner_of(account_id)
        name = directory.name_of(account_id)
        notice = Notice(
            title=f"Churn risk: {name}",
            facts=[("Score now", f"{risk.score:.0f}"), ("Peak", f"{risk.peak_score:.0f} on {risk.peak_at:%Y-%m-%d}"),
                   ("Drop", f"{risk.drop:.0f} points (threshold {risk.threshold:.0f})")],
            lines=["Community engagement fell sharply: check in before renewal."],
            mention=directory.mention(owner),
        )
        candidate = Candidate(key=key, account_id=account_id, owner_id=owner, score=risk.peak_score,
                              value=directory.value_of(account_id))
        text, blocks = notice.slack(draft=draft)
        actions: list[Action] = [SendSlackAlert(
            key=f"{key}:slack", channel=config.review_channel if draft else config.channel, text=text, blocks=blocks,
            mode=config.mode, priority=candidate.priority, owner_id=owner, play=key)]
        if not draft:
            actions.append(CreateCrmTask(
                key=f"{key}:task", crm=crm, account_id=account_id, subject=f"Churn risk: {shorten(name, 200)}",
                body=notice.task_body(), due_at=now + timedelta(hours=config.task_due_hours), owner_id=owner,
                mode=config.mode, priority=candidate.priority, play=key))
        plays.append(Play(candidate, tuple(actions)))
    return plays
