"""Previewing a draft model against the published one."""

from datetime import datetime, timedelta, timezone

from scoring import Activity, ScoringModel, TierState
from scoring.versions import compare_models

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def act(member: str, days_ago: float, type_: str, n: int = 0) -> Activity:
    return Activity("slack", f"{member}-{n}", member, type_, NOW - timedelta(days=days_ago))


def test_a_draft_that_lowers_the_intent_floor_moves_tiers_and_adds_alerts() -> None:
    published = ScoringModel(version="v1")
    draft = ScoringModel.model_validate({"version": "v2", "tier_floors": {"awareness": 1, "consideration": 40, "intent": 60}})
    # acme: 20 + 20 + 20 + 5 = 65 points today; beta: 12 today; gamma: 80 but silent for 20 days
    activities = [act("a1", 0, "premium_feature_question", 1), act("a2", 0, "premium_feature_question", 2),
                  act("a3", 0, "premium_feature_question", 3), act("a3", 0, "thread_started", 4),
                  act("b1", 0, "answer", 5)]
    account_of = {"a1": "acme", "a2": "acme", "a3": "acme", "b1": "beta"}
    result = compare_models(published, draft, activities, account_of, NOW)
    acme = {c.account_id: c for c in result.accounts}["acme"]
    assert (acme.published_score, acme.draft_score) == (65, 65)
    assert (acme.published_tier, acme.draft_tier) == ("consideration", "intent")
    assert [(c.account_id, c.published_tier, c.draft_tier) for c in result.tier_changes] == [("acme", "consideration", "intent")]
    assert result.published_alerts == () and result.draft_alerts == ("acme",)
    assert result.alerts_added == ("acme",) and result.alerts_removed == ()
    assert result.published_distribution.counts == {"awareness": 1, "consideration": 1, "intent": 0}
    assert result.draft_distribution.counts == {"awareness": 1, "consideration": 0, "intent": 1}
    assert result.rows() == [{"account": "acme", "published_score": 65, "draft_score": 65,
                              "published_tier": "consideration", "draft_tier": "intent",
                              "published_alert": False, "draft_alert": True}]


def test_previous_states_decide_which_alerts_fire_and_recency_filters_them() -> None:
    model = ScoringModel()
    activities = [act("a", 0, "premium_feature_question", i) for i in range(4)]  # 80
    activities += [act("g", 20, "premium_feature_question", 10 + i) for i in range(8)]  # 8·20·0.5^(20/14) = 59.4
    account_of = {"a": "acme", "g": "gamma"}
    already = {"acme": TierState("acme", "intent", 90, NOW - timedelta(days=3), 1)}
    assert compare_models(model, model, activities, account_of, NOW, already).draft_alerts == ()
    assert compare_models(model, model, activities, account_of, NOW).published_alerts == ("acme",)
    heavy = ScoringModel.model_validate({"weights": {"premium_feature_question": {"points": 40, "half_life_days": 14}}})
    result = compare_models(model, heavy, activities, account_of, NOW)
    assert {c.account_id: c.draft_tier for c in result.accounts}["gamma"] == "intent"
    assert result.draft_alerts == ("acme",)  # gamma enters intent but was last active 20 days ago
