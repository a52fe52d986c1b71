"""An attempt a lookup cannot settle yet stays open, and the next claim says when it may have acted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.store import Store, StoreError

LEASE = timedelta(minutes=10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        opened.ledger_begin("k", "crm_task", {"subject": "s"})
        yield opened


def test_a_first_claim_has_never_been_sent(store: Store) -> None:
    claim = store.ledger_claim("k", "run-1", lease=LEASE)
    assert claim is not None and not claim.taken_over and claim.maybe_sent_at is None


def test_unsettled_leaves_the_entry_open_without_counting_an_attempt(store: Store) -> None:
    store.ledger_claim("k", "run-1", lease=LEASE)
    assert store.ledger_unsettled("k", "search not indexed yet", owner="run-1") is True
    entry = store.ledger_entry("k")
    assert entry is not None
    assert (entry.status, entry.attempts, entry.error, entry.claimed_by) == (
        "in_flight", 0, "search not indexed yet", None)
    assert entry.lease_until == entry.updated_at  # the lease ends now: the next run may look again
    again = store.ledger_claim("k", "run-2", lease=LEASE, now=entry.lease_until)
    assert again is not None and again.taken_over and again.maybe_sent_at == entry.lease_until
    assert again.entry.claimed_by == "run-2"


def test_only_the_holder_can_leave_an_entry_unsettled(store: Store) -> None:
    store.ledger_claim("k", "run-1", lease=LEASE)
    before = store.ledger_entry("k")
    assert store.ledger_unsettled("k", "x", owner="run-2") is False
    assert store.ledger_entry("k") == before
    store.ledger_done("k", "T1", owner="run-1")
    assert store.ledger_unsettled("k", "x", owner="run-1") is False
    assert store.ledger_entry("k").status == "done"
    with pytest.raises(StoreError):
        store.ledger_unsettled("missing", "x", owner="run-1")


def test_a_crashed_claim_may_have_acted_until_its_lease_ran_out(store: Store) -> None:
    first = store.ledger_claim("k", "run-1", lease=LEASE)
    assert first is not None
    later = first.entry.lease_until + timedelta(seconds=1)
    takeover = store.ledger_claim("k", "run-2", lease=LEASE, now=later)
    assert takeover is not None and takeover.taken_over and takeover.maybe_sent_at == first.entry.lease_until


def test_after_a_failure_the_attempt_may_have_acted_when_it_was_recorded(store: Store) -> None:
    store.ledger_claim("k", "run-1", lease=LEASE)
    store.ledger_failed("k", "HTTP 503", owner="run-1")
    failed = store.ledger_entry("k")
    retry = store.ledger_claim("k", "run-2", lease=LEASE)
    assert failed is not None and retry is not None
    assert not retry.taken_over and retry.maybe_sent_at == failed.updated_at


def test_a_recorded_play_is_done_at_its_moment_and_a_known_key_keeps_its_state(store: Store) -> None:
    from datetime import datetime, timezone

    at = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    entry = store.ledger_record("intent:a:1:holdout", "draft_play", {"play": "intent:a:1"}, "holdout", at)
    assert (entry.status, entry.external_id, entry.created_at, entry.updated_at) == ("done", "holdout", at, at)
    again = store.ledger_record("k", "crm_task", {}, "replayed", at)  # pending before: recorded done now
    assert again.status == "done" and again.external_id == "replayed"
    assert store.ledger_record("k", "crm_task", {}, "other", at).external_id == "replayed"
