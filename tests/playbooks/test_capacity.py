"""The weekly capacity shared by every owner-facing playbook, and how the week's plays are counted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from connectors.store import LedgerEntry
from playbooks.actions import Action, AddToList, RecordDraft, SendSlackAlert
from playbooks.capacity import allot, plays_this_week
from playbooks.champion import ChampionPlaybookConfig, champion_plays
from playbooks.churn import ChurnPlaybookConfig, churn_plays
from playbooks.owners import Directory
from playbooks.reemergence import ReemergencePlaybookConfig, reemergence_plays
from scoring import CrmAccount, ScoringModel
from scoring.signals import Champion, ChurnRisk, Reemergence

from ._plays import NOW, keys, person

STARTED = datetime(2026, 10, 22, 6, 30, tzinfo=UTC)

DIRECTORY = Directory(accounts={
    "a1": CrmAccount("a1", "One", owner_id="7", value=1000), "a2": CrmAccount("a2", "Two", owner_id="7", value=3000),
    "a3": CrmAccount("a3", "Three", owner_id="7", value=2000), "a4": CrmAccount("a4", "Four", owner_id="8", value=10),
})
PEAK = datetime(2026, 10, 20, tzinfo=UTC)


def all_plays(mode: str = "live"):
    """A churn save at a2 (priority 270,000) and at a4 (owner 8), a returning member at a3 (100,000),
    a champion at a1 (80,000)."""
    risks = {a: ChurnRisk(a, 30.0, 90.0, PEAK, 60.0, 40.0) for a in ("a2", "a4")}
    back = {"p2": Reemergence("p2", PEAK - timedelta(days=70), PEAK, 70.0)}
    people = {"p1": person(), "p2": person("p2", account_id="a3", score=50.0)}
    return (churn_plays(risks, DIRECTORY, ChurnPlaybookConfig(mode=mode), NOW, crm="hubspot",
                        started={a: STARTED for a in risks})
            + reemergence_plays(back, people, {"a3": "intent"}, DIRECTORY, ReemergencePlaybookConfig(mode=mode),
                                NOW, crm="hubspot")
            + champion_plays({"p1": Champion("p1", 30, 61.0)}, people, DIRECTORY, ChampionPlaybookConfig(mode=mode),
                             NOW, crm="hubspot"))


def test_plays_of_several_playbooks_share_the_owners_cap_highest_priority_first() -> None:
    plan = allot(all_plays(), {}, ScoringModel(capacity_per_owner_per_week=2))
    assert keys(plan.actions) == ["churn:a2:2026-10-22T06:30:00:slack", "churn:a2:2026-10-22T06:30:00:task",
                                  "churn:a4:2026-10-22T06:30:00:slack", "churn:a4:2026-10-22T06:30:00:task",
                                  "reemergence:p2:2026-10-20:task"]
    assert [d.candidate.key for d in plan.deferred] == ["champion:p1"]
    assert plan.deferred[0].reason == ("owner 7 reached the capacity of 2 plays per week (0 earlier this week, "
                                       "2 of higher priority now); priority 80000")


def test_plays_earlier_this_week_use_up_the_cap() -> None:
    plan = allot(all_plays(), {"7": 1}, ScoringModel(capacity_per_owner_per_week=2))
    assert {a.play for a in plan.actions} == {"churn:a2:2026-10-22T06:30:00", "churn:a4:2026-10-22T06:30:00"}
    assert [d.candidate.key for d in plan.deferred] == ["reemergence:p2:2026-10-20", "champion:p1"]
    assert all("(1 earlier this week" in d.reason for d in plan.deferred)


def done(action: Action, days_ago: float = 1) -> LedgerEntry:
    at = NOW - timedelta(days=days_ago)
    return LedgerEntry(action.key, action.kind, "done", action.to_payload(), "x", 1, None, at, at)


def test_a_play_counts_once_and_drafts_apart_from_live() -> None:
    live = [a for play in all_plays() for a in play.actions]
    drafts = [a for play in all_plays("draft") for a in play.actions]
    entries = [done(a) for a in live + drafts]
    assert plays_this_week(entries, NOW, draft=False) == {"7": 3, "8": 1}
    assert plays_this_week(entries, NOW, draft=True) == {"7": 3, "8": 1}
    assert plays_this_week([done(a) for a in live], NOW, draft=True) == {}


def test_only_owner_facing_plays_of_the_last_seven_days_count() -> None:
    slack = SendSlackAlert(key="intent:a1:1:slack", channel="c", text="t", owner_id="7", play="intent:a1:1")
    entries = [
        done(slack, days_ago=7), done(replace(slack, key="intent:a2:1:slack", play="intent:a2:1"), days_ago=7.001),
        done(AddToList(key="nurture:p1:1:list", crm="hubspot", list_id="L", contact_id="c", owner_id="7",
                       play="nurture:p1:1")),
        done(AddToList(key="newsletter:2026-11:p1:list", crm="hubspot", list_id="L", contact_id="c", owner_id="7",
                       play="newsletter:2026-11:p1")),
        done(SendSlackAlert(key="sla:intent:a1:1:task:slack", channel="c", text="t", owner_id="7",
                            play="sla:intent:a1:1:task")),
        done(RecordDraft(key="champion:p9:draft:record", playbook="champion", summary="s", owner_id="7",
                         play="champion:p9:draft")),
    ]
    assert plays_this_week(entries, NOW, draft=False) == {"7": 1}
    assert plays_this_week(entries, NOW, draft=True) == {}


def test_entries_recorded_before_plays_were_named_count_by_their_key() -> None:
    legacy = [LedgerEntry(key, "slack_alert", "done", {"owner_id": "8"}, "x", 1, None, NOW, NOW)
              for key in ("intent:a4:2:slack", "intent:a4:2:task", "intent:a4:3:draft:slack")]
    assert plays_this_week(legacy, NOW, draft=False) == {"8": 1}
    assert plays_this_week(legacy, NOW, draft=True) == {"8": 1}
