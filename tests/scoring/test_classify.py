"""Classification of raw source events into activity types."""

import unicodedata
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ACTIVITY_TYPES, ClassificationRules, SourceEvent, classify, to_activity
from scoring.classify import PRIORITY, _compile, matching_types

AT = datetime(2026, 11, 1, tzinfo=timezone.utc)
ME, OTHER = "discourse:1", "discourse:2"


def event(kind: str, title: str = "Hello", category: str | None = None, text: str = "") -> SourceEvent:
    return SourceEvent("discourse", "post:1", "discourse:1", kind, AT, title=title, text=text, category=category)


def ev(kind: str = "topic", source: str = "discourse", **fields: object) -> SourceEvent:
    """Any event; member ME unless told."""
    fields.setdefault("member_key", ME)
    return SourceEvent(source=source, source_event_id="e:1", kind=kind, occurred_at=AT, **fields)  # type: ignore[arg-type]


def slack(kind: str = "message", channel: str | None = "general", **fields: object) -> SourceEvent:
    fields.setdefault("member_key", "slack:U1")
    return SourceEvent(source="slack", source_event_id="C1:1.0", kind=kind, occurred_at=AT, category=channel,
                       **fields)  # type: ignore[arg-type]


RIVAL = ClassificationRules(competitor_names=("Rivalware", "Zoë Analytics"))


# -- the first cut, unchanged ------------------------------------------------------------
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


# -- Discourse: categories, tags, keywords ----------------------------------------------------
@pytest.mark.parametrize("category", ["feature-requests", "Feature Requests", "FEATURE_REQUESTS", "#feature-requests", "Ideas"])
def test_feature_request_category_by_name_or_slug(category: str) -> None:
    assert classify(ev(title="Dark mode", category=category)) == "feature_request"


@pytest.mark.parametrize("category", ["how-to", "How To", "Guides", "tutorials"])
def test_how_to_category(category: str) -> None:
    assert classify(ev(title="Deploying on Kubernetes", category=category)) == "how_to_content"


def test_tags() -> None:
    assert classify(ev(title="Dark mode", tags=("Feature-Request",))) == "feature_request"
    assert classify(ev(title="Deploying on Kubernetes", tags=("tutorial",))) == "how_to_content"
    assert classify(ev(title="Deploying on Kubernetes", tags=("kubernetes",))) == "thread_started"


def test_feature_request_terms_in_title_or_text() -> None:
    assert classify(ev(title="Feature request: dark mode")) == "feature_request"
    assert classify(ev(title="Dark mode", text="Filing this as a feature-request.")) == "feature_request"


@pytest.mark.parametrize(
    "title", ["How to deploy on Kubernetes", "how-to: rotate tokens", "Guide: SLOs", "🚀 How to ship faster", "Tutorial: webhooks"]
)
def test_how_to_title_prefixes(title: str) -> None:
    assert classify(ev(title=title)) == "how_to_content"


@pytest.mark.parametrize("title", ["How to deploy on Kubernetes?", "Howto deploy", "Show how to deploy", "How tomorrow looks"])
def test_how_to_prefix_not_for_questions_or_other_words(title: str) -> None:
    assert classify(ev(title=title)) == "thread_started"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Does the Enterprise plan include SSO?", ""),
        ("Login question", "Can we use single sign on with Okta?"),
        ("Compliance", "We need AUDIT-LOGS for SOC 2"),
        ("Paid plan limits", ""),
        ("Question", "#SSO, anyone?"),
        ("SSO-enabled workspaces", ""),
        ("sso_config fails", ""),
    ],
)
def test_premium_terms_and_phrases(title: str, text: str) -> None:
    assert classify(ev(title=title, text=text)) == "premium_feature_question"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("ISSO certification", ""),  # SSO inside a word
        ("Upgraded my laptop today", ""),  # "upgrade" is a whole word, "upgraded" another
        ("Enterprises everywhere", ""),
        ("Single sign", "on the door"),  # a phrase does not run from title into text
        ("Hello", "ssomething"),
    ],
)
def test_terms_match_whole_words_only(title: str, text: str) -> None:
    assert classify(ev(title=title, text=text)) == "thread_started"


def test_trailing_star_matches_any_ending() -> None:
    rules = ClassificationRules(premium_terms=("upgrad*",))
    assert [classify(ev(title=t), rules) for t in ("Upgraded", "upgrading soon", "UPGRADE", "downgrade")] == [
        "premium_feature_question", "premium_feature_question", "premium_feature_question", "thread_started",
    ]


def test_premium_requires_question_switch() -> None:
    statement = ev(title="Our SSO setup", text="We use SAML with Okta.")
    question = ev(title="Does SSO need Enterprise?")
    strict = ClassificationRules(premium_requires_question=True)
    assert classify(statement) == "premium_feature_question"
    assert classify(statement, strict) == "thread_started"
    assert classify(question, strict) == "premium_feature_question"


def test_competitor_mentions_empty_by_default() -> None:
    assert classify(ev(title="Moving from Rivalware")) == "thread_started"
    assert classify(ev(title="Moving from Rivalware"), RIVAL) == "competitor_mention"
    assert classify(ev(title="Moving", text="we used rivalware."), RIVAL) == "competitor_mention"
    assert classify(ev(title="Moving from Rivalwares"), RIVAL) == "thread_started"


# -- answers and replies ----------------------------------------------------------------------
def test_accepted_solution_is_an_answer_except_in_own_thread() -> None:
    assert classify(ev("solution", thread_owner_key=OTHER)) == "answer"
    assert classify(ev("solution", thread_owner_key=None)) == "answer"
    assert classify(ev("solution", thread_owner_key=ME)) == "reply"  # self-solved


@pytest.mark.parametrize("category", ["support", "Help", "Q&A", "q-a", "Questions"])
def test_reply_to_another_members_thread_in_question_category_is_answer(category: str) -> None:
    assert classify(ev("reply", category=category, thread_owner_key=OTHER)) == "answer"


def test_reply_in_own_thread_or_unknown_owner_or_other_place_is_reply() -> None:
    assert classify(ev("reply", category="support", thread_owner_key=ME)) == "reply"
    assert classify(ev("reply", category="support", thread_owner_key=None)) == "reply"
    assert classify(ev("reply", category="general", thread_owner_key=OTHER)) == "reply"
    assert classify(ev("reply", category="general", tags=("question",), thread_owner_key=OTHER)) == "answer"


def test_answer_switches() -> None:
    in_support = ev("reply", category="support", thread_owner_key=OTHER)
    question_title = ev("reply", title="How do I rotate API keys?", category="general", thread_owner_key=OTHER)
    only_solutions = ClassificationRules(answer_replies_in_question_places=False)
    by_title = ClassificationRules(answer_replies_to_question_threads=True)
    assert classify(in_support, only_solutions) == "reply"
    assert classify(ev("solution", thread_owner_key=OTHER), only_solutions) == "answer"
    assert classify(question_title) == "reply"
    assert classify(question_title, by_title) == "answer"
    assert classify(ev("reply", title="Release notes 2.0", thread_owner_key=OTHER), by_title) == "reply"
    assert classify(ev("reply", title="How do I rotate API keys?", thread_owner_key=ME), by_title) == "reply"


def test_premium_question_in_a_reply() -> None:
    asks = ev("reply", text="Does that also work with SSO on Enterprise?", category="support", thread_owner_key=ME)
    tells = ev("reply", text="You get SSO with the Enterprise plan.", category="support", thread_owner_key=OTHER)
    assert classify(asks) == "premium_feature_question"
    assert classify(tells) == "answer"
    assert classify(asks, ClassificationRules(premium_questions_in_replies=False)) == "reply"
    # The thread's title is someone else's words: it does not make the reply premium.
    assert classify(ev("reply", title="Does SSO need Enterprise?", text="Same here", thread_owner_key=ME)) == "reply"


def test_competitor_in_a_reply_counts_only_in_its_own_text() -> None:
    assert classify(ev("reply", text="We left Rivalware for this", thread_owner_key=ME), RIVAL) == "competitor_mention"
    assert classify(ev("reply", title="Moving from Rivalware", text="Thanks!", thread_owner_key=ME), RIVAL) == "reply"


# -- Slack ------------------------------------------------------------------------------------
def test_slack_message_kinds() -> None:
    assert classify(slack("message", "general", text="Hi all")) == "thread_started"
    assert classify(slack("reply", "general", text="Welcome!", thread_owner_key="slack:U2")) == "reply"
    assert classify(slack("reaction", "general")) == "reaction"
    assert classify(slack("channel_join", "general")) is None


@pytest.mark.parametrize("channel", ["feature-requests", "#feature-requests", "Product-Feedback", "ideas"])
def test_slack_feature_request_channel(channel: str) -> None:
    assert classify(slack("message", channel, text="Please add dark mode")) == "feature_request"
    # A reply there (a +1, a discussion) is a reply, not a new request.
    assert classify(slack("reply", channel, text="+1", thread_owner_key="slack:U2")) == "reply"


@pytest.mark.parametrize("channel", ["help", "#help-deployments", "questions", "ask-python", "support"])
def test_slack_answer_in_question_channel(channel: str) -> None:
    assert classify(slack("reply", channel, text="Set the env var", thread_owner_key="slack:U2")) == "answer"
    assert classify(slack("reply", channel, text="Thanks, that worked", thread_owner_key="slack:U1")) == "reply"


def test_slack_keywords_and_first_line_as_title() -> None:
    assert classify(slack(text="Is SSO available on the Team plan?")) == "premium_feature_question"
    assert classify(slack(text="How to rotate tokens\n1. Open settings\n2. ...")) == "how_to_content"
    assert classify(slack(text="How to rotate tokens?")) == "thread_started"
    assert classify(slack(text="We came from Rivalware"), RIVAL) == "competitor_mention"


def test_slack_uses_channel_rules_and_discourse_category_rules() -> None:
    rules = ClassificationRules(feature_request_channels=("wishlist",), feature_request_categories=("ideas",))
    assert classify(slack("message", "wishlist", text="Dark mode"), rules) == "feature_request"
    assert classify(ev(title="Dark mode", category="wishlist"), rules) == "thread_started"
    assert classify(slack("message", "ideas", text="Dark mode"), rules) == "thread_started"
    assert classify(ev(title="Dark mode", category="ideas"), rules) == "feature_request"


def test_ignored_categories_and_channels() -> None:
    rules = ClassificationRules(ignored_categories=("Staff",), ignored_channels=("random",))
    assert classify(ev(title="Enterprise pricing?", category="staff"), rules) is None
    assert classify(ev("reply", category="staff", thread_owner_key=OTHER), rules) is None
    assert classify(slack("reaction", "#random"), rules) is None
    assert classify(slack("message", "general", text="hi"), rules) == "thread_started"


# -- CRM: webinar attendance ------------------------------------------------------------------
def member_of(campaign: str | None, source: str = "hubspot", statuses: tuple[str, ...] = ()) -> SourceEvent:
    return SourceEvent(source, "campaign:7:contact:9", f"{source}:9", "campaign_member", AT, category=campaign, tags=statuses)


@pytest.mark.parametrize(
    ("ev_", "expected"),
    [
        (member_of("Q3 Product Webinar"), "webinar_attended"),
        (member_of("Webinar", "salesforce"), "webinar_attended"),  # campaign type
        (member_of("2026_Q3_webinar_launch", "salesforce"), "webinar_attended"),
        (member_of("Webinars: deep dives"), "webinar_attended"),
        (member_of("Webinar: SSO deep dive", statuses=("Attended",)), "webinar_attended"),
        (member_of("Webinar: SSO deep dive", statuses=("Registered",)), None),
        (member_of("Webinar: SSO deep dive", statuses=("No Show",)), None),
        (member_of("Spring newsletter"), None),
        (member_of("Webinarium"), None),
        (member_of(None), None),
        (member_of("Q3 Product Webinar", source="discourse"), None),
    ],
)
def test_campaign_members(ev_: SourceEvent, expected: str | None) -> None:
    assert classify(ev_) == expected


def test_webinar_rules_are_configurable() -> None:
    rules = ClassificationRules(webinar_campaign_terms=("live session*",), webinar_attended_statuses=())
    assert classify(member_of("Live Sessions: Q3"), rules) == "webinar_attended"
    assert classify(member_of("Live Sessions: Q3", statuses=("Registered",)), rules) == "webinar_attended"
    assert classify(member_of("Q3 Product Webinar"), rules) is None


# -- priority ---------------------------------------------------------------------------------
def test_priority_order_of_new_threads() -> None:
    everything = dict(title="How to: Rivalware vs us on Enterprise SSO", text="Feature request inside",
                      category="feature-requests", tags=("how-to",))
    assert matching_types(ev(**everything), RIVAL) == (
        "feature_request", "premium_feature_question", "competitor_mention", "how_to_content", "thread_started",
    )
    assert classify(ev(**everything), RIVAL) == "feature_request"
    assert classify(ev(**{**everything, "text": "", "category": None}), RIVAL) == "premium_feature_question"
    assert classify(ev(title="How to: leaving Rivalware", tags=("how-to",)), RIVAL) == "competitor_mention"
    assert classify(ev(title="How to: deploy", tags=("how-to",)), RIVAL) == "how_to_content"


def test_priority_order_of_replies() -> None:
    reply = ev("reply", text="Is SSO in Enterprise like in Rivalware?", category="support", thread_owner_key=OTHER)
    assert matching_types(reply, RIVAL) == ("premium_feature_question", "competitor_mention", "answer", "reply")
    assert classify(ev("reply", text="Rivalware does it so", category="support", thread_owner_key=OTHER), RIVAL) == (
        "competitor_mention"
    )
    assert classify(ev("solution", text="Rivalware does it so", thread_owner_key=OTHER), RIVAL) == "competitor_mention"


def test_matching_types_follow_the_documented_priority() -> None:
    for types in (matching_types(ev(title="How to: Rivalware SSO", category="ideas"), RIVAL),
                  matching_types(ev("reply", text="Rivalware SSO?", category="help", thread_owner_key=OTHER), RIVAL)):
        assert list(types) == sorted(types, key=PRIORITY.index)


# -- robustness -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["bookmark", "edit", "", "TOPIC_DELETED", "campaign"])
def test_unknown_kinds_are_ignored(kind: str) -> None:
    assert classify(ev(kind, title="Enterprise pricing?")) is None
    assert to_activity(ev(kind, title="Enterprise pricing?")) is None


def test_kinds_are_case_insensitive() -> None:
    assert classify(ev("Topic", title="Hello")) == "thread_started"


@pytest.mark.parametrize("kind", ["topic", "message", "reply", "solution", "like", "reaction", "campaign_member"])
def test_missing_fields_never_raise(kind: str) -> None:
    bare = SourceEvent("discourse" if kind != "campaign_member" else "hubspot", "e:1", ME, kind, AT)
    assert classify(bare) in (*ACTIVITY_TYPES, None)
    # Connectors may hand over None where the record says a tuple or string.
    sloppy = SourceEvent(None, "e:1", ME, kind, AT, title=None, text=None, category=None,  # type: ignore[arg-type]
                         tags=None, thread_owner_key=None)  # type: ignore[arg-type]
    assert classify(sloppy, RIVAL) in (*ACTIVITY_TYPES, None)


def test_reaction_activity_has_no_excerpt() -> None:
    activity = to_activity(ev("like", title="Some topic"))
    assert activity is not None and activity.type == "reaction" and activity.excerpt is None


# -- unicode ----------------------------------------------------------------------------------
def test_accents_are_ignored_by_default_and_configurable() -> None:
    assert classify(ev(title="We switched from Zoe Analytics"), RIVAL) == "competitor_mention"
    assert classify(ev(title="Nous utilisions ZOË ANALYTICS"), RIVAL) == "competitor_mention"
    decomposed = unicodedata.normalize("NFD", "Zoë Analytics")
    assert classify(ev(title=f"From {decomposed}"), RIVAL) == "competitor_mention"
    strict = RIVAL.model_copy(update={"accent_sensitive": True})
    assert classify(ev(title="We switched from Zoe Analytics"), strict) == "thread_started"
    assert classify(ev(title=f"From {decomposed}"), strict) == "competitor_mention"


def test_accented_terms_and_text() -> None:
    rules = ClassificationRules(premium_terms=("précios", "preços"), feature_request_terms=("pedido de função",))
    assert classify(ev(title="Quais são os PRECOS?"), rules) == "premium_feature_question"
    assert classify(ev(title="Pedido de funcao: modo escuro"), rules) == "feature_request"
    assert classify(ev(title="Preçoso"), rules) == "thread_started"


def test_emoji_and_other_scripts() -> None:
    rules = ClassificationRules(competitor_names=("Rivalware", "Битрикс", "飞书"))
    assert classify(ev(title="🚀SSO🚀 when?")) == "premium_feature_question"
    assert classify(ev(title="Ушли с Битрикс 🙂"), rules) == "competitor_mention"
    assert classify(ev(title="Битриксовый опыт"), rules) == "thread_started"  # inside a longer word
    assert classify(ev(title="我们以前用飞书"), rules) == "competitor_mention"  # no spaces between words
    assert classify(ev(title="以前用Rivalware吗"), rules) == "competitor_mention"
    assert classify(ev(title="ＳＳＯ full-width"), ClassificationRules()) == "premium_feature_question"


# -- size -------------------------------------------------------------------------------------
MB = 1_000_000
FILLER = "Lorem ipsum dolor sit amet, café naïve 🚀 ISSO upgraded 用户 — "


@pytest.mark.parametrize("kind", ["topic", "message", "reply", "solution"])
def test_one_megabyte_text_is_classified(kind: str) -> None:
    """The speed is measured by benchmarks/bench_hot_paths.py, not asserted here."""
    big = (FILLER * (MB // len(FILLER) + 1))[:MB]
    quiet = ev(kind, title="Notes", text=big, category="support", thread_owner_key=OTHER)
    loud = ev(kind, title="Notes", text=big + " we left Rivalware", category="support", thread_owner_key=OTHER)
    classify(quiet, RIVAL)  # compile the rules once
    results = (classify(quiet, RIVAL), matching_types(loud, RIVAL))
    assert results[0] in ("thread_started", "answer")
    assert "competitor_mention" in results[1]


def test_rules_are_compiled_once_per_rules_value() -> None:
    assert _compile(ClassificationRules(competitor_names=("A",))) is _compile(ClassificationRules(competitor_names=("A",)))
    assert _compile(ClassificationRules()) is not _compile(RIVAL)


# -- properties -------------------------------------------------------------------------------
KINDS = st.sampled_from(["topic", "message", "reply", "solution", "like", "reaction", "campaign_member", "other"])
TEXT = st.one_of(st.none(), st.text(max_size=200))


@settings(max_examples=300, deadline=None)
@given(kind=KINDS, source=st.sampled_from(["discourse", "slack", "hubspot"]), title=TEXT, text=TEXT, category=TEXT,
       tags=st.lists(st.text(max_size=20), max_size=3), owner=st.sampled_from([None, ME, OTHER]))
def test_any_event_gets_one_known_type_or_none(
    kind: str, source: str, title: str | None, text: str | None, category: str | None, tags: list[str], owner: str | None
) -> None:
    event_ = SourceEvent(source, "e:1", ME, kind, AT, title=title, text=text, category=category, tags=tuple(tags),
                         thread_owner_key=owner)
    result = classify(event_, RIVAL)
    everything = matching_types(event_, RIVAL)
    assert result in (*ACTIVITY_TYPES, None)
    assert result == (everything[0] if everything else None)
