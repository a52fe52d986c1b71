"""The 48-hour SLA: an Intent task still open 48 hours after it was created gets one reminder.

The CRM says which tasks are closed (`tasks_closed` on either connector); this module only
decides. Compliance = the share of the tasks past their SLA that their owners had closed
when checked, over the tasks of the last ``window_days``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Mode, SendSlackAlert
from playbooks.capacity import PlayPlan
from playbooks.notices import Notice
from playbooks.owners import Directory

if TYPE_CHECKING:
    from connectors.store import LedgerEntry

__all__ = ["SlaConfig", "SlaReport", "SlaTask", "plan_sla", "tasks_to_check"]


class SlaConfig(BaseModel):
    """How long an Intent task may stay open, and where reminders go."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (review channel only) or live.")
    hours: float = Field(default=48, gt=0, le=24 * 60, description="An Intent task open this long gets a reminder.")
    channel: str = Field(default="community-alerts", description="Slack channel for reminders (mentions the owner).")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    window_days: int = Field(default=30, ge=1, le=365, description="Tasks older than this are no longer checked.")


@dataclass(frozen=True)
class SlaTask:
    """An Intent task the ledger created: its key, CRM id, account, owner and when it was created."""

    key: str
    crm: str
    task_id: str
    account_id: str
    owner_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class SlaReport:
    """Tasks past the SLA when checked, how many were closed, and the reminders planned."""

    checked: int = 0
    closed: int = 0
    reminded: list[str] = field(default_factory=list)

    @property
    def compliance(self) -> float | None:
        return self.closed / self.checked if self.checked else None


def tasks_to_check(entries: Iterable[LedgerEntry], config: SlaConfig, now: datetime) -> list[SlaTask]:
    """Intent tasks done (created in the CRM) between ``window_days`` and ``hours`` ago."""
    oldest, youngest = now - timedelta(days=config.window_days), now - timedelta(hours=config.hours)
    return [
        SlaTask(e.key, str(e.payload.get("crm")), e.external_id, str(e.payload.get("account_id")),
                e.payload.get("owner_id"), e.updated_at)
        for e in entries
        if e.kind == "crm_task" and e.status == "done" and e.external_id and e.key.startswith("intent:")
        and oldest <= e.updated_at <= youngest
    ]


def play_key(task: SlaTask, mode: Mode) -> str:
    return f"sla:{task.key}" + (":draft" if mode == "draft" else "")


def plan_sla(
    tasks: Iterable[SlaTask],
    closed: Mapping[str, bool],
    directory: Directory,
    config: SlaConfig,
    *,
    known_plays: Collection[str] = (),
) -> tuple[PlayPlan, SlaReport]:
    """One reminder per task still open past the SLA; ``closed``: task id → closed (absent = unknown)."""
    if config.mode == "off":
        return PlayPlan(), SlaReport()
    draft = config.mode == "draft"
    checked = done = 0
    actions = []
    for task in sorted(tasks, key=lambda t: t.key):
        if task.task_id not in closed:
            continue  # deleted in the CRM, or not readable: neither compliant nor overdue
        checked += 1
        if closed[task.task_id]:
            done += 1
            continue
        key = play_key(task, config.mode)
        if key in known_plays:
            continue
        name = directory.name_of(task.account_id)
        notice = Notice(
            title=f"Reminder: the Intent task for {name} is still open",
            facts=[("Created", f"{task.created_at:%Y-%m-%d %H:%M} UTC"), ("SLA", f"{config.hours:g} hours"),
                   ("Task", f"{task.crm} {task.task_id}")],
            lines=["Reach out while the account is still engaged, then close the task."],
            mention=directory.mention(task.owner_id),
        )
        text, blocks = notice.slack(draft=draft)
        actions.append(SendSlackAlert(key=f"{key}:slack", channel=config.review_channel if draft else config.channel,
                                      text=text, blocks=blocks, mode=config.mode, owner_id=task.owner_id, play=key))
    return PlayPlan(actions), SlaReport(checked, done, [a.key for a in actions])
