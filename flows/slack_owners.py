"""Slack user ids of CRM owners, to mention them in alerts: looked up once a day, not every run.

Slack's ``users.lookupByEmail`` is one call per owner. A sync re-plans the plays it deferred
(over an owner's weekly capacity) every 15 minutes, so without a memory every run asked Slack
for the same owners again. The answers, "no such user" included, are kept in the state
database per Slack block and asked again after `LOOKUP_TTL`, so a new or renamed Slack account
shows within a day. A failed lookup is not kept: the alert goes out without the mention.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from prefect import get_run_logger

from connectors.blocks import CommunitySlackCredentials
from connectors.errors import ConnectorError
from connectors.slack import SlackNotifier
from connectors.store import Store

__all__ = ["LOOKUP_TTL", "owner_slack_ids"]

LOOKUP_TTL = timedelta(days=1)
_CURSOR = "slack:owner-ids:{block}"


def owner_slack_ids(slack_block: str | None, emails: dict[str, str], store: Store) -> dict[str, str]:
    """Slack user id per owner id of ``emails`` (owner id -> email); owners without a Slack user are left out."""
    if not slack_block or not emails:
        return {}
    cursor = _CURSOR.format(block=slack_block)
    now = datetime.now(timezone.utc)
    known: dict[str, dict[str, str | None]] = {  # answers past their day are dropped, not kept forever
        email: entry for email, entry in json.loads(store.get_cursor(cursor) or "{}").items()
        if now - datetime.fromisoformat(str(entry["checked"])) < LOOKUP_TTL}
    fresh = {email: entry["user"] for email, entry in known.items()}
    missing = sorted({email for email in emails.values() if email not in fresh})
    if missing:
        notifier = SlackNotifier(CommunitySlackCredentials.load(slack_block).get_client())
        try:
            for email in missing:
                fresh[email] = notifier.user_id_for_email(email)
                known[email] = {"user": fresh[email], "checked": now.isoformat()}
        except ConnectorError as err:
            get_run_logger().warning("Slack owner lookup failed, alerts go out without mentions: %s", err)
        store.set_cursor(cursor, json.dumps(known, sort_keys=True))
    return {owner_id: user for owner_id, email in emails.items() if (user := fresh.get(email))}
