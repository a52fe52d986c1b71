"""The scoreboard reads the store from two threads where it can, and from one where it must."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connectors.store import Store
from flows.scoreboard import read_scoreboard
from scoring.model import ScoringModel
from scoring.records import Activity, Member

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def fill(store: Store) -> None:
    store.upsert_members([Member(key=f"discourse:{i}", source="discourse", external_id=str(i), username=f"u{i}",
                                 is_staff=i == 0) for i in range(300)])
    store.add_activities([Activity(source="discourse", source_event_id=str(i), member_key=f"discourse:{i % 300}",
                                   type=("reply", "reaction", "premium_feature_question")[i % 3],
                                   occurred_at=NOW - timedelta(hours=7 * i)) for i in range(3000)])


def test_one_shared_in_memory_database_gives_the_scoreboard_a_file_or_server_gives(store: Store) -> None:
    in_memory = Store.open("sqlite://")  # one connection for every thread: read in turn, not at once
    fill(store)
    fill(in_memory)
    assert store.concurrent_reads and not in_memory.concurrent_reads

    boards = [read_scoreboard(s, ScoringModel(), NOW, "hubspot") for s in (store, in_memory, store)]

    assert [b.member_scores for b in boards[1:]] == [boards[0].member_scores] * 2
    assert len(boards[0].member_scores) == 299 and "discourse:0" not in boards[0].member_scores  # staff left out
    assert boards[0].stored_count == 3000
