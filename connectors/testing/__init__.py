"""Emulators of Discourse, Slack and HubSpot plus the synthetic community they serve.

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
    "SlackEmulator",
    "Topic",
    "generate_community",
    "json_response",
]
