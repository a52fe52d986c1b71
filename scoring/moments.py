"""One rule for time across the public API: every datetime is timezone-aware.

Comparing a naive datetime with an aware one raises a bare ``TypeError`` somewhere deep;
storing one silently guesses its zone. The core checks at its entry points instead and says
which argument is naive and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scoring.errors import ScoringError

__all__ = ["require_aware", "require_all_aware"]


def require_aware(moment: datetime, what: str) -> datetime:
    """``moment`` itself if it is timezone-aware; a `ScoringError` naming ``what`` otherwise."""
    if not isinstance(moment, datetime):
        raise ScoringError(f"{what} must be a datetime, got {type(moment).__name__}: {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScoringError(
            f"{what} is a naive datetime ({moment.isoformat()}); scoring needs timezone-aware "
            "datetimes, e.g. datetime(..., tzinfo=timezone.utc)"
        )
    return moment


def require_all_aware(moments: Iterable[datetime], what: str) -> None:
    """Check every one of ``moments`` (e.g. each alert's time) with `require_aware`."""
    for moment in moments:
        require_aware(moment, what)
