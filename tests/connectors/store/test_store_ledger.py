"""The action ledger ("nothing twice"), the quarantine, and sharing a database across threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from connectors.store import LedgerEntry, QuarantineEntry, Store, StoreError
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
