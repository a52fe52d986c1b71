"""A real Prefect API server for the flow tests, and emulators with saved blocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from connectors.testing import DiscourseEmulator, HubSpotEmulator, SlackEmulator, generate_community  # noqa: E402
from connectors.testing.community import Community  # noqa: E402
from connectors.testing.sandbox import Sandbox, sandbox  # noqa: E402
from connectors.config_blocks import StateDatabase  # noqa: E402

NOW = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@dataclass
class Deployment:
    """Emulators of one community, blocks pointing at them, and sync parameters."""

    community: Community
    box: Sandbox
    params: dict[str, Any]
    database_url: str

    @property
    def forum(self) -> DiscourseEmulator:
        assert self.box.forum is not None
        return self.box.forum

    @property
    def slack(self) -> SlackEmulator:
        """The Slack where alerts go."""
        return self.box.alerts

    @property
    def crm(self) -> HubSpotEmulator:
        assert isinstance(self.box.crm, HubSpotEmulator)
        return self.box.crm


def make_deployment(tmp_path: Path, *, sources=("discourse",), crm="hubspot",
                    database_url: str | None = None) -> Iterator[Deployment]:
    community = generate_community(members=150, companies=25, activities=2500, seed=3, now=NOW)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with sandbox(community, sources=sources, crm=crm, prefix=prefix, slack_messages=600, now=NOW) as box:
        url = database_url or f"sqlite:///{tmp_path / 'state.db'}"
        StateDatabase(url=url).save(f"{prefix}-db", overwrite=True)
        params = dict(database_block=f"{prefix}-db", crm=crm, intent_mode="live", discourse_requests_per_minute=0,
                      slack_pacing="unpaced", nurture_mode="off", reemergence_mode="off", **box.blocks)
        yield Deployment(community, box, params, url)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """Discourse + HubSpot."""
    yield from make_deployment(tmp_path)
