"""Fixtures for connector and emulator tests: a small community and running emulators."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from connectors.testing import (
    Community,
    DiscourseEmulator,
    HubSpotEmulator,
    SlackEmulator,
    generate_community,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def community() -> Community:
    """Small enough to be fresh for every test (tests mutate it)."""
    return generate_community(members=250, companies=50, activities=3000, seed=11, now=NOW)


@pytest.fixture
def discourse(community: Community):
    with DiscourseEmulator(community) as emulator:
        yield emulator


@pytest.fixture
def slack(community: Community):
    with SlackEmulator(community) as emulator:
        yield emulator


@pytest.fixture
def hubspot(community: Community):
    with HubSpotEmulator(community) as emulator:
        yield emulator


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record instead of sleeping in the client libraries' retry loops."""
    import pydiscourse.client

    slept: list[float] = []
    # pydiscourse calls the module's ``time.sleep``: swap the module it sees, not the global
    # function (the emulator's own delay faults sleep for real in server threads).
    monkeypatch.setattr(pydiscourse.client, "time", SimpleNamespace(sleep=slept.append))
    return slept
