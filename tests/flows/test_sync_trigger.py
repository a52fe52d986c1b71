"""Receivers ask for a sync when they store activity: a burst is at most two asks per window."""

from __future__ import annotations

import time

import yaml

from flows.sync_trigger import EVENT, SyncTrigger


def test_a_burst_is_one_ask_now_and_one_when_the_window_closes() -> None:
    asked: list[tuple[str, int, float]] = []
    trigger = SyncTrigger("discourse", lambda source, n: asked.append((source, n, time.monotonic())), 0.5)
    start = time.monotonic()
    for _ in range(50):
        trigger.notify(2)
    assert [(s, n) for s, n, _ in asked] == [("discourse", 2)]  # at once
    time.sleep(0.8)
    assert [(s, n) for s, n, _ in asked] == [("discourse", 2), ("discourse", 98)]  # the rest, once
    assert 0.4 <= asked[1][2] - start < 0.8
    time.sleep(0.6)
    trigger.notify(1)  # a quiet window later: at once again
    assert [n for _, n, _ in asked] == [2, 98, 1]
    trigger.notify(0)
    trigger.close()
    assert [n for _, n, _ in asked] == [2, 98, 1]


def test_a_failing_ask_never_fails_the_delivery() -> None:
    def down(source: str, n: int) -> None:
        raise ConnectionError("no Prefect API")

    SyncTrigger("slack", down, 10).notify(1)  # logged, not raised


def test_the_community_sync_deployment_answers_the_event() -> None:
    deployments = {d["name"]: d for d in yaml.safe_load(open("prefect.yaml"))["deployments"]}
    (trigger,) = deployments["community-sync"]["triggers"]
    assert trigger["expect"] == [EVENT] and trigger["enabled"]
    assert "community-scoring.source.discourse".startswith(trigger["match"]["prefect.resource.id"].rstrip("*"))

