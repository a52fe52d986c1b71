"""backfill: pulls everything resumably; while a run pulls, other runs stand aside."""

from __future__ import annotations

from datetime import timedelta

from connectors.store import Store
from flows.backfill import backfill
from flows.community_sync import community_sync
from flows.lease import PULL_LEASE
from tests.flows.conftest import NOW, Deployment

BACKFILL_KEYS = ("discourse_block", "slack_source_block", "crm", "hubspot_block", "salesforce_block",
                 "database_block", "discourse_requests_per_minute", "slack_pacing")


def test_backfill_pulls_everything_and_the_sync_scores_it(deployment: Deployment) -> None:
    d = deployment
    pulled = backfill(**{k: v for k, v in d.params.items() if k in BACKFILL_KEYS})
    total = len(d.community.posts) + len(d.community.likes)
    assert pulled["discourse"]["new_activities"] == total and pulled["identity"]["matched"] > 0
    assert d.slack.messages("community-alerts") == [] and d.crm.tasks() == []  # no plays from a backfill

    synced = community_sync(**d.params, now=NOW)
    assert synced["discourse"]["new_activities"] == 0
    assert synced["scored"]["entered_intent"] and len(d.slack.messages("community-alerts")) == len(
        synced["scored"]["entered_intent"])


def test_a_sync_stands_aside_while_another_run_pulls(deployment: Deployment) -> None:
    d = deployment
    with Store.open(d.database_url) as store:
        assert store.try_lease(PULL_LEASE, "flow run busy-backfill", timedelta(minutes=5))
    state = community_sync(**d.params, now=NOW, return_state=True)
    assert state.is_completed() and "busy-backfill is pulling" in state.message
    assert d.forum.requests == [] and d.slack.messages("community-alerts") == []
    blocked = backfill(**{k: v for k, v in d.params.items() if k in BACKFILL_KEYS}, return_state=True)
    assert blocked.is_completed() and "busy-backfill" in blocked.message

    with Store.open(d.database_url) as store:
        store.release_lease(PULL_LEASE, "flow run busy-backfill")
    assert community_sync(**d.params, now=NOW)["discourse"]["new_activities"] > 0
    with Store.open(d.database_url) as store:
        assert store.lease_holder(PULL_LEASE) is None  # released when the run ended
