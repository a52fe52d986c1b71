"""Find a forgotten person in stored text and put a placeholder where they were.

Pure string work, used by `connectors.store.privacy`. Two kinds of needle:

- identifiers (email, username, name, member key): found case-insensitively as whole
  words, also in their HTML-escaped form (CRM task bodies and Slack text are escaped);
- texts they wrote (titles, excerpts): found by their first `TEXT_PREFIX` characters,
  because alerts cut long titles, and replaced as far as the stored text follows theirs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MIN_IDENTIFIER", "MIN_TEXT", "PLACEHOLDER", "TEXT_PREFIX", "Redactor"]

#: What stands where personal data was.
PLACEHOLDER = "[removed]"
#: Identifiers shorter than this are too common to search text for (they are still deleted).
MIN_IDENTIFIER = 3
#: Texts shorter than this ("Thanks!") are not theirs alone.
MIN_TEXT = 12
#: A text is recognised by this many leading characters.
TEXT_PREFIX = 24


def _variants(value: str) -> set[str]:
    return {value, html.escape(value, quote=False), html.escape(value)}


class Redactor:
    """Replaces one person's identifiers and texts in strings and JSON documents."""

    def __init__(self, identifiers: Iterable[str | None], texts: Iterable[str | None] = ()) -> None:
        ids = {v.strip() for v in identifiers if v and len(v.strip()) >= MIN_IDENTIFIER}
        needles = sorted({n for v in ids for n in _variants(v)}, key=lambda n: (-len(n), n))
        self.identifiers = tuple(sorted(ids))
        self._ids = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, needles)) + r")(?!\w)", re.IGNORECASE)
                     if needles else None)
        own = {t.strip() for t in texts if t and len(t.strip()) >= MIN_TEXT}
        self._texts = sorted({n for t in own for n in _variants(t)}, key=lambda n: (-len(n), n))

    def __bool__(self) -> bool:
        return bool(self._ids or self._texts)

    def text(self, value: str) -> str:
        """``value`` with every identifier and text of the person replaced by `PLACEHOLDER`."""
        if self._ids is not None:
            value = self._ids.sub(PLACEHOLDER, value)
        for own in self._texts:
            value = _cut(value, own)
        return value

    def json(self, value: Any) -> Any:
        """A JSON document with `text` applied to every string in it (keys stay)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value


def _cut(value: str, own: str) -> str:
    """Replace each run of ``value`` that starts like ``own`` and follows it, as far as it does."""
    prefix = own[:TEXT_PREFIX]
    start = value.find(prefix)
    while start >= 0:
        end = start + len(prefix)
        while end < len(value) and end - start < len(own) and value[end] == own[end - start]:
            end += 1
        value = value[:start] + PLACEHOLDER + value[end:]
        start = value.find(prefix, start + len(PLACEHOLDER))
    return value
