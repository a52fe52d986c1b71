"""The nurture playbook: a person entering Consideration joins the nurture, once per episode.

HubSpot: the contact goes on a static list (lists v3) and, when a sequence and its sender
are configured, into the sequence (sequences v4). Salesforce: the contact becomes a member
of the nurture campaign. People who asked to be forgotten, or who have no CRM contact,
are never enrolled. A person still in the same Consideration episode is enrolled once; one
who drops out and comes back is a new episode and enrolled again (a second touch is the
point of a nurture). Only people active in the recency window are enrolled, so switching
the playbook live does not enroll everyone who ever passed through Consideration.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from playbooks.actions import Action, AddToList, EnrollInSequence, Mode, RecordDraft
from playbooks.capacity import PlayPlan
from playbooks.people import Person
from scoring.model import ScoringModel
from scoring.records import TierState

__all__ = ["NurturePlaybookConfig", "plan_nurture"]


class NurturePlaybookConfig(BaseModel):
    """Where nurtured people go in each CRM."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(default="draft", description="off, draft (recorded and reported only) or live.")
    hubspot_list_id: str | None = Field(default=None, description="HubSpot static list (ILS list id) people join.")
    hubspot_sequence_id: str | None = Field(default=None, description="HubSpot sequence to enroll them in (optional).")
    hubspot_sender_email: str | None = Field(default=None, description="The connected inbox the sequence sends from.")
    hubspot_sender_user_id: str | None = Field(default=None, description="The HubSpot user id of that sender.")
    salesforce_campaign_id: str | None = Field(default=None, description="Salesforce campaign people join.")

    def missing(self, crm: str) -> list[str]:
        """What a live nurture in ``crm`` still needs (empty: ready)."""
        if self.mode != "live":
            return []
        if crm == "hubspot":
            gaps = [] if self.hubspot_list_id else ["nurture_hubspot_list_id"]
            if self.hubspot_sequence_id and not (self.hubspot_sender_email and self.hubspot_sender_user_id):
                gaps.append("nurture_hubspot_sender_email and nurture_hubspot_sender_user_id (for the sequence)")
            return gaps
        return [] if self.salesforce_campaign_id else ["nurture_salesforce_campaign_id"]


def play_key(person: str, episode: int, mode: Mode) -> str:
    """Once per person per Consideration episode; drafts apart, so going live still enrolls."""
    return f"nurture:{person}:{episode}" + (":draft" if mode == "draft" else "")


def plan_nurture(
    states: Iterable[TierState],
    people: Mapping[str, Person],
    config: NurturePlaybookConfig,
    model: ScoringModel,
    now: datetime,
    *,
    crm: str,
    known_plays: Collection[str] = (),
    opted_out: Collection[str] = (),
) -> PlayPlan:
    """Nurture actions for people at Consideration, recently active, not yet enrolled this episode.

    ``states`` are the people's tier states now (member states, keyed by person).
    """
    if config.mode == "off":
        return PlayPlan()
    recent_since = now - timedelta(days=model.recency_days)
    actions: list[Action] = []
    for state in sorted(states, key=lambda s: s.entity_id):
        person = people.get(state.entity_id)
        key = play_key(state.entity_id, state.episode, config.mode)
        if (state.tier != "consideration" or key in known_plays or person is None or not person.contact_id
                or state.entity_id in opted_out or person.last_activity_at is None
                or person.last_activity_at < recent_since):
            continue
        if config.mode == "draft":
            actions.append(RecordDraft(key=f"{key}:record", playbook="nurture", play=key, priority=person.score,
                                       summary=f"{person.name} entered Consideration ({person.score:.0f}): "
                                               f"would join the nurture in {crm}"))
            continue
        actions += _enrollment(key, person.contact_id, person.score, config, crm)
    return PlayPlan(actions)


def _enrollment(key: str, contact_id: str, score: float, config: NurturePlaybookConfig, crm: str) -> list[Action]:
    if crm == "salesforce":
        if not config.salesforce_campaign_id:
            return []
        return [AddToList(key=f"{key}:list", crm=crm, list_id=config.salesforce_campaign_id, contact_id=contact_id,
                          priority=score, play=key)]
    actions: list[Action] = []
    if config.hubspot_list_id:
        actions.append(AddToList(key=f"{key}:list", crm=crm, list_id=config.hubspot_list_id, contact_id=contact_id,
                                 priority=score, play=key))
    if config.hubspot_sequence_id and config.hubspot_sender_email and config.hubspot_sender_user_id:
        actions.append(EnrollInSequence(key=f"{key}:sequence", sequence_id=config.hubspot_sequence_id,
                                        contact_id=contact_id, sender_email=config.hubspot_sender_email,
                                        user_id=config.hubspot_sender_user_id, priority=score, play=key))
    return actions
