"""A whole emulated deployment: the chosen sources and CRM on 127.0.0.1, and blocks for them.

The demo and the flow tests use it so they run ``community_sync`` exactly as a deployment
would: flows load credential blocks by name and talk real HTTP through the real clients.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

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
from connectors.testing.server import Emulator
from connectors.testing.slack import SlackEmulator
from connectors.testing.slack_community import generate_slack_workspace

__all__ = ["ALERT_CHANNELS", "CRMS", "PLAIN_BLOCK_NAMES", "PORT_OFFSETS", "SOURCES", "Sandbox", "block_names",
           "sandbox"]

SOURCES = ("discourse", "slack")
CRMS = ("hubspot", "salesforce")
ALERT_CHANNELS = ("community-alerts", "community-review", "customer-success", "community-team")

#: The block names prefect.yaml's deployments use (the SyncParameters defaults).
PLAIN_BLOCK_NAMES = {
    "slack_block": "community-slack",
    "discourse_block": "discourse",
    "slack_source_block": "community-slack-source",
    "hubspot_block": "hubspot",
    "salesforce_block": "salesforce",
}

#: Where each emulator listens relative to ``port_base`` (fixed ports keep saved blocks valid).
PORT_OFFSETS = {"discourse": 0, "hubspot": 1, "alerts": 2, "salesforce": 3, "slack": 4}

E = TypeVar("E", bound=Emulator)


def block_names(prefix: str | None) -> dict[str, str]:
    """Block name per SyncParameters field: ``prefix-...`` names, or the plain ones for None."""
    if prefix is None:
        return dict(PLAIN_BLOCK_NAMES)
    return {"slack_block": f"{prefix}-slack", "discourse_block": f"{prefix}-discourse",
            "slack_source_block": f"{prefix}-community-slack", "hubspot_block": f"{prefix}-hubspot",
            "salesforce_block": f"{prefix}-salesforce"}


@dataclass
class Sandbox:
    """Running emulators and the names of the blocks that point at them."""

    community: Community
    alerts: SlackEmulator
    crm: HubSpotEmulator | SalesforceEmulator
    forum: DiscourseEmulator | None = None
    slack: SlackEmulator | None = None
    blocks: dict[str, str | None] = field(default_factory=dict)
    crms: dict[str, HubSpotEmulator | SalesforceEmulator] = field(default_factory=dict)

    def endpoints(self) -> dict[str, str]:
        """Base URL of every running emulator, by role."""
        running: dict[str, Emulator | None] = {"discourse": self.forum, "alerts": self.alerts, "slack": self.slack,
                                               **self.crms}
        return {role: emulator.base_url for role, emulator in running.items() if emulator is not None}

    def alert_messages(self) -> list[dict[str, Any]]:
        """Every alert posted, live and draft."""
        return [m for channel in ALERT_CHANNELS for m in self.alerts.messages(channel)]

    def playbook_settings(self) -> dict[str, str]:
        """The seeded lists, campaigns, sequence, sender and forum group, as flow parameters.

        Keys starting ``nurture_`` are `community_sync` parameters; the others `daily_signals`'.
        """
        settings: dict[str, str] = {}
        hubspot, salesforce = self.crms.get("hubspot"), self.crms.get("salesforce")
        if isinstance(hubspot, HubSpotEmulator):
            sender = self.community.owners[0]
            settings |= {"nurture_hubspot_list_id": hubspot.nurture_list_id,
                         "nurture_hubspot_sequence_id": hubspot.nurture_sequence_id,
                         "nurture_hubspot_sender_email": sender.email,
                         "nurture_hubspot_sender_user_id": str(sender.user_id),
                         "newsletter_hubspot_list_id": hubspot.newsletter_list_id}
        if isinstance(salesforce, SalesforceEmulator):
            settings |= {"nurture_salesforce_campaign_id": salesforce.nurture_campaign_id,
                         "newsletter_salesforce_campaign_id": salesforce.newsletter_campaign_id}
        if self.forum is not None:
            settings |= {"champion_discourse_group": "champions",
                         "champion_message_title": "An invitation to our champions programme"}
        return settings

    def crm_tasks(self) -> list[dict[str, Any]]:
        """Tasks created in the CRM emulator."""
        if isinstance(self.crm, HubSpotEmulator):
            return self.crm.tasks()
        return self.crm.records("Task")


def _start(stack: ExitStack, emulator: E, role: str, port_base: int) -> E:
    """Start ``emulator`` on its fixed port (``port_base`` + offset) or, for 0, any free one."""
    if port_base:
        emulator.listen_port = port_base + PORT_OFFSETS[role]
    try:
        return stack.enter_context(emulator)
    except OSError as err:
        raise OSError(f"{role} emulator cannot listen on 127.0.0.1:{emulator.listen_port}: {err.strerror}; "
                      "choose another port base") from err


def _secret(prefix: str, fresh: bool, default: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(24)}" if fresh else default


@contextmanager
def sandbox(
    community: Community,
    *,
    sources: Sequence[str] = ("discourse",),
    crm: str | Sequence[str] = "hubspot",
    prefix: str | None = "demo",
    slack_messages: int = 3000,
    now: datetime | None = None,
    port_base: int = 0,
    fresh_secrets: bool = False,
) -> Iterator[Sandbox]:
    """Start the emulators of ``sources`` and ``crm`` plus a Slack for alerts; save blocks.

    ``blocks`` holds the SyncParameters block fields (``discourse_block``, ``slack_source_block``,
    ``hubspot_block``/``salesforce_block``, ``slack_block``) with names starting with ``prefix``,
    or the plain names prefect.yaml uses when ``prefix`` is None. ``crm`` may name several CRMs:
    the first is ``Sandbox.crm``. ``port_base`` fixes the ports (see `PORT_OFFSETS`);
    ``fresh_secrets`` gives every emulator a random credential instead of the fixed test one.
    """
    crms = [crm] if isinstance(crm, str) else list(crm)
    unknown = (set(sources) - set(SOURCES)) | (set(crms) - set(CRMS))
    if unknown or not sources or not crms:
        raise ValueError(f"choose sources from {SOURCES} and a CRM from {CRMS}, got {list(sources)} and {crm!r}")
    names = block_names(prefix)
    with ExitStack() as stack:
        alerts = _start(stack, SlackEmulator(community, _secret("xoxb-", fresh_secrets, "xoxb-test"),
                                             channels=ALERT_CHANNELS), "alerts", port_base)
        CommunitySlackCredentials(token=SecretStr(alerts.token), base_url=f"{alerts.base_url}/api/").save(
            names["slack_block"], overwrite=True)
        blocks: dict[str, str | None] = {"slack_block": names["slack_block"], "discourse_block": None}
        forum = slack = None
        if "discourse" in sources:
            forum = _start(stack, DiscourseEmulator(community, _secret("", fresh_secrets, "test-key")),
                           "discourse", port_base)
            DiscourseCredentials(base_url=forum.base_url, api_username=forum.api_username,
                                 api_key=SecretStr(forum.api_key), requests_per_minute=0).save(
                names["discourse_block"], overwrite=True)
            blocks["discourse_block"] = names["discourse_block"]
        if "slack" in sources:
            workspace = generate_slack_workspace(community, messages=slack_messages, now=now)
            slack = _start(stack, SlackEmulator(community, _secret("xoxb-", fresh_secrets, "xoxb-community"),
                                                workspace=workspace), "slack", port_base)
            CommunitySlackCredentials(token=SecretStr(slack.token), base_url=f"{slack.base_url}/api/",
                                      pacing="unpaced").save(
                names["slack_source_block"], overwrite=True)
            blocks["slack_source_block"] = names["slack_source_block"]
        started: dict[str, HubSpotEmulator | SalesforceEmulator] = {}
        for name in crms:
            if name == "hubspot":
                hubspot = _start(stack, HubSpotEmulator(community, _secret("pat-na1-", fresh_secrets, "pat-test")),
                                 "hubspot", port_base)
                HubSpotCredentials(access_token=SecretStr(hubspot.access_token), base_url=hubspot.base_url,
                                   requests_per_ten_seconds=0).save(
                    names["hubspot_block"], overwrite=True)
                started[name] = hubspot
            else:
                kwargs = {"session_id": _secret("00DDx0000000001!", True, "")} if fresh_secrets else {}
                salesforce = _start(stack, SalesforceEmulator(community, **kwargs), "salesforce", port_base)
                SalesforceCredentials(instance_url=salesforce.instance_url,
                                      session_id=SecretStr(salesforce.session_id),
                                      ca_bundle=str(salesforce.ca_file)).save(names["salesforce_block"], overwrite=True)
                started[name] = salesforce
            blocks[f"{name}_block"] = names[f"{name}_block"]
        yield Sandbox(community, alerts, started[crms[0]], forum, slack, blocks, started)
