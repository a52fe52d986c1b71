"""Service budgets shared by every worker and flow run: Prefect global rate limits.

The services count calls per site or per app, whatever number of workers make them:
Discourse 60 admin API requests a minute for a whole site, Slack each Web API method per
app and workspace (Tier 3: 50+ a minute; one a minute for history and replies of
commercially distributed apps), HubSpot 100 (190 on Professional and Enterprise) per 10
seconds per private app. Each process paces itself (`connectors.retry.Pacer`), but two
workers at 50 a minute each would make 100. A Prefect global concurrency limit with a slot
decay is a rate limit held by the server: every call takes a slot first (``rate_limit``),
so all processes together stay within it.

The limit is created on first use when it does not exist — ``per_minute × burst / 60``
slots (``burst`` seconds of calls at once) decaying at ``per_minute / 60`` a second, so a
window of ``w`` seconds never sees more than ``per_minute × (burst + w) / 60`` calls
(Discourse: 58 a minute for the default 50, under its 60) — and an operator's own settings
(`prefect gcl update`) are left alone. Without a reachable Prefect server the process falls
back to its own pacing, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from connectors.hubspot import HubSpotCrm

__all__ = ["discourse_limit_name", "hubspot_crm", "hubspot_per_minute", "limit_name", "shared_rate_limit",
           "slack_method_limits"]

log = logging.getLogger("flows.rate_limits")


def limit_name(*parts: str) -> str:
    """A rate limit's name from its parts, e.g. ``slack-community-slack-conversations.history``."""
    return "-".join("".join(ch if ch.isalnum() or ch in ".-_" else "-" for ch in part.lower()) for part in parts)


def discourse_limit_name(base_url: str) -> str:
    """The rate limit of one Discourse site: ``discourse-api-<host>`` (its budget is per site)."""
    return limit_name("discourse-api", urlsplit(base_url).netloc or base_url)


def hubspot_per_minute(per_ten_seconds: float) -> float:
    """The steady rate that keeps any 10 s within HubSpot's burst limit with a 2 s burst (96 % of it)."""
    return per_ten_seconds * 6 * 0.8


def shared_rate_limit(name: str, per_minute: float, burst_seconds: float = 10.0) -> Callable[[], None] | None:
    """A function that takes one slot of the Prefect rate limit ``name`` (created if missing), or None."""
    from prefect.settings import PREFECT_API_URL

    if per_minute <= 0 or not PREFECT_API_URL.value():
        return None  # unpaced, or no server to share with (an ephemeral one would be this process's own)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.concurrency.sync import rate_limit
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                try:
                    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(
                        name=name, limit=max(1, int(per_minute * burst_seconds / 60)),
                        slot_decay_per_second=per_minute / 60))
                except Exception:  # noqa: BLE001 - another worker created it first: use theirs
                    client.read_global_concurrency_limit_by_name(name)
    except Exception as err:  # noqa: BLE001 - no server: our own pacing is the fallback
        log.warning("rate limit %s not shared (Prefect API unreachable: %s); pacing this process alone", name, err)
        return None

    def take() -> None:
        rate_limit(name, strict=True)

    return take


def hubspot_crm(block_name: str) -> HubSpotCrm:
    """The HubSpot connector of a credentials block, its calls within the app's shared burst limit.

    No local spacing: HubSpot allows bursts, so a lone worker only waits when the limit
    (``hubspot-api-<block>``, `hubspot_per_minute` of the block's ``requests_per_ten_seconds``
    with 2 s of burst) runs out.
    """
    from connectors.blocks import HubSpotCredentials
    from connectors.hubspot import HubSpotCrm
    from connectors.retry import Pacer

    block = HubSpotCredentials.load(block_name)
    shared = shared_rate_limit(limit_name("hubspot-api", block_name),
                               hubspot_per_minute(block.requests_per_ten_seconds), burst_seconds=2)
    return HubSpotCrm(block.get_client(), pacer=Pacer(shared=shared))


def slack_method_limits(block_name: str, per_minute: float, methods: tuple[str, ...]) -> dict[str, Callable[[], None]]:
    """Shared limits (``slack-<block>-<method>``) of the Slack methods paced per app and workspace."""
    limits = {m: shared_rate_limit(limit_name("slack", block_name, m), per_minute) for m in methods}
    return {m: take for m, take in limits.items() if take is not None}
