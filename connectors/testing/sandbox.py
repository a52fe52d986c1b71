"""A whole emulated deployment: the chosen sources and CRM on 127.0.0.1, and blocks for them.

The demo and the flow tests use it so they run ``community_sync`` exactly as a deployment
would: flows load credential blocks by name and talk real HTTP through the real clients.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from connectors.blocks import (
    CommunitySlackCredentials,
    DiscourseCredentials,
    HubSpotCredentials,
    SalesforceCredentials,
)
from connectors.testing.community import Community
from connectors.testing.discourse import DiscourseEmulator
from connectors.testing.hubspot import HubSpotEmulator
from connectors.testing.salesforce import SalesforceEmulator
from connectors.testing.slack import SlackEmulator
from connectors.testing.slack_community import generate_slack_workspace

__all__ = ["ALERT_CHANNELS", "Sandbox", "SOURCES", "CRMS", "sandbox"]

SOURCES = ("discourse", "slack")
CRMS = ("hubspot", "salesforce")
ALERT_CHANNELS = ("community-alerts", "community-review")


@dataclass
class Sandbox:
    """Running emulators and the names of the blocks that point at them."""

    community: Community
    alerts: SlackEmulator
    crm: HubSpotEmulator | SalesforceEmulator
    forum: DiscourseEmulator | None = None
    slack: SlackEmulator | None = None
    blocks: dict[str, str | None] = field(default_factory=dict)

    def alert_messages(self) -> list[dict[str, Any]]:
        """Every alert posted, live and draft."""
        return [m for channel in ALERT_CHANNELS for m in self.alerts.messages(channel)]

    def crm_tasks(self) -> list[dict[str, Any]]:
        """Tasks created in the CRM emulator."""
        if isinstance(self.crm, HubSpotEmulator):
            return self.crm.tasks()
        return self.crm.records("Task")


@contextmanager
def sandbox(
    community: Community,
    *,
    sources: Sequence[str] = ("discourse",),
    crm: str = "hubspot",
    prefix: str = "demo",
    slack_messages: int = 3000,
    now: datetime | None = None,
) -> Iterator[Sandbox]:
    """Start the emulators of ``sources`` and ``crm`` plus a Slack for alerts; save blocks.

    ``blocks`` holds the SyncParameters block fields (``discourse_block``, ``slack_source_block``,
    ``hubspot_block``/``salesforce_block``, ``slack_block``) with names starting with ``prefix``.
    """
    unknown = (set(sources) - set(SOURCES)) | ({crm} - set(CRMS))
    if unknown or not sources:
        raise ValueError(f"choose sources from {SOURCES} and a CRM from {CRMS}, got {list(sources)} and {crm!r}")
    with ExitStack() as stack:
        alerts = stack.enter_context(SlackEmulator(community, channels=ALERT_CHANNELS))
        CommunitySlackCredentials(token=SecretStr(alerts.token), base_url=f"{alerts.base_url}/api/").save(
            f"{prefix}-slack", overwrite=True)
        blocks: dict[str, str | None] = {"slack_block": f"{prefix}-slack", "discourse_block": None}
        forum = slack = None
        if "discourse" in sources:
            forum = stack.enter_context(DiscourseEmulator(community))
            DiscourseCredentials(base_url=forum.base_url, api_username=forum.api_username,
                                 api_key=SecretStr(forum.api_key)).save(f"{prefix}-discourse", overwrite=True)
            blocks["discourse_block"] = f"{prefix}-discourse"
        if "slack" in sources:
            workspace = generate_slack_workspace(community, messages=slack_messages, now=now)
            slack = stack.enter_context(SlackEmulator(community, token="xoxb-community", workspace=workspace))
            CommunitySlackCredentials(token=SecretStr(slack.token), base_url=f"{slack.base_url}/api/").save(
                f"{prefix}-community-slack", overwrite=True)
            blocks["slack_source_block"] = f"{prefix}-community-slack"
        emulator: HubSpotEmulator | SalesforceEmulator
        if crm == "hubspot":
            emulator = stack.enter_context(HubSpotEmulator(community))
            HubSpotCredentials(access_token=SecretStr(emulator.access_token), base_url=emulator.base_url).save(
                f"{prefix}-hubspot", overwrite=True)
            blocks["hubspot_block"] = f"{prefix}-hubspot"
        else:
            emulator = stack.enter_context(SalesforceEmulator(community))
            SalesforceCredentials(instance_url=emulator.instance_url, session_id=SecretStr(emulator.session_id),
                                  ca_bundle=str(emulator.ca_file)).save(f"{prefix}-salesforce", overwrite=True)
            blocks["salesforce_block"] = f"{prefix}-salesforce"
        yield Sandbox(community, alerts, emulator, forum, slack, blocks)
