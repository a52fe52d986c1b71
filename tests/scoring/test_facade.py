"""The front door: every exported name exists, and the README's example runs."""

from datetime import datetime, timedelta, timezone

import scoring
from scoring import Activity, ScoringModel, score_accounts, score_members


def test_all_exports_exist() -> None:
    assert sorted(scoring.__all__) == sorted(set(scoring.__all__))
    for name in scoring.__all__:
        assert hasattr(scoring, name), name


def test_readme_example() -> None:
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    activities = [
        Activity("discourse", str(i), member, "premium_feature_question", now - timedelta(days=1))
        for i, member in enumerate(["a", "a", "b", "b", "c", "c"])
    ]
    model = ScoringModel()
    members = score_members(activities, model, now)
    accounts = score_accounts(members, {"a": "acme", "b": "acme", "c": "acme"}, model)
    assert model.tier(accounts["acme"]) == "intent"
