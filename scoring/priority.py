"""Play priority and the per-owner weekly capacity cap.

A rep can work about 20 plays a week; more alerts than that are noise. Plays are ranked by
priority = account score × max(account value, 1) and each owner keeps the top ones; the rest
are deferred with the reason, to be reconsidered next week or shown in the report.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scoring.model import ScoringModel

__all__ = ["Candidate", "Deferred", "apply_capacity", "priority"]


def _finite(number: float) -> float:
    """A number that sorts: NaN and ±inf (a CRM's "NaN" parsed as a float) count as unknown, 0."""
    return number if math.isfinite(number) else 0.0


def priority(score: float, value: float) -> float:
    """Account score × max(account value, 1): a zero or unknown (NaN, inf) value still ranks by score.

    Why finite: NaN compares false both ways, so one NaN would make the ranking depend on the
    order the candidates came in; a product too large for a float is capped, not infinite.
    """
    product = _finite(score) * max(_finite(value), 1.0)
    return product if math.isfinite(product) else math.copysign(sys.float_info.max, product)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A play that could go out: ``key`` identifies it (e.g. ``"intent:acme:3"``)."""

    key: str
    account_id: str
    owner_id: str | None
    score: float
    value: float = 0.0

    @property
    def priority(self) -> float:
        return priority(self.score, self.value)


@dataclass(frozen=True, slots=True)
class Deferred:
    """A candidate held back by the capacity cap, and why."""

    candidate: Candidate
    reason: str


def apply_capacity(
    candidates: Iterable[Candidate],
    already_this_week: Mapping[str | None, int],
    model: ScoringModel,
) -> tuple[list[Candidate], list[Deferred]]:
    """Keep at most ``capacity_per_owner_per_week`` plays per owner, highest priority first.

    ``already_this_week`` counts the plays each owner already received this week (the
    caller decides where a week starts). Ties are broken by higher score, then account id,
    then key, so the result never depends on input order. Candidates without an owner
    share one ``None`` bucket with the same cap. Both lists come back in priority order.
    """
    cap = model.capacity_per_owner_per_week
    ranked = sorted(candidates, key=lambda c: (-c.priority, -_finite(c.score), c.account_id, c.key))
    used: dict[str | None, int] = defaultdict(int, already_this_week)
    kept: list[Candidate] = []
    deferred: list[Deferred] = []
    for candidate in ranked:
        owner = candidate.owner_id
        if used[owner] >= cap:
            deferred.append(Deferred(candidate, (
                f"owner {owner or '(none)'} reached the capacity of {cap} plays per week "
                f"({already_this_week.get(owner, 0)} earlier this week, "
                f"{used[owner] - already_this_week.get(owner, 0)} of higher priority now); "
                f"priority {candidate.priority:g}"
            )))
            continue
        used[owner] += 1
        kept.append(candidate)
    return kept, deferred
