"""Prefect credential blocks: they hold secrets and build clients, nothing else.

Registered through the ``prefect.collections`` entry point. Each block has a base-URL
field so the same flows run against the real services or the local emulators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

# Settings blocks live in a module of their own; re-exported so the collection registers them.
from connectors.config_blocks import ScoringSettings, StateDatabase

if TYPE_CHECKING:
    import requests
    from hubspot import HubSpot
    from pydiscourse import DiscourseClient
    from simple_salesforce import Salesforce
    from slack_sdk import WebClient

__all__ = [
    "DiscourseCredentials",
    "HubSpotCredentials",
    "CommunitySlackCredentials",
    "SalesforceCredentials",
    "ScoringSettings",
    "StateDatabase",
]

_DOCS = "https://github.com/prefect-community-scoring/prefect-community-scoring#blocks"


class DiscourseCredentials(Block):
    """An API key of a Discourse forum (admin scope, to read member emails)."""

    _block_type_name = "Discourse Credentials"
    _block_type_slug = "discourse-credentials"
    _documentation_url = _DOCS

    base_url: str = Field(description="The forum's address, e.g. https://community.example.com.")
    api_username: str = Field(default="system", description="User the API key acts as.")
    api_key: SecretStr = Field(description="An admin API key (Admin → API → Keys).")
    timeout_seconds: float = Field(default=30, description="Timeout of one request.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="The secret of the forum's webhook (Admin → API → Webhooks, events Post and Like) when the "
                    "Discourse webhook receiver runs: likes then arrive as they are given, and syncs stop re-reading "
                    "recent posts for likes.",
    )
    likes_query_id: int | None = Field(
        default=None, ge=1,
        description="Id of the Data Explorer query that lists likes (README: Discourse likes in bulk), when the "
                    "site has the plugin: likes are read 10,000 a call with their real times instead of one call "
                    "per post.",
    )
    requests_per_minute: float = Field(
        default=50, ge=0, le=6000,
        description="Pacing of our calls: Discourse allows 60 a minute for all admin API keys of a site "
                    "(DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE); 0 = unpaced, for a local emulator only.",
    )

    def get_client(self) -> DiscourseClient:
        """A pydiscourse client for this forum whose calls share one kept-alive connection."""
        from connectors.discourse_client import SessionDiscourseClient

        return SessionDiscourseClient(
            self.base_url.rstrip("/"),
            api_username=self.api_username,
            api_key=self.api_key.get_secret_value(),
            timeout=self.timeout_seconds,
        )


class CommunitySlackCredentials(Block):
    """A Slack bot token for alerts (scopes chat:write, users:read.email, channels:history)."""

    _block_type_name = "Community Slack Credentials"
    _block_type_slug = "community-slack-credentials"
    _documentation_url = _DOCS

    token: SecretStr = Field(description="Bot token (xoxb-...).")
    signing_secret: SecretStr | None = Field(
        default=None, description="The app's signing secret, for the Events API receiver (community workspace).",
    )
    base_url: str = Field(
        default="https://slack.com/api/", description="Web API base URL, ending in /api/."
    )
    timeout_seconds: int = Field(default=30, description="Timeout of one request.")
    pacing: Literal["tier3", "limited", "unpaced"] = Field(
        default="tier3",
        description="History pacing of a community workspace's app: tier3 (internal or Marketplace apps), "
                    "limited (commercially distributed apps since 2025: 1 history call a minute, 15 messages), "
                    "unpaced (a local emulator only).",
    )

    def get_client(self) -> WebClient:
        """A slack-sdk WebClient with its own retries off: our policy is the only one."""
        from slack_sdk import WebClient

        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return WebClient(
            token=self.token.get_secret_value(),
            base_url=base,
            timeout=self.timeout_seconds,
            retry_handlers=[],
        )


class HubSpotCredentials(Block):
    """A HubSpot private-app access token (CRM objects read/write, owners read)."""

    _block_type_name = "HubSpot Credentials"
    _block_type_slug = "hubspot-credentials"
    _documentation_url = _DOCS

    access_token: SecretStr = Field(description="Private app access token (pat-...).")
    base_url: str = Field(default="https://api.hubapi.com", description="API host.")
    requests_per_ten_seconds: int = Field(
        default=100, ge=0, le=1000,
        description="The private app's burst limit: 100 calls per 10 seconds (Free, Starter), 190 (Professional, "
                    "Enterprise). Every worker's calls share it through a Prefect rate limit; 0 = not limited "
                    "(local emulators).")

    def get_client(self) -> HubSpot:
        """A hubspot-api-client with urllib3's silent retries off: our policy is the only one."""
        from hubspot import HubSpot
        from urllib3.util.retry import Retry

        return HubSpot(
            access_token=self.access_token.get_secret_value(),
            host=self.base_url.rstrip("/"),
            retry=Retry(total=0, raise_on_status=False, respect_retry_after_header=False),
        )


class SalesforceCredentials(Block):
    """Access to a Salesforce org: a session (instance URL + session id) or a user login.

    A session id (an OAuth access token) with the instance URL is used as is; it expires,
    and then the flow stops with an error asking to renew it. Username + password + security
    token log in through the SOAP login of ``domain`` (``login``, ``test`` or a My Domain)
    and renew the session by themselves.
    """

    _block_type_name = "Salesforce Credentials"
    _block_type_slug = "salesforce-credentials"
    _documentation_url = _DOCS

    instance_url: str | None = Field(
        default=None,
        description="The org's address, e.g. https://example.my.salesforce.com (with a session id).",
    )
    session_id: SecretStr | None = Field(
        default=None, description="A session id or OAuth access token for the instance URL."
    )
    username: str | None = Field(default=None, description="Username for a password login.")
    password: SecretStr | None = Field(default=None, description="Password for a password login.")
    security_token: SecretStr | None = Field(
        default=None, description="The user's security token, for a password login."
    )
    domain: str = Field(
        default="login",
        description="Login domain for a password login: login, test (sandbox) or a My Domain.",
    )
    api_version: str = Field(default="59.0", description="REST API version, e.g. 59.0.")
    ca_bundle: str | None = Field(
        default=None,
        description="Path of a PEM CA bundle to trust instead of the system's (a TLS-inspecting proxy, a test server).",
    )

    def get_client(self, session: requests.Session | None = None) -> Salesforce:
        """A simple-salesforce client; ``session`` (or ``ca_bundle``) decides which CAs are trusted."""
        import requests
        from simple_salesforce import Salesforce

        from connectors.errors import ConfigurationError

        if session is None and self.ca_bundle:
            session = requests.Session()
            session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over verify
            session.verify = self.ca_bundle

        if self.session_id is not None and self.instance_url:
            return Salesforce(
                instance_url=self.instance_url.rstrip("/"),
                session_id=self.session_id.get_secret_value(),
                session=session,
                version=self.api_version,
            )
        if self.username and self.password is not None:
            token = self.security_token.get_secret_value() if self.security_token else ""
            return Salesforce(
                username=self.username,
                password=self.password.get_secret_value(),
                security_token=token,
                domain=self.domain,
                session=session,
                version=self.api_version,
            )
        raise ConfigurationError(
            "Salesforce block: set instance_url + session_id, or username + password "
            "(+ security_token)."
        )
