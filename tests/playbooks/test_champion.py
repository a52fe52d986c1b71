"""The champion planner (pure): one invitation per person, ever; forum steps only when configured."""

from __future__ import annotations

from datetime import timedelta

from playbooks.actions import (
    AddToDiscourseGroup,
    CreateCrmTask,
    SendDiscourseMessage,
    SendSlackAlert,
)
from playbooks.champion import ChampionPlaybookConfig, champion_plays
from scoring.signals import Champion

from ._plays import NASTY, NOW, directory, keys, person, plays, round_trips, slack_raw

CHAMPIONS = {"p1": Champion("p1", 30, 61.0)}
LIVE = ChampionPlaybookConfig(mode="live", discourse_group="champions", discourse_message_title="An invitation")


def actions(config=LIVE, people=None, champions=CHAMPIONS, directory_=None, **kwargs):
    people = {"p1": person()} if people is None else people
    found = champion_plays(champions, people, directory_ or directory(), config, NOW, crm="hubspot", **kwargs)
    return [a for play in found for a in play.actions]


def test_live_plans_slack_task_group_and_message() -> None:
    planned = actions()
    assert keys(planned) == ["champion:p1:group", "champion:p1:message", "champion:p1:slack", "champion:p1:task"]
    by_kind = {type(a): a for a in planned}
    assert by_kind[SendSlackAlert].channel == "community-team" and "<@U7>" in by_kind[SendSlackAlert].text
    task = by_kind[CreateCrmTask]
    assert (task.account_id, task.owner_id, task.task_priority) == ("a1", "7", "MEDIUM")
    assert task.due_at == NOW + timedelta(hours=72)
    assert (by_kind[AddToDiscourseGroup].group, by_kind[AddToDiscourseGroup].username) == ("champions", "ann")
    message = by_kind[SendDiscourseMessage]
    assert message.title == "An invitation" and message.raw.startswith("Hi Ann,") and "last 30 days" in message.raw
    assert plays(planned) == {"champion:p1"} and round_trips(planned)


def test_forum_steps_only_when_configured_and_the_person_has_a_forum_username() -> None:
    assert keys(actions(ChampionPlaybookConfig(mode="live"))) == ["champion:p1:slack", "champion:p1:task"]
    assert keys(actions(people={"p1": person(forum=None)})) == ["champion:p1:slack", "champion:p1:task"]
    only_group = LIVE.model_copy(update={"discourse_message_title": None})
    assert keys(actions(only_group)) == ["champion:p1:group", "champion:p1:slack", "champion:p1:task"]


def test_no_crm_task_without_a_known_account() -> None:
    for someone in (person(account_id=None), person(account_id="unknown")):
        assert keys(actions(people={"p1": someone})) == ["champion:p1:group", "champion:p1:message",
                                                         "champion:p1:slack"]


def test_the_community_manager_gets_the_play_when_configured() -> None:
    config = LIVE.model_copy(update={"manager_owner_id": "9"})
    found = champion_plays(CHAMPIONS, {"p1": person()}, directory(), config, NOW, crm="hubspot")
    assert found[0].candidate.owner_id == "9"
    assert {a.owner_id for a in found[0].actions} == {"9"}


def test_off_plans_nothing_and_draft_only_tells_the_review_channel() -> None:
    assert actions(LIVE.model_copy(update={"mode": "off"})) == []
    drafts = actions(LIVE.model_copy(update={"mode": "draft"}))
    assert len(drafts) == 1 and isinstance(drafts[0], SendSlackAlert)
    assert (drafts[0].key, drafts[0].channel, drafts[0].mode) == ("champion:p1:draft:slack", "community-review",
                                                                  "draft")
    assert drafts[0].text.startswith("[DRAFT]") and round_trips(drafts)


def test_once_per_person_and_a_draft_does_not_use_up_the_live_play() -> None:
    drafts = actions(LIVE.model_copy(update={"mode": "draft"}))
    live = actions(known_plays=plays(drafts))
    assert len(live) == 4
    assert actions(known_plays=plays(drafts) | plays(live)) == []
    assert actions(people={}) == []


def test_a_nasty_name_never_reaches_slack_unescaped_but_the_task_is_plain_text() -> None:
    planned = actions(people={"p1": person(name=NASTY)}, directory_=directory(NASTY))
    alert = next(a for a in planned if isinstance(a, SendSlackAlert))
    assert "<!channel>" not in slack_raw(alert) and "&lt;!channel&gt; &amp; co" in slack_raw(alert)
    task = next(a for a in planned if isinstance(a, CreateCrmTask))
    assert task.subject == f"Champion: {NASTY}" and f"New champion: {NASTY}" in task.body
    assert f"Account: {NASTY}" in task.body


def test_the_invitation_shows_the_name_as_written() -> None:
    message = next(a for a in actions(people={"p1": person(name="Ann {days}")}) if isinstance(a, SendDiscourseMessage))
    assert message.raw.startswith("Hi Ann {days},")
