"""A real Prefect API server for the flow tests, and emulators with saved blocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from connectors.blocks import CommunitySlackCredentials, DiscourseCredentials, HubSpotCredentials  # noqa: E402
from connectors.testing import DiscourseEmulator, HubSpotEmulator, SlackEmulator, generate_community  # noqa: E402
from connectors.testing.community import Community  # noqa: E402
from flows.params import SyncParameters  # noqa: E402

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
    forum: DiscourseEmulator
    slack: SlackEmulator
    crm: HubSpotEmulator
    params: SyncParameters
    database_url: str


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    community = generate_community(members=150, companies=25, activities=2500, seed=3, now=NOW)
    suffix = uuid.uuid4().hex[:8]
    with DiscourseEmulator(community) as forum, \
            SlackEmulator(community, channels=("community-alerts", "community-review")) as slack, \
            HubSpotEmulator(community) as crm:
        DiscourseCredentials(base_url=forum.base_url, api_username=forum.api_username,
                             api_key=SecretStr(forum.api_key)).save(f"forum-{suffix}")
        CommunitySlackCredentials(token=SecretStr(slack.token), base_url=f"{slack.base_url}/api/").save(f"slack-{suffix}")
        HubSpotCredentials(access_token=SecretStr(crm.access_token), base_url=crm.base_url).save(f"crm-{suffix}")
        url = f"sqlite:///{tmp_path / 'state.db'}"
        params = SyncParameters(database_url=url, discourse_block=f"forum-{suffix}", hubspot_block=f"crm-{suffix}",
                                slack_block=f"slack-{suffix}", discourse_requests_per_minute=0)
        yield Deployment(community, forum, slack, crm, params, url)
