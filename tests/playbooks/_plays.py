"""Small builders shared by the playbook planner tests (pure data, no I/O)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from playbooks.actions import Action, SendSlackAlert, action_from_payload
from playbooks.owners import Directory
from playbooks.people import Person
from scoring.records import CrmAccount, CrmOwner

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
#: A community-written name that would ping a whole channel if it reached Slack unescaped.
NASTY = "<!channel> & co"


def directory(name: str = "Acme", *, value: float = 1000.0) -> Directory:
    """One account "a1" owned by "7", whose Slack user is "U7"."""
    return Directory(
        accounts={"a1": CrmAccount("a1", name, owner_id="7", value=value)},
        owners={"7": CrmOwner("7", "rep@vendor.example")},
        owner_slack_ids={"7": "U7"},
    )


def person(key: str = "p1", *, name: str = "Ann", account_id: str | None = "a1", contact_id: str | None = "c1",
           forum: str | None = "ann", days_ago: float = 1, score: float = 80.0) -> Person:
    return Person(key=key, name=name, score=score, account_id=account_id, contact_id=contact_id,
                  forum_username=forum, last_activity_at=NOW - timedelta(days=days_ago))


def keys(actions: Iterable[Action]) -> list[str]:
    return sorted(a.key for a in actions)


def plays(actions: Iterable[Action]) -> set[str]:
    """The play keys a ledger would hold once these actions were recorded."""
    return {a.play for a in actions}


def round_trips(actions: Iterable[Action]) -> bool:
    """Every action comes back equal from its JSON ledger payload."""
    return all(action_from_payload(json.loads(json.dumps(a.to_payload()))) == a for a in actions)


def slack_raw(action: SendSlackAlert) -> str:
    """Everything of a Slack message that Slack parses (text and blocks)."""
    return action.text + json.dumps(action.blocks)
