"""The Intent playbook plan (pure): keys, recency, modes, escaping."""

import json
from datetime import datetime, timedelta, timezone

from playbooks.actions import CreateCrmTask, RecordDraft, SendSlackAlert, action_from_payload
from playbooks.briefs import AccountBrief
from playbooks.intent import IntentPlaybookConfig, plan_intent_actions
from scoring import Activity, CrmAccount, CrmOwner, ScoringModel
from scoring.holdouts import HoldoutConfig
from scoring.records import TierState

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
NASTY = "Help <!channel> *bold* & <@U999> <https://evil.example|click>"


def brief(last_days_ago: float = 1, plan: str = "free") -> AccountBrief:
    question = Activity("discourse", "post:9", "discourse:9", "premium_feature_question",
                        NOW - timedelta(days=last_days_ago), url="https://forum.example/t/x/9/1", title=NASTY)
    return AccountBrief(
        account=CrmAccount("42", "Acme <Corp> & Co", "acme.example", owner_id="7", plan=plan, value=5000),
        score=88.0, active_members=2, top_members=[("O'Brien *star*", 60.0), ("Zoë", 28.0)],
        top_activities=[("premium_feature_question", 2)], recent_questions=[question],
        last_activity_at=question.occurred_at, owner=CrmOwner("7", "sdr@vendor.example"), owner_slack_id="U7",
    )


LIVE = IntentPlaybookConfig(mode="live")


def entered(episode: int = 1) -> TierState:
    return TierState("42", "intent", 88.0, NOW, episode)


def test_one_alert_and_one_task_with_episode_keys() -> None:
    actions = plan_intent_actions([entered(3)], {"42": brief()}, LIVE, ScoringModel(), NOW).actions
    assert sorted(a.key for a in actions) == ["intent:42:3:slack", "intent:42:3:task"]
    task = next(a for a in actions if isinstance(a, CreateCrmTask))
    assert task.due_at == NOW + timedelta(hours=4) and task.account_id == "42" and task.owner_id == "7"
    assert all(action_from_payload(json.loads(json.dumps(a.to_payload()))) == a for a in actions)


def test_same_input_plans_the_same_keys() -> None:
    args = ([entered()], {"42": brief()}, LIVE, ScoringModel(), NOW)
    assert [a.key for a in plan_intent_actions(*args).actions] == [a.key for a in plan_intent_actions(*args).actions]


def test_recency_filter_and_modes() -> None:
    model = ScoringModel()
    assert plan_intent_actions([entered()], {"42": brief(last_days_ago=15)}, LIVE, model, NOW).actions == []
    assert plan_intent_actions([entered()], {"42": brief()}, IntentPlaybookConfig(mode="off"), model, NOW).actions == []
    drafts = plan_intent_actions([entered()], {"42": brief()}, IntentPlaybookConfig(mode="draft"), model, NOW).actions
    assert len(drafts) == 1 and isinstance(drafts[0], SendSlackAlert)
    assert drafts[0].channel == "community-review" and drafts[0].text.startswith("[DRAFT]")


def test_below_intent_plans_nothing() -> None:
    below = TierState("42", "consideration", 60.0, NOW, 1)
    assert plan_intent_actions([below], {"42": brief()}, LIVE, ScoringModel(), NOW).actions == []


def _texts(node):
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node.get("type"), node["text"]
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def test_community_text_is_escaped_and_never_formatted() -> None:
    alert = next(a for a in plan_intent_actions([entered()], {"42": brief()}, LIVE,
                                                 ScoringModel(), NOW).actions if isinstance(a, SendSlackAlert))
    raw = json.dumps(alert.blocks) + alert.text
    assert "<!channel>" not in raw and "<@U999>" not in raw and "<https://evil" not in raw
    assert "&lt;!channel&gt;" in raw and "&amp;" in raw
    assert "<@U7>" in raw  # the owner mention is ours, not community text
    for kind, text in _texts(alert.blocks):
        if kind == "mrkdwn":
            assert "*bold*" not in text and "*star*" not in text
    assert any("*bold*" in text for kind, text in _texts(alert.blocks) if kind in ("link", "text"))


def test_free_plans_go_to_conversion_and_paid_to_expansion() -> None:
    free = plan_intent_actions([entered()], {"42": brief(plan="free")}, LIVE, ScoringModel(), NOW)
    paid = plan_intent_actions([entered()], {"42": brief(plan="enterprise")}, LIVE, ScoringModel(), NOW)
    assert "Free-to-paid" in json.dumps(free.actions[0].blocks)
    assert "Expansion" in json.dumps(paid.actions[0].blocks)


def test_capacity_defers_plays_beyond_the_owners_weekly_cap() -> None:
    model = ScoringModel(capacity_per_owner_per_week=3)
    moves, briefs = [], {}
    for n in range(5):
        b = brief()
        account = CrmAccount(str(n), f"A{n}", owner_id="7", plan="pro", value=1000 * (n + 1))
        briefs[str(n)] = AccountBrief(**{**b.__dict__, "account": account})
        moves.append(TierState(str(n), "intent", 88.0, NOW, 1))
    plan = plan_intent_actions(moves, briefs, LIVE, model, NOW, plays_this_week={"7": 1})
    kept = sorted({a.key.split(":")[1] for a in plan.actions})
    assert kept == ["3", "4"]  # 3 per week, 1 already used: the two most valuable
    assert sorted(d.candidate.account_id for d in plan.deferred) == ["0", "1", "2"]
    assert all("7" in d.reason for d in plan.deferred)


def test_draft_plays_have_their_own_keys_and_live_catches_up_once() -> None:
    model = ScoringModel()
    draft = plan_intent_actions([entered(2)], {"42": brief()}, IntentPlaybookConfig(), model, NOW).actions
    assert [a.key for a in draft] == ["intent:42:2:draft:slack"]  # draft is the default
    known = {a.key for a in draft}
    live = plan_intent_actions([entered(2)], {"42": brief()}, LIVE, model, NOW, known_keys=known).actions
    assert sorted(a.key for a in live) == ["intent:42:2:slack", "intent:42:2:task"]
    known |= {a.key for a in live}
    assert plan_intent_actions([entered(2)], {"42": brief()}, LIVE, model, NOW, known_keys=known).actions == []


def test_an_account_that_reached_intent_while_quiet_is_played_when_active_again() -> None:
    model = ScoringModel()
    reached = TierState("42", "intent", 94.5, NOW - timedelta(days=20), 1)
    assert plan_intent_actions([reached], {"42": brief(last_days_ago=20)}, LIVE, model, NOW).actions == []
    later = NOW + timedelta(days=1)
    actions = plan_intent_actions([reached], {"42": brief(last_days_ago=-1)}, LIVE, model, later).actions
    assert sorted(a.key for a in actions) == ["intent:42:1:slack", "intent:42:1:task"]


def test_known_plays_do_not_use_up_capacity() -> None:
    model = ScoringModel(capacity_per_owner_per_week=1)
    states, briefs = [], {}
    for n in range(2):
        account = CrmAccount(str(n), f"A{n}", owner_id="7", plan="pro", value=1000 * (n + 1))
        briefs[str(n)] = AccountBrief(**{**brief().__dict__, "account": account})
        states.append(TierState(str(n), "intent", 88.0, NOW, 1))
    plan = plan_intent_actions(states, briefs, LIVE, model, NOW, known_keys={"intent:1:1:slack", "intent:1:1:task"})
    assert sorted(a.key for a in plan.actions) == ["intent:0:1:slack", "intent:0:1:task"] and plan.deferred == []


def _accounts(count: int) -> tuple[list[TierState], dict[str, AccountBrief]]:
    base = brief()
    states = [TierState(f"a{i}", "intent", 88.0, NOW, 1 + i % 3) for i in range(count)]
    briefs = {s.entity_id: AccountBrief(**{**base.__dict__, "account": CrmAccount(
        s.entity_id, f"Account {s.entity_id}", None, owner_id=f"o{s.entity_id}", value=5000)}) for s in states}
    return states, briefs


def test_a_share_of_live_plays_is_held_out_recorded_and_never_sent() -> None:
    states, briefs = _accounts(200)
    config = IntentPlaybookConfig(mode="live", holdout=HoldoutConfig(share=0.25))
    plan = plan_intent_actions(states, briefs, config, ScoringModel(), NOW)
    held = [a for a in plan.actions if a.key.endswith(":holdout")]
    assert 30 <= len(held) <= 70  # about a quarter of 200
    assert all(isinstance(a, RecordDraft) and a.record == "holdout" and a.play == a.key[:-len(":holdout")]
               for a in held)
    held_accounts = {a.key.split(":")[1] for a in held}
    played = {a.key.split(":")[1] for a in plan.actions if not a.key.endswith(":holdout")}
    assert held_accounts.isdisjoint(played) and len(held_accounts | played) == 200
    again = plan_intent_actions(list(reversed(states)), briefs, config, ScoringModel(), NOW)
    assert sorted(a.key for a in again.actions) == sorted(a.key for a in plan.actions)  # the same draw every run
    other = plan_intent_actions(states, briefs, IntentPlaybookConfig(mode="live", holdout=HoldoutConfig(share=0.25, salt="exp-2")),
                                ScoringModel(), NOW)
    assert {a.key for a in other.actions if a.key.endswith(":holdout")} != {a.key for a in held}
    known = {a.key for a in plan.actions}
    assert [a.key for a in plan_intent_actions(states, briefs, config, ScoringModel(), NOW,
                                               known_keys=known).actions] == []  # recorded: never re-planned


def test_held_out_plays_take_no_capacity_and_drafts_are_never_held_out() -> None:
    states = [TierState(f"a{i}", "intent", 88.0, NOW, 1) for i in range(40)]
    base = brief()
    briefs = {s.entity_id: AccountBrief(**{**base.__dict__, "account": CrmAccount(
        s.entity_id, s.entity_id, None, owner_id="7", value=5000)}) for s in states}
    model = ScoringModel(capacity_per_owner_per_week=5)
    plan = plan_intent_actions(states, briefs, IntentPlaybookConfig(mode="live", holdout=HoldoutConfig(share=0.5)), model, NOW)
    held = [a for a in plan.actions if a.key.endswith(":holdout")]
    slack = [a for a in plan.actions if isinstance(a, SendSlackAlert)]
    assert len(slack) == 5 and held and len(held) + 5 + len(plan.deferred) == 40
    drafts = plan_intent_actions(states, briefs, IntentPlaybookConfig(mode="draft", holdout=HoldoutConfig(share=0.5)), model, NOW)
    assert not any(a.key.endswith(":holdout") for a in drafts.actions)
