"""What write-back put on each CRM account, remembered so the next run sends only changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.store import Store
from playbooks.writeback import changed_scores, score_updates
from scoring.records import AccountScoreUpdate

WHEN = datetime(2026, 10, 30, 8, 15, 42, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


def test_rows_round_trip_exactly(store: Store) -> None:
    rows = [AccountScoreUpdate("a1", 71.23, "consideration", -3.14, WHEN),
            AccountScoreUpdate("a2", 0.0, None, 0.0, None)]
    assert store.written_scores("hubspot") == {}
    assert store.save_written_scores("hubspot", rows) == 2
    assert store.written_scores("hubspot") == {"a1": rows[0], "a2": rows[1]}
    assert store.written_scores("hubspot")["a1"].last_activity_at.tzinfo is not None
    assert store.written_scores("salesforce") == {}


def test_a_later_write_replaces_only_its_accounts(store: Store) -> None:
    store.save_written_scores("hubspot", [AccountScoreUpdate("a1", 10.0, "awareness", 1.0, WHEN),
                                          AccountScoreUpdate("a2", 20.0, "awareness", 2.0, WHEN)])
    store.save_written_scores("salesforce", [AccountScoreUpdate("a1", 99.0, "intent", 9.0, None)])
    newer = AccountScoreUpdate("a1", 11.5, None, -0.5, WHEN + timedelta(days=1))
    assert store.save_written_scores("hubspot", [newer]) == 1
    assert store.save_written_scores("hubspot", []) == 0
    assert store.written_scores("hubspot") == {"a1": newer,
                                               "a2": AccountScoreUpdate("a2", 20.0, "awareness", 2.0, WHEN)}
    assert store.written_scores("salesforce") == {"a1": AccountScoreUpdate("a1", 99.0, "intent", 9.0, None)}


def test_what_was_saved_is_not_sent_again(store: Store) -> None:
    elsewhere = timezone(timedelta(hours=-5))
    wanted = score_updates({"a1": 71.23456, "a2": 1 / 3}, {"a1": 0.125}, {"a1": WHEN.astimezone(elsewhere)},
                           {"a1": None, "a2": None, "a3": None}, {"a1": "consideration", "a2": "awareness"})
    store.save_written_scores("hubspot", changed_scores(wanted, store.written_scores("hubspot")))
    assert changed_scores(wanted, store.written_scores("hubspot")) == []
    moved = {**wanted, "a2": AccountScoreUpdate("a2", 0.34, "awareness", 0.0, None)}
    assert changed_scores(moved, store.written_scores("hubspot")) == [moved["a2"]]
