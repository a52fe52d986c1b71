"""Attribution (pure): which won deals to flag community-influenced."""

from datetime import datetime, timedelta, timezone

from playbooks.attribution import influenced_to_flag
from scoring.attribution import IntentAlert
from scoring.records import CrmOpportunity

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def won(oid: str, account: str, days_ago: float, **kwargs) -> CrmOpportunity:
    return CrmOpportunity(oid, account, "Upgrade", "closedwon", 1000.0, NOW - timedelta(days=days_ago),
                          is_won=True, **kwargs)


def test_won_within_90_days_after_an_alert_and_not_flagged_yet() -> None:
    alerts = [IntentAlert("a", NOW - timedelta(days=100)), IntentAlert("b", NOW - timedelta(days=10))]
    opportunities = [
        won("1", "a", 20),  # 80 days after the alert: influenced
        won("2", "a", 5),  # 95 days after: not
        won("3", "b", 30),  # before the alert: not
        won("4", "b", 2, community_influenced=True),  # flagged already
        won("5", "b", -3),  # closes in the future
        CrmOpportunity("6", "b", stage="closedlost", closed_at=NOW - timedelta(days=1)),
        won("7", "c", 1),  # never alerted
    ]
    found = influenced_to_flag(alerts, opportunities, NOW)
    assert [(i.opportunity_id, i.account_id) for i in found] == [("1", "a")]
    assert found[0].alerted_at == (NOW - timedelta(days=100)).isoformat()
    assert influenced_to_flag(alerts, reversed(opportunities), NOW) == found
