"""Owners' Slack ids are looked up once a day, not on every sync (one Slack call per owner)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from connectors.store import Store
from flows.community_sync import community_sync
from flows.slack_owners import LOOKUP_TTL, owner_slack_ids
from tests.flows.conftest import NOW, Deployment

LOOKUP = "/api/users.lookupByEmail"


def lookups(d: Deployment) -> list[str]:
    return [r.path for r in d.slack.requests if r.path == LOOKUP]


def test_answers_are_kept_for_a_day_including_no_such_user(deployment: Deployment) -> None:
    d = deployment
    owners = {o.id: o.email for o in d.community.owners[:3]} | {"ghost": "nobody@nowhere.example"}
    block = d.params["slack_block"]
    with Store.open(d.database_url) as store:
        d.slack.requests.clear()
        found = owner_slack_ids(block, owners, store)
        assert found == {o.id: o.slack_user_id for o in d.community.owners[:3]}
        assert len(lookups(d)) == 4
        assert owner_slack_ids(block, owners, store) == found
        assert len(lookups(d)) == 4  # the ghost's "no such user" is kept too

        name = f"slack:owner-ids:{block}"
        kept = json.loads(store.get_cursor(name) or "{}")
        day_ago = (datetime.now(timezone.utc) - LOOKUP_TTL - timedelta(minutes=1)).isoformat()
        kept[owners["ghost"]]["checked"] = day_ago
        store.set_cursor(name, json.dumps(kept))
        assert owner_slack_ids(block, owners, store) == found
        assert len(lookups(d)) == 5  # only the answer older than a day is asked again


def test_a_re_run_asks_slack_for_no_owner(deployment: Deployment) -> None:
    d = deployment
    community_sync(**{**d.params, "intent_mode": "live"}, now=NOW)
    first = len(lookups(d))
    d.slack.requests.clear()
    community_sync(**{**d.params, "intent_mode": "live"}, now=NOW + timedelta(minutes=15))
    assert first > 0 and lookups(d) == []
