"""The champion playbook: a member at Intent on every day of the streak is invited to be a champion, once.

Trigger: `scoring.signals.champions`. Live: a CRM task for the community manager with the
evidence (on the person's account, when they have one), a message to the community team's
Slack channel, and - when configured - a Discourse group membership and/or a private message
from the forum's system user. Once per person, ever.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import (
    Action,
    AddToDiscourseGroup,
    CreateCrmTask,
    Mode,
    SendDiscourseMessage,
    SendSlackAlert,
)
from playbooks.capacity import Play
from playbooks.intent_messages import shorten
from playbooks.notices import Notice
from playbooks.owners import Directory
from playbooks.people import Person
from scoring.priority import Candidate
from scoring.signals import Champion

__all__ = ["ChampionPlaybookConfig", "champion_plays"]

DEFAULT_MESSAGE = (
    "Hi {name},\n\nYou have been one of the most helpful people in our community for the last {days} days. "
    "We would love to invite you to our champions programme: early access, a direct line to the team, "
    "and a say in the roadmap.\n\nReply to this message if you are interested!"
)


class ChampionPlaybookConfig(BaseModel):
    """Who hears about new champions, and how the forum invites them."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (review channel only) or live.")
    team_channel: str = Field(default="community-team", description="Slack channel of the community team.")
    review_channel: str = Field(default="community-review", description="Channel for drafts.")
    manager_owner_id: str | None = Field(default=None, description="CRM owner id of the community manager "
                                         "(gets the task); empty = the account's owner.")
    discourse_group: str | None = Field(default=None, description="Discourse group champions join; empty = none.")
    discourse_message_title: str | None = Field(default=None, description="Title of the private invitation "
                                                "from the system user; empty = no message.")
    discourse_message: str = Field(default=DEFAULT_MESSAGE, min_length=20, max_length=20_000,
                                   description="The invitation's text; {name} and {days} are filled in.")
    task_due_hours: float = Field(default=72, gt=0, le=24 * 365, description="The task is due this many hours later.")


def fill(template: str, **values: str) -> str:
    """``{name}``-style fields filled in one pass: a value is never read as a field itself."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def play_key(person: str, mode: Mode) -> str:
    return f"champion:{person}" + (":draft" if mode == "draft" else "")


def champion_plays(
    champions: Mapping[str, Champion],
    people: Mapping[str, Person],
    directory: Directory,
    config: ChampionPlaybookConfig,
    now: datetime,
    *,
    crm: str,
    known_plays: Collection[str] = (),
) -> list[Play]:
    """One invitation play per champion not invited yet (in this mode)."""
    if config.mode == "off":
        return []
    draft = config.mode == "draft"
    plays = []
    for person_key, champion in sorted(champions.items()):
        person = people.get(person_key)
        key = play_key(person_key, config.mode)
        if person is None or key in known_plays:
            continue
        account_id = person.account_id if person.account_id in directory.accounts else None
        owner = config.manager_owner_id or directory.owner_of(account_id)
        notice = Notice(
            title=f"New champion: {person.name}",
            facts=[("At Intent for", f"{champion.streak_days} days"), ("Lowest score", f"{champion.lowest_score:.0f}"),
                   ("Score now", f"{person.score:.0f}"), ("Account", directory.name_of(account_id)),
                   ("Forum", person.forum_username or "-")],
            lines=["Invite them to the champions programme."],
            mention=directory.mention(owner),
        )
        candidate = Candidate(key=key, account_id=account_id or "", owner_id=owner, score=person.score,
                              value=directory.value_of(account_id))
        text, blocks = notice.slack(draft=draft)
        actions: list[Action] = [SendSlackAlert(
            key=f"{key}:slack", channel=config.review_channel if draft else config.team_channel, text=text,
            blocks=blocks, mode=config.mode, priority=candidate.priority, owner_id=owner, play=key)]
        if not draft:
            actions += _live_actions(key, person, champion, account_id, owner, notice, config, now, crm,
                                     candidate.priority)
        plays.append(Play(candidate, tuple(actions)))
    return plays


def _live_actions(key: str, person: Person, champion: Champion, account_id: str | None, owner: str | None,
                  notice: Notice, config: ChampionPlaybookConfig, now: datetime, crm: str,
                  priority: float) -> list[Action]:
    common = {"priority": priority, "owner_id": owner, "play": key}
    actions: list[Action] = []
    if account_id:
        actions.append(CreateCrmTask(
            key=f"{key}:task", crm=crm, account_id=account_id, subject=f"Champion: {shorten(person.name, 200)}",
            body=notice.task_body(), due_at=now + timedelta(hours=config.task_due_hours), task_priority="MEDIUM",
            **common))
    if person.forum_username and config.discourse_group:
        actions.append(AddToDiscourseGroup(key=f"{key}:group", group=config.discourse_group,
                                           username=person.forum_username, **common))
    if person.forum_username and config.discourse_message_title:
        raw = fill(config.discourse_message, name=person.name, days=str(champion.streak_days))
        actions.append(SendDiscourseMessage(key=f"{key}:message", username=person.forum_username,
                                            title=config.discourse_message_title, raw=raw, **common))
    return actions
