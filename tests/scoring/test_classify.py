"""Classification rules, first cut."""

from datetime import datetime, timezone

import pytest

from scoring import ClassificationRules, SourceEvent, classify, to_activity

AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


def event(kind: str, title: str = "Hello", category: str | None = None, text: str = "") -> SourceEvent:
    return SourceEvent("discourse", "post:1", "discourse:1", kind, AT, title=title, text=text, category=category)


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        (event("like"), "reaction"),
        (event("solution"), "answer"),
        (event("reply"), "reply"),
        (event("topic", "Does the Enterprise plan include SSO?"), "premium_feature_question"),
        (event("topic", "Dark mode please", "feature-requests"), "feature_request"),
        (event("topic", "Deploying with Terraform", "how-to"), "how_to_content"),
        (event("topic", "Upgraded my laptop today"), "thread_started"),
        (event("topic", "Hello everyone"), "thread_started"),
        (event("bookmark"), None),
    ],
)
def test_default_rules(ev: SourceEvent, expected: str | None) -> None:
    assert classify(ev) == expected


def test_competitor_rule_and_activity_fields() -> None:
    rules = ClassificationRules(competitor_names=("Rivalware",))
    activity = to_activity(event("topic", "Moving from Rivalware", text="x" * 1000), rules)
    assert activity is not None and activity.type == "competitor_mention"
    assert activity.excerpt is not None and len(activity.excerpt) == 280
    assert (activity.source, activity.source_event_id, activity.member_key) == ("discourse", "post:1", "discourse:1")
