"""The nurture planner (pure): who joins the nurture, once per Consideration episode."""

from __future__ import annotations

from playbooks.actions import AddToList, EnrollInSequence, RecordDraft
from playbooks.nurture import NurturePlaybookConfig, plan_nurture
from scoring import ScoringModel
from scoring.records import TierState

from ._plays import NOW, keys, person, plays, round_trips

MODEL = ScoringModel()
HUBSPOT = NurturePlaybookConfig(mode="live", hubspot_list_id="L1", hubspot_sequence_id="S1",
                                hubspot_sender_email="team@vendor.example", hubspot_sender_user_id="U1")
SALESFORCE = NurturePlaybookConfig(mode="live", salesforce_campaign_id="701C")


def state(tier: str | None = "consideration", episode: int = 2, key: str = "p1") -> TierState:
    return TierState(key, tier, 40.0, NOW, episode)


def plan(config=HUBSPOT, states=None, people=None, *, crm="hubspot", **kwargs):
    people = {"p1": person()} if people is None else people
    return plan_nurture(states or [state()], people, config, MODEL, NOW, crm=crm, **kwargs)


def test_live_hubspot_joins_the_list_and_the_sequence() -> None:
    actions = plan().actions
    assert keys(actions) == ["nurture:p1:2:list", "nurture:p1:2:sequence"]
    listed, enrolled = sorted(actions, key=lambda a: a.key)
    assert isinstance(listed, AddToList) and (listed.crm, listed.list_id, listed.contact_id) == ("hubspot", "L1", "c1")
    assert isinstance(enrolled, EnrollInSequence)
    assert (enrolled.sequence_id, enrolled.sender_email, enrolled.user_id) == ("S1", "team@vendor.example", "U1")
    assert plays(actions) == {"nurture:p1:2"} and round_trips(actions)


def test_live_hubspot_without_a_complete_sender_only_joins_the_list() -> None:
    config = HUBSPOT.model_copy(update={"hubspot_sender_user_id": None})
    assert keys(plan(config).actions) == ["nurture:p1:2:list"]
    gap = "nurture_hubspot_sender_email and nurture_hubspot_sender_user_id (for the sequence)"
    assert config.missing("hubspot") == [gap]


def test_live_salesforce_joins_the_campaign() -> None:
    actions = plan(SALESFORCE, crm="salesforce").actions
    assert len(actions) == 1 and isinstance(actions[0], AddToList)
    assert (actions[0].key, actions[0].crm, actions[0].list_id) == ("nurture:p1:2:list", "salesforce", "701C")
    unconfigured = NurturePlaybookConfig(mode="live")
    assert plan(unconfigured, crm="salesforce").actions == []
    assert unconfigured.missing("salesforce") == ["nurture_salesforce_campaign_id"]


def test_off_plans_nothing_and_draft_only_records() -> None:
    assert plan(HUBSPOT.model_copy(update={"mode": "off"})).actions == []
    drafts = plan(HUBSPOT.model_copy(update={"mode": "draft"})).actions
    assert len(drafts) == 1 and isinstance(drafts[0], RecordDraft)
    assert (drafts[0].key, drafts[0].play, drafts[0].playbook) == ("nurture:p1:2:draft:record", "nurture:p1:2:draft",
                                                                   "nurture")
    assert "Ann" in drafts[0].summary and round_trips(drafts)


def test_a_draft_does_not_use_up_the_live_play_and_replanning_is_a_no_op() -> None:
    draft = plan(HUBSPOT.model_copy(update={"mode": "draft"})).actions
    live = plan(known_plays=plays(draft)).actions
    assert keys(live) == ["nurture:p1:2:list", "nurture:p1:2:sequence"]
    assert plan(known_plays=plays(draft) | plays(live)).actions == []


def test_a_new_consideration_episode_enrolls_again() -> None:
    first = plan().actions
    assert keys(plan(states=[state(episode=4)], known_plays=plays(first)).actions) == [
        "nurture:p1:4:list", "nurture:p1:4:sequence"]


def test_only_recently_active_people_at_consideration_with_a_contact_not_opted_out() -> None:
    assert plan(states=[state("awareness")]).actions == []
    assert plan(states=[state("intent")]).actions == []
    assert plan(people={"p1": person(contact_id=None)}).actions == []
    assert plan(people={}).actions == []
    assert plan(people={"p1": person(days_ago=MODEL.recency_days + 1)}).actions == []
    assert plan(people={"p1": person(days_ago=MODEL.recency_days - 1)}).actions != []
    assert plan(opted_out={"p1"}).actions == []


def test_several_people_are_planned_in_key_order_with_their_score_as_priority() -> None:
    people = {"p2": person("p2", contact_id="c2", score=30.0), "p1": person()}
    actions = plan(SALESFORCE, [state(key="p2"), state(key="p1")], people, crm="salesforce").actions
    assert [(a.key, a.priority) for a in actions] == [("nurture:p1:2:list", 80.0), ("nurture:p2:2:list", 30.0)]
