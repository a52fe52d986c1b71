"""Raw source events → activity types, by configurable rules.

First cut: categories, title/text keywords and the event kind decide. Rules are plain data
so a community manager can change them in configuration.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from scoring.records import Activity, SourceEvent

__all__ = ["ClassificationRules", "classify", "to_activity"]


class ClassificationRules(BaseModel):
    """Which words and places mark a premium question, a feature request, a how-to, ..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    premium_terms: tuple[str, ...] = Field(
        default=("pricing", "enterprise", "premium", "upgrade", "sso", "saml", "audit log"),
        description="Words in a new thread's title or text that mark a premium-feature question.",
    )
    competitor_names: tuple[str, ...] = Field(
        default=(), description="Competitor names; a thread naming one is a competitor mention."
    )
    feature_request_categories: tuple[str, ...] = Field(
        default=("feature-requests", "feature requests", "ideas"),
        description="Category names or slugs where new threads are feature requests.",
    )
    how_to_categories: tuple[str, ...] = Field(
        default=("how-to", "how to", "guides", "tutorials"),
        description="Category names or slugs where new threads are how-to content.",
    )


def _mentions(terms: tuple[str, ...], *texts: str | None) -> bool:
    haystack = " ".join(t for t in texts if t).lower()
    return any(re.search(rf"\b{re.escape(term.lower())}\b", haystack) for term in terms)


def classify(event: SourceEvent, rules: ClassificationRules | None = None) -> str | None:
    """The activity type of an event, or None when the event does not count."""
    rules = rules or ClassificationRules()
    if event.kind == "like":
        return "reaction"
    if event.kind == "solution":
        return "answer"
    if event.kind == "reply":
        return "reply"
    if event.kind != "topic":
        return None
    category = (event.category or "").lower()
    if category in rules.feature_request_categories:
        return "feature_request"
    if _mentions(rules.premium_terms, event.title, event.text):
        return "premium_feature_question"
    if rules.competitor_names and _mentions(rules.competitor_names, event.title, event.text):
        return "competitor_mention"
    if category in rules.how_to_categories:
        return "how_to_content"
    return "thread_started"


def to_activity(event: SourceEvent, rules: ClassificationRules | None = None) -> Activity | None:
    """Classify an event and keep what the reports need (title, a short excerpt, link)."""
    activity_type = classify(event, rules)
    if activity_type is None:
        return None
    excerpt = (event.text or "")[:280] or None
    return Activity(
        source=event.source,
        source_event_id=event.source_event_id,
        member_key=event.member_key,
        type=activity_type,
        occurred_at=event.occurred_at,
        url=event.url,
        title=event.title,
        excerpt=excerpt,
    )
