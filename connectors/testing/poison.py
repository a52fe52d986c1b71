"""Poison records for the emulators: what a real service sometimes sends, on demand.

Real APIs occasionally hand back a record that breaks a naive reader: ``null`` or a string
where an object belongs, ``"many"`` for a count, ``"abc"`` for an id, a liker or reactor
without a user. Tests register such records here and the emulator serves them over HTTP,
in place of (or alongside) the records it renders from the community, on every request
until cleared, the way a bad record in production comes back run after run.

Text poison (NULs, lone surrogates) needs none of this: put it in the community's data
(``Post.raw``, ``Person.name``, ``SlackMessage.text``...) and the emulator serves it as JSON
escapes, exactly as a real service would.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Hashable
from typing import Any

__all__ = ["Poison"]

_MISSING = object()


class Poison:
    """Records keyed by (kind, key) that an emulator swaps in when it renders that record.

    Kinds are the emulator's: Discourse ``"user"`` (user id), ``"post"`` (post id) and
    ``"likers"`` (post id); Slack ``"user"`` (user id) and ``"message"`` ((channel id, ts)).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replaced: dict[tuple[str, Hashable], Any] = {}
        self._patched: dict[tuple[str, Hashable], dict[str, Any]] = {}
        self._extra: dict[tuple[str, Hashable], list[Any]] = {}

    def replace(self, kind: str, key: Hashable, value: Any) -> None:
        """Serve ``value`` (any JSON value: a string, None, a broken object) instead."""
        with self._lock:
            self._replaced[(kind, key)] = value

    def patch(self, kind: str, key: Hashable, **fields: Any) -> None:
        """Serve the rendered record with ``fields`` set to these values."""
        with self._lock:
            self._patched.setdefault((kind, key), {}).update(fields)

    def append(self, kind: str, key: Hashable, *values: Any) -> None:
        """Serve ``values`` after the rendered entries of a list (likers of a post)."""
        with self._lock:
            self._extra.setdefault((kind, key), []).extend(values)

    def clear(self) -> None:
        """Serve everything as rendered again."""
        with self._lock:
            self._replaced.clear()
            self._patched.clear()
            self._extra.clear()

    def apply(self, kind: str, key: Hashable, rendered: Any) -> Any:
        """The record to serve for ``rendered``: replaced, patched, or as it is."""
        with self._lock:
            replaced = self._replaced.get((kind, key), _MISSING)
            fields = self._patched.get((kind, key))
            if replaced is not _MISSING:
                return copy.deepcopy(replaced)
            if fields and isinstance(rendered, dict):
                return {**rendered, **copy.deepcopy(fields)}
        return rendered

    def extra(self, kind: str, key: Hashable) -> list[Any]:
        """The entries to serve after the rendered ones (empty when none)."""
        with self._lock:
            return copy.deepcopy(self._extra.get((kind, key), []))
