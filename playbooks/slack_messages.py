"""Block Kit messages within Slack's limits, with community text escaped exactly once.

Slack parses ``<...>`` as mentions and links and ``&`` as entities: replacing those three
characters is the documented escaping, so ``<!channel>`` typed by a member cannot ping
anyone. Slack measures its limits on the text it receives, i.e. *after* escaping (a
150-character name full of ``&`` is 750 characters escaped), so every builder escapes first
and cuts second, and a cut never ends inside an entity such as ``&amp;`` or inside one of
our own ``<@U…>`` mentions.

Escaped text is an `Escaped` string: `escape` leaves it alone, so text cannot be escaped
twice however the pieces are combined, and `mrkdwn` only takes `Escaped` text, so community
text cannot reach a formatted field unescaped. Community text goes into ``plain_text``
objects and rich-text ``text`` elements, where ``*bold*`` and friends are not formatted.

Limits (Block Kit reference, checked against /work/shared/docs/API-NOTES.md): 50 blocks a
message; header text 150 characters; a text object 3,000; section fields 10 of 2,000 each;
context 10 elements; block_id 255; rich-text links need a non-empty URL. Slack truncates
message ``text`` over 40,000 characters; we keep the notification fallback far shorter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "CONTEXT_MAX_ELEMENTS",
    "FALLBACK_LIMIT",
    "FIELD_LIMIT",
    "HEADER_LIMIT",
    "MAX_BLOCKS",
    "SECTION_MAX_FIELDS",
    "TEXT_LIMIT",
    "Escaped",
    "context",
    "cut",
    "escape",
    "fallback_text",
    "fields_section",
    "header",
    "limit_blocks",
    "mrkdwn",
    "plain",
    "rich_link",
    "rich_text_list",
    "section",
]

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
SECTION_MAX_FIELDS = 10
CONTEXT_MAX_ELEMENTS = 10
MAX_BLOCKS = 50
#: Our cap on a message's ``text`` (the notification fallback); Slack's own is 40,000.
FALLBACK_LIMIT = 3000
#: Our cap on a rich-text link label: a question title, not an essay.
LINK_LABEL_LIMIT = 300
ELLIPSIS = "…"


class Escaped(str):
    """Text that is safe to send to Slack as it is: escaped community text or our own markup."""

    __slots__ = ()


def escape(text: str | None) -> Escaped:
    """Slack's escaping of ``& < >``; text that is already `Escaped` comes back unchanged."""
    if isinstance(text, Escaped):
        return text
    return Escaped((text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def cut(text: str | None, limit: int) -> Escaped:
    """``text`` escaped (once), then at most ``limit`` characters, ending in "…" when cut.

    The cut backs off to before an ``&`` entity or ``<…>`` token it would split, so the
    result never shows half an ``&amp;`` or a broken mention.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    value = escape(text)
    if len(value) <= limit:
        return value
    end = limit - len(ELLIPSIS)
    opener = max(value.rfind("&", 0, end), value.rfind("<", 0, end))
    if opener >= 0:
        closer = ";" if value[opener] == "&" else ">"
        if value.find(closer, opener, end) < 0:  # the token runs past the cut
            end = opener
    return Escaped(value[:end] + ELLIPSIS)


def _text(kind: str, text: Escaped, limit: int) -> dict[str, Any]:
    value = cut(text, limit)
    obj: dict[str, Any] = {"type": kind, "text": value or " "}  # Slack refuses empty text
    if kind == "plain_text":
        obj["emoji"] = False
    return obj


def plain(text: str | None, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """A ``plain_text`` object (no formatting, no mentions): escaped once, then cut."""
    return _text("plain_text", escape(text), limit)


def mrkdwn(text: Escaped, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """A ``mrkdwn`` object from `Escaped` text (our markup around escaped community text)."""
    if not isinstance(text, Escaped):
        raise TypeError("mrkdwn takes Escaped text: escape community text and wrap our markup in Escaped")
    return _text("mrkdwn", text, limit)


def header(text: str | None) -> dict[str, Any]:
    """A header block; its plain text is cut to 150 characters after escaping."""
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: Escaped) -> dict[str, Any]:
    """A section block with one mrkdwn text of at most 3,000 characters."""
    return {"type": "section", "text": mrkdwn(text, TEXT_LIMIT)}


def fields_section(fields: Sequence[Escaped]) -> dict[str, Any]:
    """A section of two-column fields: the first 10, each at most 2,000 characters."""
    return {"type": "section", "fields": [mrkdwn(f, FIELD_LIMIT) for f in fields[:SECTION_MAX_FIELDS]]}


def context(elements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A context block of at most 10 text objects (built with `plain` or `mrkdwn`)."""
    return {"type": "context", "elements": list(elements[:CONTEXT_MAX_ELEMENTS])}


def rich_link(url: str | None, label: str | None) -> dict[str, Any]:
    """A rich-text link shown with its label literally; without an http(s) URL, just the label.

    Slack refuses a link with an empty ``url``, so a question without a URL becomes text.
    """
    text = cut(label, LINK_LABEL_LIMIT)
    if not url or not url.startswith(("https://", "http://")):
        return {"type": "text", "text": text or "(untitled)"}
    return {"type": "link", "url": url, "text": text or escape(url)}


def rich_text_list(items: Iterable[list[dict[str, Any]]]) -> dict[str, Any]:
    """A rich_text block holding a bulleted list; each item is a list of elements."""
    return {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [{"type": "rich_text_section", "elements": item} for item in items],
            }
        ],
    }


def fallback_text(text: Escaped) -> Escaped:
    """A message's ``text`` (shown in notifications), cut to `FALLBACK_LIMIT`."""
    return cut(text, FALLBACK_LIMIT)


def limit_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks: Slack refuses a message with more."""
    return blocks[:MAX_BLOCKS]
