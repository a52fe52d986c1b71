"""The action ledger ("nothing twice"), the quarantine, and sharing a database across threads."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from connectors.store import LedgerClaim, LedgerEntry, QuarantineEntry, Store, StoreError
from scoring.records import Activity

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_begin_records_a_pending_entry(store: Store) -> None:
    payload = {"channel": "#sales", "account": "a1", "score": 81.5, "tags": ["intent", "ü"]}
    entry = store.ledger_begin("slack:a1:intent:1", "slack_alert", payload)
    assert isinstance(entry, LedgerEntry)
    assert (entry.key, entry.kind, entry.status) == ("slack:a1:intent:1", "slack_alert", "pending")
    assert entry.payload == payload
    assert (entry.external_id, entry.attempts, entry.error) == (None, 0, None)
    assert entry.created_at.tzinfo is timezone.utc
    assert store.ledger_entry("slack:a1:intent:1") == entry
    assert store.ledger_entry("missing") is None


def test_second_begin_returns_the_existing_entry(store: Store) -> None:
    first = store.ledger_begin("k", "crm_task", {"v": 1})
    again = store.ledger_begin("k", "other_kind", {"v": 2})
    assert again == first
    store.ledger_done("k", "task-9")
    done = store.ledger_begin("k", "crm_task", {"v": 3})
    assert (done.status, done.external_id, done.payload) == ("done", "task-9", {"v": 1})
    assert len(store.ledger()) == 1


def test_done_and_failed(store: Store) -> None:
    store.ledger_begin("a", "slack_alert", {})
    store.ledger_begin("b", "crm_task", {})
    store.ledger_begin("c", "crm_task", {})

    store.ledger_failed("b", "HubSpot 500")
    store.ledger_failed("b", "HubSpot 502")
    failed = store.ledger_entry("b")
    assert failed is not None
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "HubSpot 502")
    assert failed.updated_at >= failed.created_at

    store.ledger_done("a", "1700000000.000100")
    store.ledger_done("b", None)  # retried later and it worked
    b = store.ledger_entry("b")
    assert b is not None and (b.status, b.attempts, b.error) == ("done", 2, None)

    assert store.done_keys() == {"a", "b"}
    assert [e.key for e in store.ledger(status="pending")] == ["c"]
    assert {e.key for e in store.ledger(kind="crm_task")} == {"b", "c"}
    assert [e.key for e in store.ledger(status="done", kind="crm_task")] == ["b"]


def test_ledger_refuses_unknown_keys_and_statuses(store: Store) -> None:
    with pytest.raises(StoreError, match="no ledger entry"):
        store.ledger_done("never-begun", "x")
    with pytest.raises(StoreError, match="no ledger entry"):
        store.ledger_failed("never-begun", "boom")
    with pytest.raises(StoreError, match="unknown ledger status"):
        store.ledger(status="finished")


def test_concurrent_begins_of_one_key_agree(database_url: str) -> None:
    """Two runs racing to record the same action both see one and the same entry."""
    stores = [Store.open(database_url) for _ in range(2)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            entries = list(
                pool.map(
                    lambda i: stores[i % 2].ledger_begin("race", f"kind{i}", {"by": i}),
                    range(16),
                )
            )
        assert len({(e.kind, e.created_at) for e in entries}) == 1
        assert len(stores[0].ledger()) == 1
    finally:
        for s in stores:
            s.close()


LEASE = timedelta(minutes=10)


def test_a_claim_makes_the_entry_in_flight_for_one_owner(store: Store) -> None:
    store.ledger_begin("k", "slack_alert", {"v": 1})
    now = datetime.now(timezone.utc)
    claim = store.ledger_claim("k", "run-a", lease=LEASE, now=now)
    assert isinstance(claim, LedgerClaim) and not claim.taken_over
    entry = claim.entry
    assert (entry.status, entry.claimed_by, entry.lease_until) == ("in_flight", "run-a", now + LEASE)
    assert store.ledger_entry("k") == entry
    assert store.ledger(status="in_flight") == [entry]
    # While the lease runs, nobody else gets it - nor the same run a second time.
    assert store.ledger_claim("k", "run-b", lease=LEASE, now=now + LEASE / 2) is None
    assert store.ledger_claim("k", "run-a", lease=LEASE) is None
    assert store.ledger_entry("k") == entry


def test_done_and_failed_release_the_claim(store: Store) -> None:
    store.ledger_begin("k", "crm_task", {})
    assert store.ledger_claim("k", "run-a", lease=LEASE) is not None
    assert store.ledger_failed("k", "HubSpot 503", owner="run-a") is True
    failed = store.ledger_entry("k")
    assert failed is not None
    assert (failed.status, failed.attempts, failed.error) == ("failed", 1, "HubSpot 503")
    assert (failed.claimed_by, failed.lease_until) == (None, None)

    retry = store.ledger_claim("k", "run-b", lease=LEASE)  # a failed entry is open again
    assert retry is not None and not retry.taken_over and retry.entry.attempts == 1
    assert store.ledger_done("k", "task-7", owner="run-b") is True
    done = store.ledger_entry("k")
    assert done is not None
    assert (done.status, done.external_id, done.error) == ("done", "task-7", None)
    assert (done.claimed_by, done.lease_until) == (None, None)
    assert store.ledger_claim("k", "run-c", lease=LEASE) is None  # done is never claimed


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses_its_say(store: Store) -> None:
    """A run that stalled past its lease: another run takes over, looking before it acts."""
    store.ledger_begin("k", "slack_alert", {})
    t0 = datetime.now(timezone.utc)
    assert store.ledger_claim("k", "run-a", lease=LEASE, now=t0) is not None
    assert store.ledger_claim("k", "run-b", lease=LEASE, now=t0 + LEASE - timedelta(seconds=1)) is None

    taken = store.ledger_claim("k", "run-b", lease=LEASE, now=t0 + LEASE + timedelta(seconds=1))
    assert taken is not None and taken.taken_over
    assert taken.entry.claimed_by == "run-b"

    # The stalled run's failure would undo run-b's claim: refused.
    assert store.ledger_failed("k", "timeout", owner="run-a") is False
    held = store.ledger_entry("k")
    assert held is not None and (held.status, held.claimed_by, held.attempts) == ("in_flight", "run-b", 0)
    # Its success is a fact (the message exists): accepted, and the claim released.
    assert store.ledger_done("k", "C1/111.000001", owner="run-a") is True
    # run-b, finishing after (its lookup found run-a's message), keeps the first id.
    assert store.ledger_done("k", "C1/111.000001", owner="run-b") is False
    assert store.ledger_failed("k", "late error", owner="run-b") is False
    final = store.ledger_entry("k")
    assert final is not None
    assert (final.status, final.external_id, final.claimed_by) == ("done", "C1/111.000001", None)


def test_claims_leave_entries_without_attempts_alone(store: Store) -> None:
    store.ledger_begin("k", "crm_task", {})
    store.ledger_failed("k", "500")
    store.ledger_failed("k", "502")
    assert store.ledger_claim("k", "run-a", lease=LEASE, max_attempts=2) is None
    assert store.ledger_claim("k", "run-a", lease=LEASE, max_attempts=3) is not None


def test_claims_refuse_unknown_keys_and_empty_leases(store: Store) -> None:
    with pytest.raises(StoreError, match="no ledger entry"):
        store.ledger_claim("never-begun", "run-a", lease=LEASE)
    store.ledger_begin("k", "crm_task", {})
    with pytest.raises(StoreError, match="lease must be positive"):
        store.ledger_claim("k", "run-a", lease=timedelta(0))
    with pytest.raises(StoreError, match="no ledger entry"):
        store.ledger_done("never-begun", "x", owner="run-a")
    with pytest.raises(StoreError, match="no ledger entry"):
        store.ledger_failed("never-begun", "boom", owner="run-a")


def test_threads_racing_to_claim_each_key_exactly_one_wins(database_url: str) -> None:
    """Eight threads on two connections pools claim the same keys at the same moment."""
    keys = [f"race-{i}" for i in range(12)]
    stores = [Store.open(database_url) for _ in range(2)]
    workers = 8
    start = threading.Barrier(workers)

    def run(worker: int) -> list[str]:
        start.wait()
        store = stores[worker % 2]
        return [k for k in keys if store.ledger_claim(k, f"run-{worker}", lease=LEASE) is not None]

    try:
        for key in keys:
            stores[0].ledger_begin(key, "slack_alert", {})
        with ThreadPoolExecutor(max_workers=workers) as pool:
            won = list(pool.map(run, range(workers)))
        winners = sorted(k for keys_won in won for k in keys_won)
        assert winners == sorted(keys)  # each key claimed once, by one worker
        owners = {e.key: e.claimed_by for e in stores[1].ledger(status="in_flight")}
        assert owners == {k: f"run-{w}" for w, keys_won in enumerate(won) for k in keys_won}
    finally:
        for s in stores:
            s.close()


def test_two_threads_share_the_database(database_url: str) -> None:
    """A task thread and the flow thread writing at once: no "database is locked"."""
    stores = [Store.open(database_url) for _ in range(2)]

    def pull(worker: int) -> int:
        new = 0
        for page in range(20):
            acts = [
                Activity(f"src{worker}", f"{page}-{i}", "m", "reply", T0 + timedelta(seconds=i))
                for i in range(50)
            ]
            new += stores[worker].save_page(activities=acts, cursor=(f"src{worker}", str(page)))
            stores[1 - worker].count_activities()
        return new

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            assert sum(pool.map(pull, range(2))) == 2 * 20 * 50
        assert stores[0].count_activities() == 2000
        assert stores[1].get_cursor("src0") == stores[0].get_cursor("src1") == "19"
    finally:
        for s in stores:
            s.close()


def test_quarantine_keeps_huge_unicode_payloads_whole(store: Store) -> None:
    text = ("Grüße 🚀 naïve café — 漢字 " * 8_000)[:200_000]
    assert len(text.encode()) > 200_000
    store.quarantine("discourse", "post:42", "unparseable date", text)
    store.quarantine("slack", None, "unknown subtype", {"type": "message", "text": "héllo 👋"})
    first, second = store.quarantined()
    assert isinstance(first, QuarantineEntry)
    assert (first.source, first.ref, first.reason) == ("discourse", "post:42", "unparseable date")
    assert first.payload == text
    assert first.created_at.tzinfo is timezone.utc
    assert second.ref is None
    assert json.loads(second.payload) == {"type": "message", "text": "héllo 👋"}
    assert "👋" in second.payload  # stored readable, not \\u-escaped
