"""Block Kit messages, with every piece of community-written text escaped.

Slack parses ``<...>`` as mentions and links and ``&`` as entities: replacing those three
characters is the documented escaping, so ``<!channel>`` typed by a member cannot ping
anyone. Community text goes only into ``plain_text`` objects and rich-text ``text``
elements, where ``*bold*`` and friends are not formatted either.
"""

from __future__ import annotations

from typing import Any

__all__ = ["escape", "plain", "rich_link", "rich_text_list"]


def escape(text: str | None) -> str:
    """Slack's escaping of text it would otherwise parse: & < > only."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str | None, limit: int = 3000) -> dict[str, Any]:
    """A ``plain_text`` object (no formatting, no mentions), trimmed to Slack's limit."""
    value = escape(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return {"type": "plain_text", "text": value or " ", "emoji": False}


def rich_link(url: str, label: str | None) -> dict[str, Any]:
    """A rich-text link whose label is shown literally."""
    return {"type": "link", "url": url, "text": escape(label)[:500] or url}


def rich_text_list(items: list[list[dict[str, Any]]]) -> dict[str, Any]:
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
