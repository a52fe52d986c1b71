"""Attribution: tag won deals and opportunities "community-influenced" in the CRM.

A won deal (HubSpot) or opportunity (Salesforce) that closed at most ``window_days`` (90) after
a live Intent alert of its account is community-influenced (`scoring.attribution`). The tag is
a field in the CRM - the deal property ``community_influenced``, the opportunity field
``Community_Influenced__c`` - so revenue teams can report on it where they work. Setting it
is idempotent, and the store remembers what the CRM accepted (the opportunity's
``community_influenced``, also read back by every sync), so a deal is flagged once and never
sent again; one the CRM refused is tried again the next day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from scoring.attribution import IntentAlert, Upgrade, attribute_upgrades
from scoring.records import CrmOpportunity

__all__ = ["Influence", "influenced_to_flag"]


@dataclass(frozen=True, slots=True)
class Influence:
    """A won deal to flag, and the alert that came before it."""

    opportunity_id: str
    account_id: str
    amount: float
    upgraded_at: str
    alerted_at: str


def influenced_to_flag(alerts: Iterable[IntentAlert], opportunities: Iterable[CrmOpportunity], now: datetime,
                       window_days: float = 90) -> list[Influence]:
    """Won opportunities closed by ``now`` within ``window_days`` after an alert of their account, not flagged yet."""
    upgrades = [Upgrade(o.account_id, o.closed_at, o.amount, o.id) for o in opportunities
                if o.is_won and o.account_id and o.closed_at is not None and o.closed_at <= now
                and not o.community_influenced]
    return [Influence(str(a.upgrade.id), a.upgrade.account_id, a.upgrade.amount,
                      a.upgrade.upgraded_at.isoformat(), a.alert.alerted_at.isoformat())
            for a in attribute_upgrades(alerts, upgrades, window_days=window_days)]
