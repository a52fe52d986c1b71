"""The re-emergence planner (pure): a returning member at a warm account is a note for its owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playbooks.actions import CreateCrmTask, SendSlackAlert
from playbooks.reemergence import ReemergencePlaybookConfig, reemergence_plays
from scoring.signals import Reemergence

from ._plays import NASTY, NOW, directory, keys, person, plays, round_trips, slack_raw

BACK = datetime(2026, 10, 30, 15, tzinfo=UTC)
RETURNS = {"p1": Reemergence("p1", BACK - timedelta(days=75), BACK, 75.0)}
LIVE = ReemergencePlaybookConfig(mode="live")


def actions(config=LIVE, tier="consideration", people=None, returns=RETURNS, directory_=None, **kwargs):
    people = {"p1": person()} if people is None else people
    found = reemergence_plays(returns, people, {"a1": tier}, directory_ or directory(), config, NOW,
                              crm="hubspot", **kwargs)
    return [a for play in found for a in play.actions]


def test_live_is_one_low_priority_task_for_the_owner() -> None:
    planned = actions()
    assert keys(planned) == ["reemergence:p1:2026-10-30:task"]
    task = planned[0]
    assert isinstance(task, CreateCrmTask)
    assert (task.account_id, task.owner_id, task.task_priority, task.mode) == ("a1", "7", "LOW", "live")
    assert task.due_at == NOW + timedelta(hours=72) and task.subject == "Back in the community: Ann"
    assert "Silent for: 75 days" in task.body and "Tier: consideration" in task.body
    assert task.priority == 80.0 * 1000.0 and plays(planned) == {"reemergence:p1:2026-10-30"} and round_trips(planned)


def test_off_plans_nothing_and_draft_only_tells_the_review_channel() -> None:
    assert actions(ReemergencePlaybookConfig(mode="off")) == []
    drafts = actions(ReemergencePlaybookConfig(mode="draft"))
    assert len(drafts) == 1 and isinstance(drafts[0], SendSlackAlert)
    assert (drafts[0].key, drafts[0].channel, drafts[0].mode) == ("reemergence:p1:2026-10-30:draft:slack",
                                                                  "community-review", "draft")
    assert drafts[0].text.startswith("[DRAFT]") and round_trips(drafts)


def test_only_accounts_at_consideration_or_intent() -> None:
    assert len(actions(tier="intent")) == 1
    assert actions(tier="awareness") == [] and actions(tier=None) == []
    assert actions(people={"p1": person(account_id=None)}) == []
    assert actions(people={"p1": person(account_id="zz")}) == []
    assert actions(people={}) == []


def test_once_per_return_and_a_draft_does_not_use_up_the_live_play() -> None:
    drafts = actions(ReemergencePlaybookConfig(mode="draft"))
    live = actions(known_plays=plays(drafts))
    assert len(live) == 1 and actions(known_plays=plays(drafts) | plays(live)) == []
    later = BACK + timedelta(days=70)
    again = {"p1": Reemergence("p1", BACK, later, 70.0)}
    assert keys(actions(returns=again, known_plays=plays(live))) == ["reemergence:p1:2027-01-08:task"]


def test_a_nasty_name_never_reaches_slack_unescaped() -> None:
    drafts = actions(ReemergencePlaybookConfig(mode="draft"), people={"p1": person(name=NASTY)},
                     directory_=directory(NASTY))
    assert "<!channel>" not in slack_raw(drafts[0]) and "&lt;!channel&gt; &amp; co" in slack_raw(drafts[0])
    task = actions(people={"p1": person(name=NASTY)})[0]
    assert task.subject == f"Back in the community: {NASTY}"
