"""Score write-back: each account's community score, tier, velocity and last activity, on the CRM.

Only values that changed since the last write go out (rounded as the CRM shows them: scores
and velocity to 2 decimals, last activity to the second), in full batches (the connectors
batch 100 a call on HubSpot, 200 on Salesforce). Updates are idempotent, so a write that
failed or was lost is simply sent again by the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from scoring.records import AccountScoreUpdate

__all__ = ["changed_scores", "score_updates"]


def score_updates(
    account_scores: Mapping[str, float],
    velocity: Mapping[str, float],
    last_activity: Mapping[str, datetime],
    known_accounts: Mapping[str, object],
    tiers: Mapping[str, str | None],
) -> dict[str, AccountScoreUpdate]:
    """What the CRM should show for every account it knows (accounts without a score show 0).

    ``tiers`` are the accounts' tier states (with hysteresis), not a fresh reading of the floors.
    """
    updates = {}
    for account_id in sorted(known_accounts):
        score = round(float(account_scores.get(account_id, 0.0)), 2)
        when = last_activity.get(account_id)
        updates[account_id] = AccountScoreUpdate(
            account_id=account_id, score=score, tier=tiers.get(account_id),
            velocity=round(float(velocity.get(account_id, 0.0)), 2),
            last_activity_at=when.replace(microsecond=0) if when else None,
        )
    return updates


def changed_scores(
    wanted: Mapping[str, AccountScoreUpdate], written: Mapping[str, AccountScoreUpdate]
) -> list[AccountScoreUpdate]:
    """The updates whose values differ from what was last written (all of them the first time)."""
    return [row for account_id, row in sorted(wanted.items()) if written.get(account_id) != row]
