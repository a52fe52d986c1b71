"""Service budgets shared by every worker and flow run: Prefect global rate limits.

Discourse allows 60 admin API requests a minute for a whole site, whatever number of
workers call it. Each process paces itself (`connectors.retry.Pacer`), but two workers at
50 a minute each would make 100. A Prefect global concurrency limit with a slot decay is a
rate limit held by the server: every call takes a slot first (``rate_limit``), so all
processes together stay within it.

The limit is created on first use when it does not exist — ``per_minute / 6`` slots (ten
seconds of burst) decaying at ``per_minute / 60`` a second, so no minute sees more than
``per_minute × 7/6`` calls (58 for the default 50, under Discourse's 60) — and an operator's
own settings (`prefect gcl update`) are left alone. Without a reachable Prefect server
the process falls back to its own pacing, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["discourse_limit_name", "shared_rate_limit"]

log = logging.getLogger("flows.rate_limits")


def discourse_limit_name(base_url: str) -> str:
    """The rate limit of one Discourse site: ``discourse-api-<host>`` (its budget is per site)."""
    host = urlsplit(base_url).netloc or base_url
    return "discourse-api-" + "".join(ch if ch.isalnum() or ch in ".-_" else "-" for ch in host.lower())


def shared_rate_limit(name: str, per_minute: float) -> Callable[[], None] | None:
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
                        name=name, limit=max(1, int(per_minute // 6)), slot_decay_per_second=per_minute / 60))
                except Exception:  # noqa: BLE001 - another worker created it first: use theirs
                    client.read_global_concurrency_limit_by_name(name)
    except Exception as err:  # noqa: BLE001 - no server: our own pacing is the fallback
        log.warning("rate limit %s not shared (Prefect API unreachable: %s); pacing this process alone", name, err)
        return None

    def take() -> None:
        rate_limit(name, strict=True)

    return take
