"""Raw source events → activity types, by configurable rules (:class:`ClassificationRules`).

One event gets at most one type. What decides, by event ``kind`` (any source):

* ``topic`` (Discourse) / ``message`` (Slack top-level message) — a new thread. In priority
  order: ``feature_request`` (feature-request category/channel or tag, or a feature-request
  term), ``premium_feature_question`` (a premium term in title or text),
  ``competitor_mention`` (a competitor named in title or text), ``how_to_content`` (how-to
  category/channel or tag, or a title starting "How to"/"Guide:" that is not a question),
  else ``thread_started``.
* ``reply`` (Discourse reply, Slack thread reply) and ``solution`` (a post accepted as the
  answer). In priority order: ``premium_feature_question`` (the reply itself asks a
  question and names a premium term; switchable), ``competitor_mention`` (named in the
  reply's text), ``answer``, else ``reply``. Only the reply's own text counts: its title is
  the thread's, written by someone else.
* ``like`` (Discourse) / ``reaction`` (Slack) — ``reaction``.
* ``campaign_member`` from ``hubspot``/``salesforce`` — ``webinar_attended`` when the
  campaign name/type (``category``) names a webinar term and the member status (``tags``),
  if given, is an attended status; anything else None.
* Any other kind — None. So is every event in an ignored category/channel.

The whole order, for events that match several rules: feature_request >
premium_feature_question > competitor_mention > how_to_content > answer > thread_started /
reply (``PRIORITY``). :func:`matching_types` lists every type an event matches, in that
order; :func:`classify` returns the first.

**When is a reply an answer?** PRODUCT.md scores "answering another member's question", so
a reply in the member's *own* thread is never an answer — it is a ``reply`` (so is an
accepted solution in one's own thread: self-solved). A reply in *another* member's thread
is an ``answer`` when it is accepted as the solution (kind ``solution``), or — switch
``answer_replies_in_question_places``, on by default — when the thread is in a question
category/channel (support, help, questions, ...) or carries a question tag. A third switch,
``answer_replies_to_question_threads`` (off by default: too loose in general discussion),
also counts replies to other members' threads whose title reads as a question ("?" or a
question word first). When the source does not say whose thread it is
(``thread_owner_key`` None) the reply stays a ``reply``; a ``solution`` still counts.

**Premium questions in replies**: a follow-up such as "Does Enterprise include SSO?" is the
same signal as a new thread, so a reply that asks (contains "?" or starts with a question
word) and names a premium term counts (switch ``premium_questions_in_replies``, on); a reply
that merely mentions "enterprise" while answering does not.

**Matching**: terms are whole words, case- and (by default) accent-insensitive, unicode
letters and digits being word characters (except scripts written without spaces between
words: CJK, kana, Hangul, Thai, where a term matches anywhere); "SSO" does not match inside "ISSO" and "upgrade"
does not match "upgraded" (write "upgrad*" for every form). Text is NFKD-normalised and
casefolded once per event; each rule list is compiled once per rules object into one
regular expression (cached by the frozen rules), so a 1 MB post takes milliseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from scoring.classify_rules import ClassificationRules
from scoring.records import Activity, SourceEvent

__all__ = [
    "CAMPAIGN_MEMBER_KINDS",
    "CRM_SOURCES",
    "PRIORITY",
    "REACTION_KINDS",
    "REPLY_KINDS",
    "SOLUTION_KINDS",
    "THREAD_KINDS",
    "ClassificationRules",
    "classify",
    "matching_types",
    "to_activity",
]

#: Event kinds connectors produce, by what they mean.
THREAD_KINDS = frozenset({"topic", "message"})
REPLY_KINDS = frozenset({"reply"})
SOLUTION_KINDS = frozenset({"solution"})
REACTION_KINDS = frozenset({"like", "reaction"})
CAMPAIGN_MEMBER_KINDS = frozenset({"campaign_member"})
#: Sources whose ``campaign_member`` events can be webinar attendance.
CRM_SOURCES = frozenset({"hubspot", "salesforce"})
#: The source whose ``category`` is a channel, matched against the ``*_channels`` rules.
SLACK = "slack"

#: When one event matches several rules, the first type here wins.
PRIORITY: tuple[str, ...] = (
    "feature_request",
    "premium_feature_question",
    "competitor_mention",
    "how_to_content",
    "answer",
    "thread_started",
    "reply",
)

_DEFAULT_RULES = ClassificationRules()
#: A letter or digit that extends a word. Scripts written without spaces between words (CJK,
#: kana, Hangul jamo and syllables, Thai) are left out, so "Notion" matches in "用Notion吗".
_WORD = r"[^\W_\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_SEPARATORS = re.compile(r"[\s_\-]+")
_PHRASE_GAP = r"[\s_\-]+"
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_EXCERPT_CHARS = 280


# -- normalisation ------------------------------------------------------------------------
def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _fold(value: object, accent_sensitive: bool) -> str:
    """Casefolded, compatibility-normalised text; without accents unless they matter."""
    text = _text(value)
    if not text:
        return ""
    if accent_sensitive:
        return unicodedata.normalize("NFKC", text).casefold()
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _place_key(value: object, accent_sensitive: bool) -> str:
    """A category, channel or tag as compared: '#Feature Requests' → 'feature-requests'."""
    folded = _fold(value, accent_sensitive).strip().lstrip("#").strip()
    return _SEPARATORS.sub("-", folded)


# -- compiled rules -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Places:
    """Place or tag names: exact keys and trailing-* prefixes."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def build(cls, names: Iterable[str], accent_sensitive: bool) -> _Places:
        exact: set[str] = set()
        prefixes: list[str] = []
        for name in names:
            key = _place_key(name, accent_sensitive)
            if key.endswith("*"):
                prefixes.append(key.rstrip("*"))
            else:
                exact.add(key)
        return cls(frozenset(exact), tuple(prefixes))

    def has(self, key: str) -> bool:
        return bool(key) and (key in self.exact or key.startswith(self.prefixes))

    def has_any(self, keys: Iterable[str]) -> bool:
        return any(self.has(key) for key in keys)


def _term_pattern(terms: Iterable[str], accent_sensitive: bool, *, anchored: bool = False) -> re.Pattern[str] | None:
    """One regex for a term list: whole words, phrases with flexible gaps, trailing-* wildcards.

    Terms are grouped by whether they start/end with a word character, so the word-boundary
    lookarounds sit outside the alternation (much faster on long texts than per-term ones).
    """
    groups: dict[tuple[bool, bool], list[str]] = {}
    for term in terms:
        folded = _fold(term, accent_sensitive).strip()
        wildcard = folded.endswith("*")
        words = [w for w in _SEPARATORS.split(folded.rstrip("*")) if w]
        if not words:
            continue
        body = _PHRASE_GAP.join(re.escape(w) for w in words) + (f"{_WORD}*" if wildcard else "")
        starts_word = words[0][0].isalnum()
        ends_word = wildcard or words[-1][-1].isalnum()
        groups.setdefault((starts_word, ends_word), []).append(body)
    if not groups:
        return None
    branches = []
    for (starts_word, ends_word), bodies in sorted(groups.items(), reverse=True):
        alternation = "|".join(sorted(set(bodies), key=len, reverse=True))
        before = f"(?<!{_WORD})" if starts_word and not anchored else ""
        after = f"(?!{_WORD})" if ends_word else ""
        branches.append(f"{before}(?:{alternation}){after}")
    joined = "|".join(branches)
    return re.compile(rf"\A[\s\W_]*(?:{joined})" if anchored else joined)


@dataclass(frozen=True, slots=True)
class _PlaceRules:
    feature_request: _Places
    how_to: _Places
    question: _Places
    ignored: _Places


@dataclass(frozen=True, slots=True)
class _Compiled:
    rules: ClassificationRules
    forum: _PlaceRules
    slack: _PlaceRules
    feature_request_tags: _Places
    how_to_tags: _Places
    question_tags: _Places
    attended_statuses: _Places
    premium: re.Pattern[str] | None
    feature_request: re.Pattern[str] | None
    competitor: re.Pattern[str] | None
    webinar: re.Pattern[str] | None
    how_to_prefix: re.Pattern[str] | None
    question_start: re.Pattern[str] | None

    def fold(self, value: object) -> str:
        return _fold(value, self.rules.accent_sensitive)

    def place(self, value: object) -> str:
        return _place_key(value, self.rules.accent_sensitive)

    def asks(self, *texts: str) -> bool:
        """Reads as a question: a '?' anywhere or a question word first (texts already folded)."""
        return any(
            "?" in text or (self.question_start is not None and self.question_start.match(text) is not None)
            for text in texts
        )


def _found(pattern: re.Pattern[str] | None, text: str) -> bool:
    return pattern is not None and bool(text) and pattern.search(text) is not None


@lru_cache(maxsize=32)
def _compile(rules: ClassificationRules) -> _Compiled:
    """Everything a rules object needs, compiled once (rules are frozen, hence hashable)."""
    accents = rules.accent_sensitive

    def places(*names: tuple[str, ...]) -> _PlaceRules:
        return _PlaceRules(*(_Places.build(n, accents) for n in names))

    return _Compiled(
        rules=rules,
        forum=places(rules.feature_request_categories, rules.how_to_categories,
                     rules.question_categories, rules.ignored_categories),
        slack=places(rules.feature_request_channels, rules.how_to_channels,
                     rules.question_channels, rules.ignored_channels),
        feature_request_tags=_Places.build(rules.feature_request_tags, accents),
        how_to_tags=_Places.build(rules.how_to_tags, accents),
        question_tags=_Places.build(rules.question_tags, accents),
        attended_statuses=_Places.build(rules.webinar_attended_statuses, accents),
        premium=_term_pattern(rules.premium_terms, accents),
        feature_request=_term_pattern(rules.feature_request_terms, accents),
        competitor=_term_pattern(rules.competitor_names, accents),
        webinar=_term_pattern(rules.webinar_campaign_terms, accents),
        how_to_prefix=_term_pattern(rules.how_to_title_prefixes, accents, anchored=True),
        question_start=_term_pattern(rules.question_words, accents, anchored=True),
    )


# -- rules by kind --------------------------------------------------------------------------
def _thread_types(event: SourceEvent, c: _Compiled, places: _PlaceRules, place: str) -> Iterator[str]:
    title, text = c.fold(event.title), c.fold(event.text)
    both = f"{title}\x00{text}"  # NUL: a phrase cannot run from the title into the text
    heading = title or text.split("\n", 1)[0]  # a Slack message has no title: its first line
    tags = [c.place(tag) for tag in event.tags or ()]
    if places.feature_request.has(place) or c.feature_request_tags.has_any(tags) or _found(c.feature_request, both):
        yield "feature_request"
    if _found(c.premium, both) and (not c.rules.premium_requires_question or c.asks(heading, text)):
        yield "premium_feature_question"
    if _found(c.competitor, both):
        yield "competitor_mention"
    if (
        places.how_to.has(place)
        or c.how_to_tags.has_any(tags)
        or (c.how_to_prefix is not None and c.how_to_prefix.match(heading) is not None and "?" not in heading)
    ):
        yield "how_to_content"
    yield "thread_started"


def _reply_types(event: SourceEvent, c: _Compiled, places: _PlaceRules, place: str, solution: bool) -> Iterator[str]:
    text = c.fold(event.text)
    owner = event.thread_owner_key
    own_thread = owner is not None and owner == event.member_key
    others_thread = owner is not None and owner != event.member_key
    if c.rules.premium_questions_in_replies and _found(c.premium, text) and c.asks(text):
        yield "premium_feature_question"
    if _found(c.competitor, text):
        yield "competitor_mention"
    if solution:
        if not own_thread:
            yield "answer"
    elif others_thread:
        tags = [c.place(tag) for tag in event.tags or ()]
        in_question_place = places.question.has(place) or c.question_tags.has_any(tags)
        if (c.rules.answer_replies_in_question_places and in_question_place) or (
            c.rules.answer_replies_to_question_threads and c.asks(c.fold(event.title))
        ):
            yield "answer"
    yield "reply"


def _webinar_types(event: SourceEvent, c: _Compiled) -> Iterator[str]:
    if _text(event.source).strip().casefold() not in CRM_SOURCES:
        return
    if not _found(c.webinar, c.fold(event.category)):
        return
    statuses = [c.place(tag) for tag in event.tags or ()]
    if statuses and c.rules.webinar_attended_statuses and not c.attended_statuses.has_any(statuses):
        return
    yield "webinar_attended"


def _types(event: SourceEvent, c: _Compiled) -> Iterator[str]:
    kind = _text(event.kind).strip().casefold()
    if kind in CAMPAIGN_MEMBER_KINDS:
        yield from _webinar_types(event, c)
        return
    places = c.slack if _text(event.source).strip().casefold() == SLACK else c.forum
    place = c.place(event.category)
    if places.ignored.has(place):
        return
    if kind in REACTION_KINDS:
        yield "reaction"
    elif kind in THREAD_KINDS:
        yield from _thread_types(event, c, places, place)
    elif kind in REPLY_KINDS or kind in SOLUTION_KINDS:
        yield from _reply_types(event, c, places, place, solution=kind in SOLUTION_KINDS)


# -- API ------------------------------------------------------------------------------------
def matching_types(event: SourceEvent, rules: ClassificationRules | None = None) -> tuple[str, ...]:
    """Every activity type the event matches, highest priority first (to explain a decision)."""
    return tuple(_types(event, _compile(rules or _DEFAULT_RULES)))


def classify(event: SourceEvent, rules: ClassificationRules | None = None) -> str | None:
    """The activity type of an event, or None when the event does not count."""
    return next(_types(event, _compile(rules or _DEFAULT_RULES)), None)


def to_activity(event: SourceEvent, rules: ClassificationRules | None = None) -> Activity | None:
    """Classify an event and keep what the reports need (title, a short excerpt, link)."""
    activity_type = classify(event, rules)
    if activity_type is None:
        return None
    excerpt = _text(event.text)[:_EXCERPT_CHARS] or None
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
