"""The classification rules a community manager edits: words, places and switches.

Plain data (a frozen pydantic model, rendered as a form in the Prefect UI); the matching
itself lives in :mod:`scoring.classify`.

How entries match:

* **Terms** (keywords, phrases, competitor names, question words) match whole words,
  case-insensitively and, unless ``accent_sensitive`` is on, ignoring accents ("cafe"
  matches "Café"). Letters and digits of any script are word characters; ``_``, ``-``,
  punctuation and emoji are not, so "SSO" matches "#SSO," and "SSO-enabled" but not
  "ISSO", and "upgrade" does not match "upgraded". Words of a phrase may be separated by any run of
  spaces, hyphens or underscores ("single sign-on" = "single sign on"). A trailing ``*``
  matches any ending: "upgrad*" matches "upgrade", "upgraded", "upgrading".
* **Places** (Discourse category names or slugs, Slack channel names) match the whole name,
  case-insensitively, ignoring a leading ``#`` and treating spaces, hyphens and
  underscores alike ("Feature Requests" = "feature-requests" = "#feature_requests"). A
  trailing ``*`` matches any ending ("ask-*" matches "#ask-python").
* **Tags** match like places.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = ["MAX_ENTRIES", "MAX_ENTRY_LENGTH", "ClassificationRules"]

_Terms = tuple[str, ...]

#: Longest entry: a phrase or a place name, not a paragraph.
MAX_ENTRY_LENGTH = 200
#: Most entries in one list; every entry is matched against every event.
MAX_ENTRIES = 1000


class ClassificationRules(BaseModel):
    """Which words and places mark a premium question, a feature request, an answer, a how-to, ..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- keywords ----------------------------------------------------------------------
    premium_terms: _Terms = Field(
        default=(
            "pricing", "enterprise", "premium", "upgrade", "sso", "saml", "single sign-on",
            "audit log", "audit logs", "paid plan",
        ),
        title="Premium-feature terms",
        description=(
            "Words or phrases that mark a question about premium features when a new thread "
            "(title or text) names one. Whole words; a trailing * matches any ending."
        ),
    )
    premium_requires_question: bool = Field(
        default=False,
        title="Premium threads must ask",
        description=(
            "On: a new thread naming a premium term counts only if it reads as a question "
            "('?' or a question word first). Off: any new thread naming one counts."
        ),
    )
    premium_questions_in_replies: bool = Field(
        default=True,
        title="Premium questions in replies",
        description=(
            "On: a reply (or Slack thread reply) that itself asks a question and names a "
            "premium term counts as a premium-feature question. Off: only new threads do."
        ),
    )
    feature_request_terms: _Terms = Field(
        default=("feature request", "feature requests"),
        title="Feature-request terms",
        description="Words or phrases in a new thread's title or text that make it a feature request.",
    )
    competitor_names: _Terms = Field(
        default=(),
        title="Competitor names",
        description="Competitor names; a new thread or reply naming one is a competitor mention.",
    )
    how_to_title_prefixes: _Terms = Field(
        default=("how to", "how-to", "guide:", "tutorial:", "walkthrough:"),
        title="How-to title prefixes",
        description=(
            "A new thread whose title starts with one of these (and is not a question, i.e. "
            "has no '?') is how-to content. Slack messages have no title: their first line counts."
        ),
    )
    question_words: _Terms = Field(
        default=(
            "how", "what", "why", "where", "when", "which", "who", "can", "could", "does", "do",
            "is", "are", "should", "would", "will", "anyone", "any",
        ),
        title="Question words",
        description="A title or text that starts with one of these (or contains '?') reads as a question.",
    )

    # -- Discourse (and other forums): categories and tags -----------------------------
    feature_request_categories: _Terms = Field(
        default=("feature-requests", "feature requests", "ideas"),
        title="Feature-request categories",
        description="Category names or slugs where new threads are feature requests.",
    )
    how_to_categories: _Terms = Field(
        default=("how-to", "how to", "guides", "tutorials"),
        title="How-to categories",
        description="Category names or slugs where new threads are how-to content.",
    )
    question_categories: _Terms = Field(
        default=("support", "help", "questions", "q-a", "q&a", "troubleshooting"),
        title="Question categories",
        description="Category names or slugs where threads are questions, so replies to others there are answers.",
    )
    ignored_categories: _Terms = Field(
        default=(),
        title="Ignored categories",
        description="Category names or slugs whose events never count (e.g. staff, off-topic).",
    )
    feature_request_tags: _Terms = Field(
        default=("feature-request", "feature-requests"),
        title="Feature-request tags",
        description="Tags that make a new thread a feature request.",
    )
    how_to_tags: _Terms = Field(
        default=("how-to", "guide", "guides", "tutorial", "tutorials"),
        title="How-to tags",
        description="Tags that make a new thread how-to content.",
    )
    question_tags: _Terms = Field(
        default=("question", "questions", "help", "support"),
        title="Question tags",
        description="Tags that mark a thread as a question, like a question category.",
    )

    # -- Slack: channels (SourceEvent.category holds the channel name) ---------------------
    feature_request_channels: _Terms = Field(
        default=("feature-requests", "ideas", "product-feedback"),
        title="Feature-request channels",
        description="Slack channels where top-level messages are feature requests.",
    )
    how_to_channels: _Terms = Field(
        default=("how-to", "guides", "tutorials"),
        title="How-to channels",
        description="Slack channels where top-level messages are how-to content.",
    )
    question_channels: _Terms = Field(
        default=("help", "help-*", "questions", "support", "ask-*", "troubleshooting"),
        title="Question channels",
        description="Slack channels where threads are questions, so replies to others there are answers.",
    )
    ignored_channels: _Terms = Field(
        default=(),
        title="Ignored channels",
        description="Slack channels whose events never count (e.g. random, staff).",
    )

    # -- answers ------------------------------------------------------------------------
    answer_replies_in_question_places: bool = Field(
        default=True,
        title="Replies to others' questions are answers",
        description=(
            "On: a reply in another member's thread in a question category/channel (or with a "
            "question tag) is an answer. Off: only accepted solutions are answers."
        ),
    )
    answer_replies_to_question_threads: bool = Field(
        default=False,
        title="Replies to question-like threads are answers",
        description=(
            "On: a reply in another member's thread whose title reads as a question ('?' or a "
            "question word first) is an answer wherever it is posted."
        ),
    )

    # -- CRM: webinar attendance ---------------------------------------------------------
    webinar_campaign_terms: _Terms = Field(
        default=("webinar", "webinars", "webcast", "webcasts"),
        title="Webinar campaign terms",
        description="A CRM campaign whose name or type (SourceEvent.category) names one of these is a webinar.",
    )
    webinar_attended_statuses: _Terms = Field(
        default=("attended",),
        title="Attended statuses",
        description=(
            "Campaign-member statuses (SourceEvent.tags) that mean attended. A member event "
            "with statuses counts only if one is listed; one without statuses counts. Empty = any status."
        ),
    )

    accent_sensitive: bool = Field(
        default=False,
        title="Accent-sensitive matching",
        description="On: 'cafe' does not match 'café'. Off: accents are ignored on both sides.",
    )

    @field_validator("*")
    @classmethod
    def _clean_terms(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, tuple):
            return value
        if len(value) > MAX_ENTRIES:
            raise ValueError(
                f"{info.field_name} has {len(value)} entries; use at most {MAX_ENTRIES} "
                "(a trailing * covers many endings with one entry)"
            )
        cleaned = tuple(" ".join(term.split()) for term in value)
        for term in cleaned:
            if not any(ch.isalnum() for ch in term):
                raise ValueError(
                    f"entry {term!r} has no letter or digit: an empty entry (or a lone '*') "
                    "would match everything; remove it"
                )
            if len(term) > MAX_ENTRY_LENGTH:
                raise ValueError(
                    f"{info.field_name}: entry {term[:40]!r}… is {len(term)} characters long; "
                    f"use at most {MAX_ENTRY_LENGTH} (a word, phrase or name)"
                )
        return cleaned
