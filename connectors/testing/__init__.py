"""Emulators of Discourse, Slack, HubSpot and Salesforce (HTTPS) plus the synthetic
community they serve (and the Slack workspace derived from it).

Real HTTP servers on 127.0.0.1 that the real client libraries talk to, with switchable
faults and a log of every request, so connector tests exercise the actual wire format.
"""

from connectors.testing.community import (
    Category,
    Community,
    Company,
    Like,
    Owner,
    Person,
    Post,
    Topic,
    generate_community,
)
from connectors.testing.discourse import DiscourseEmulator
from connectors.testing.hubspot import HubSpotEmulator
from connectors.testing.salesforce import SalesforceEmulator
from connectors.testing.salesforce_data import SalesforceData
from connectors.testing.server import (
    Emulator,
    Fault,
    FaultSet,
    RecordedRequest,
    Request,
    Response,
    json_response,
)
from connectors.testing.slack import SlackEmulator
from connectors.testing.slack_community import (
    SlackChannel,
    SlackMessage,
    SlackUser,
    SlackWorkspace,
    generate_slack_workspace,
)

__all__ = [
    "Category",
    "Community",
    "Company",
    "DiscourseEmulator",
    "Emulator",
    "Fault",
    "FaultSet",
    "HubSpotEmulator",
    "Like",
    "Owner",
    "Person",
    "Post",
    "RecordedRequest",
    "Request",
    "Response",
    "SalesforceData",
    "SalesforceEmulator",
    "SlackChannel",
    "SlackEmulator",
    "SlackMessage",
    "SlackUser",
    "SlackWorkspace",
    "Topic",
    "generate_community",
    "generate_slack_workspace",
    "json_response",
]
