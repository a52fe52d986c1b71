"""The re-emergence playbook: a member back after a long silence, at a warm account, is news for its owner.

Trigger: `scoring.signals.reemerged` (first activity after ``reemergence_gap_days``+ of
silence) by a person whose account is at Consideration or Intent now. Live: a CRM task (a
low-priority note) for the account's owner; draft: the note goes to the review channel.
Once per return: the key holds the day the person came back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import CreateCrmTask, Mode, SendSlackAlert
from playbooks.capacity import Play
from playbooks.intent_messages import shorten
from playbooks.notices import Notice
from playbooks.owners import Directory
from playbooks.people import Person
from scoring.priority import Candidate
from scoring.signals import Reemergence

__all__ = ["ReemergencePlaybookConfig", "reemergence_plays"]

WARM_TIERS = frozenset({"consideration", "intent"})


class ReemergencePlaybookConfig(BaseModel):
    """How returning members are announced."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (review channel only) or live.")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    task_due_hours: float = Field(default=72, gt=0, le=24 * 365, description="The note is due this many hours later.")


def play_key(returned: Reemergence, person: str, mode: Mode) -> str:
    return f"reemergence:{person}:{returned.returned_at.date().isoformat()}" + (":draft" if mode == "draft" else "")


def reemergence_plays(
    returns: Mapping[str, Reemergence],
    people: Mapping[str, Person],
    account_tiers: Mapping[str, str | None],
    directory: Directory,
    config: ReemergencePlaybookConfig,
    now: datetime,
    *,
    crm: str,
    known_plays: Collection[str] = (),
) -> list[Play]:
    """One note per return of a person whose account is at Consideration or Intent."""
    if config.mode == "off":
        return []
    draft = config.mode == "draft"
    plays = []
    for person_key, returned in sorted(returns.items()):
        person = people.get(person_key)
        account_id = person.account_id if person else None
        key = play_key(returned, person_key, config.mode)
        if (person is None or account_id is None or account_tiers.get(account_id) not in WARM_TIERS
                or key in known_plays or account_id not in directory.accounts):
            continue
        owner = directory.owner_of(account_id)
        notice = Notice(
            title=f"{person.name} is back in the community",
            facts=[("Account", directory.name_of(account_id)), ("Tier", str(account_tiers[account_id])),
                   ("Silent for", f"{returned.gap_days:.0f} days"), ("Back on", f"{returned.returned_at:%Y-%m-%d}")],
            lines=["A returning member at a warm account: a good moment to reconnect."],
            mention=directory.mention(owner),
        )
        candidate = Candidate(key=key, account_id=account_id, owner_id=owner, score=person.score,
                              value=directory.value_of(account_id))
        if draft:
            text, blocks = notice.slack(draft=True)
            action = SendSlackAlert(key=f"{key}:slack", channel=config.review_channel, text=text, blocks=blocks,
                                    mode="draft", priority=candidate.priority, owner_id=owner, play=key)
        else:
            action = CreateCrmTask(
                key=f"{key}:task", crm=crm, account_id=account_id,
                subject=f"Back in the community: {shorten(person.name, 200)}", body=notice.task_body(),
                due_at=now + timedelta(hours=config.task_due_hours), owner_id=owner, task_priority="LOW",
                mode="live", priority=candidate.priority, play=key)
        plays.append(Play(candidate, (action,)))
    return plays
