"""The newsletter playbook: once a month, people at Awareness join the newsletter list or campaign.

Memberships are idempotent, so the monthly key only keeps a month's run from re-adding the
same people every day. Drafts record one line for the month with the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, AddToList, Mode, RecordDraft
from playbooks.capacity import PlayPlan
from playbooks.people import Person
from scoring.records import TierState

__all__ = ["NewsletterPlaybookConfig", "plan_newsletter"]


class NewsletterPlaybookConfig(BaseModel):
    """Where the newsletter's audience lives in each CRM."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (recorded and reported only) or live.")
    hubspot_list_id: str | None = Field(default=None, description="HubSpot static list of newsletter readers.")
    salesforce_campaign_id: str | None = Field(default=None, description="Salesforce newsletter campaign.")

    def target(self, crm: str) -> str | None:
        return self.hubspot_list_id if crm == "hubspot" else self.salesforce_campaign_id

    def missing(self, crm: str) -> list[str]:
        if self.mode != "live" or self.target(crm):
            return []
        return [f"newsletter_{crm}_{'list' if crm == 'hubspot' else 'campaign'}_id"]


def plan_newsletter(
    states: Iterable[TierState],
    people: Mapping[str, Person],
    config: NewsletterPlaybookConfig,
    now: datetime,
    *,
    crm: str,
    known_plays: Collection[str] = (),
    opted_out: Collection[str] = (),
) -> PlayPlan:
    """This month's newsletter memberships of people at Awareness with a CRM contact."""
    month = f"{now:%Y-%m}"
    audience = sorted((
        people[s.entity_id] for s in states
        if s.tier == "awareness" and s.entity_id in people and people[s.entity_id].contact_id
        and s.entity_id not in opted_out
    ), key=lambda p: p.key) if config.mode != "off" else []
    if config.mode == "draft":
        key = f"newsletter:{month}:draft"
        if not audience or key in known_plays:
            return PlayPlan()
        return PlayPlan([RecordDraft(key=f"{key}:record", playbook="newsletter", play=key,
                                     summary=f"would add {len(audience)} people at Awareness to the {month} "
                                             f"newsletter audience in {crm}")])
    target = config.target(crm)
    if config.mode == "off" or not target:
        return PlayPlan()
    actions: list[Action] = []
    for person in audience:
        key = f"newsletter:{month}:{person.key}"
        if key not in known_plays and person.contact_id:
            actions.append(AddToList(key=f"{key}:list", crm=crm, list_id=target, contact_id=person.contact_id,
                                     priority=person.score, play=key))
    return PlayPlan(actions)
