"""The weekly capacity every owner-facing play shares, across playbooks.

A rep can work about 20 plays a week, whatever their kind: an Intent alert, a churn save, a
returning member and a champion to thank all come out of the same budget, ranked by
priority = score × account value (`scoring.priority`). Each play counts once however many
actions it takes (an Intent play is an alert and a task), and drafts are counted apart from
live plays, so a week of drafts never uses up the live capacity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from playbooks.actions import Action, play_of
from scoring.model import ScoringModel
from scoring.priority import Candidate, Deferred, apply_capacity

if TYPE_CHECKING:
    from connectors.store import LedgerEntry

__all__ = ["OWNER_FACING", "Play", "PlayPlan", "allot", "plays_this_week"]

#: Playbooks whose plays land on an owner's desk (the first part of their play keys).
OWNER_FACING = frozenset({"intent", "churn", "reemergence", "champion"})


@dataclass(frozen=True)
class Play:
    """One play that could go out: its ranking candidate (``candidate.key`` is the play key) and actions."""

    candidate: Candidate
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class PlayPlan:
    """The actions to take and the plays deferred by capacity caps."""

    actions: list[Action] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)

    def __add__(self, other: PlayPlan) -> PlayPlan:
        return PlayPlan(self.actions + other.actions, self.deferred + other.deferred)


def allot(plays: Iterable[Play], already_this_week: Mapping[str | None, int], model: ScoringModel) -> PlayPlan:
    """Keep each owner's highest-priority plays up to the weekly capacity; defer the rest."""
    by_key = {play.candidate.key: play for play in plays}
    kept, deferred = apply_capacity((p.candidate for p in by_key.values()), already_this_week, model)
    return PlayPlan([a for c in kept for a in by_key[c.key].actions], deferred)


def plays_this_week(entries: Iterable[LedgerEntry], now: datetime, *, draft: bool) -> Counter[str | None]:
    """Owner-facing plays each owner got in the 7 days before ``now`` (drafts or live ones)."""
    since = now - timedelta(days=7)
    plays: dict[str, str | None] = {}
    for entry in entries:
        play = play_of(entry.key, entry.payload)
        if (entry.created_at >= since and play.split(":", 1)[0] in OWNER_FACING
                and play.endswith(":draft") == draft and entry.kind != "draft_play"):
            plays.setdefault(play, entry.payload.get("owner_id"))
    return Counter(plays.values())
