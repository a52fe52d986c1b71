"""Named leases: one holder at a time, renewable, released, and taken over once expired."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from connectors.store import Store


def test_one_holder_at_a_time(store: Store) -> None:
    assert store.try_lease("pull", "run-a", timedelta(minutes=5))
    assert not store.try_lease("pull", "run-b", timedelta(minutes=5))
    assert store.try_lease("pull", "run-a", timedelta(minutes=5))  # renewal
    assert store.lease_holder("pull") == "run-a"
    store.release_lease("pull", "run-b")  # not the holder: nothing happens
    assert store.lease_holder("pull") == "run-a"
    store.release_lease("pull", "run-a")
    assert store.lease_holder("pull") is None
    assert store.try_lease("pull", "run-b", timedelta(minutes=5))


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    assert store.try_lease("pull", "crashed", timedelta(seconds=-1))  # already run out
    assert store.lease_holder("pull") is None
    assert store.try_lease("pull", "next", timedelta(minutes=5))
    assert store.lease_holder("pull") == "next"


def test_racing_threads_one_wins(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(pool.map(lambda n: store.try_lease("pull", f"run-{n}", timedelta(minutes=5)), range(8)))
    assert won.count(True) == 1


def test_owners_with_a_separator_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.try_lease("pull", "a|b", timedelta(minutes=1))
