"""The newsletter planner (pure): once a month, people at Awareness join the audience."""

from __future__ import annotations

from datetime import timedelta

from playbooks.actions import AddToList, RecordDraft
from playbooks.newsletter import NewsletterPlaybookConfig, plan_newsletter
from scoring.records import TierState

from ._plays import NOW, keys, person, plays, round_trips

LIVE = NewsletterPlaybookConfig(mode="live", hubspot_list_id="N1", salesforce_campaign_id="701N")
PEOPLE = {"p1": person(), "p2": person("p2", contact_id="c2"), "p3": person("p3", contact_id=None),
          "p4": person("p4", contact_id="c4")}
STATES = [TierState("p1", "awareness", 5.0, NOW), TierState("p2", "awareness", 5.0, NOW),
          TierState("p3", "awareness", 5.0, NOW), TierState("p4", "consideration", 30.0, NOW),
          TierState("p5", "awareness", 5.0, NOW)]


def actions(config=LIVE, *, crm="hubspot", now=NOW, **kwargs):
    return plan_newsletter(STATES, PEOPLE, config, now, crm=crm, **kwargs).actions


def test_live_adds_people_at_awareness_with_a_contact_under_a_monthly_key() -> None:
    planned = actions()
    assert keys(planned) == ["newsletter:2026-11:p1:list", "newsletter:2026-11:p2:list"]
    assert all(isinstance(a, AddToList) and (a.crm, a.list_id) == ("hubspot", "N1") for a in planned)
    assert [a.contact_id for a in planned] == ["c1", "c2"] and round_trips(planned)
    salesforce = actions(crm="salesforce")
    assert {a.list_id for a in salesforce} == {"701N"} and len(salesforce) == 2


def test_the_month_is_done_once_and_next_month_adds_again() -> None:
    done = plays(actions())
    assert done == {"newsletter:2026-11:p1", "newsletter:2026-11:p2"}
    assert actions(known_plays=done) == []
    assert actions(now=NOW + timedelta(days=29), known_plays=done) == []
    assert keys(actions(now=NOW + timedelta(days=30), known_plays=done)) == [
        "newsletter:2026-12:p1:list", "newsletter:2026-12:p2:list"]


def test_opted_out_people_are_left_out() -> None:
    assert keys(actions(opted_out={"p1"})) == ["newsletter:2026-11:p2:list"]


def test_off_plans_nothing_and_live_without_a_target_plans_nothing() -> None:
    assert actions(NewsletterPlaybookConfig(mode="off", hubspot_list_id="N1")) == []
    assert actions(NewsletterPlaybookConfig(mode="live")) == []
    assert NewsletterPlaybookConfig(mode="live").missing("salesforce") == ["newsletter_salesforce_campaign_id"]


def test_draft_is_one_record_for_the_month_whatever_the_audience() -> None:
    drafts = actions(NewsletterPlaybookConfig(mode="draft"))
    assert len(drafts) == 1 and isinstance(drafts[0], RecordDraft)
    assert (drafts[0].key, drafts[0].play) == ("newsletter:2026-11:draft:record", "newsletter:2026-11:draft")
    assert "would add 2 people" in drafts[0].summary and round_trips(drafts)
    assert actions(NewsletterPlaybookConfig(mode="draft"), known_plays=plays(drafts)) == []
    assert len(actions(known_plays=plays(drafts))) == 2  # the draft does not use up the live month
    assert plan_newsletter([], PEOPLE, NewsletterPlaybookConfig(mode="draft"), NOW, crm="hubspot").actions == []
