"""Text that every database and encoder accepts: NULs dropped, lone surrogates replaced.

Community services hand back what their users typed, and JSON may carry code points no
database stores: PostgreSQL refuses ``\\x00`` in ``text`` and ``\\u0000`` in ``jsonb``, and a
lone UTF-16 surrogate (``"\\ud800"``, legal in JSON escapes and in Python strings) cannot be
encoded as UTF-8 at all. One poison character must not stop a sync, so connectors clean
every string they read at their boundary, and the store's column types clean again as a
last line of defence.

``clean_text`` is idempotent and returns its argument unchanged (the same object) when
there is nothing to clean, so calling it twice costs little.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REPLACEMENT", "clean_json", "clean_text", "needs_cleaning"]

#: What a lone surrogate becomes: U+FFFD, the character decoders use for "unreadable".
REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")


def needs_cleaning(value: str) -> bool:
    """True when ``value`` holds a NUL or a surrogate code point."""
    if "\x00" in value:
        return True
    return not value.isascii() and _SURROGATE.search(value) is not None


def clean_text(value: str) -> str:
    """``value`` without NUL characters and with lone surrogates replaced by U+FFFD.

    A high surrogate directly followed by a low one (a pair that was never combined) is
    joined into the character it encodes rather than replaced.
    """
    if not isinstance(value, str):
        raise TypeError(f"clean_text expects a str, got {type(value).__name__}")
    if not needs_cleaning(value):
        return value
    value = value.replace("\x00", "")
    if _SURROGATE.search(value) is not None:
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def clean_json(obj: Any) -> Any:
    """A copy of a JSON-like value with every string (keys included) passed through `clean_text`.

    Dicts, lists and tuples are walked (tuples come back as lists, as JSON has them); other
    values are returned as they are. Unchanged containers are still copied, so the caller
    may keep the original.
    """
    if isinstance(obj, str):
        return clean_text(obj)
    if isinstance(obj, dict):
        return {
            (clean_text(k) if isinstance(k, str) else k): clean_json(v) for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [clean_json(item) for item in obj]
    return obj
