"""A worker for the shared-rate-limit tests: reads a service for a while, paced through its Prefect
rate limit (``python -m tests.flows.rate_limit_worker discourse URL PER_MINUTE SECONDS`` or
``... hubspot BLOCK_NAME - SECONDS``: HubSpot's pacing is the saved block's)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from connectors.blocks import DiscourseCredentials
from connectors.discourse import DiscourseSource
from connectors.retry import Pacer, RetryPolicy
from flows.rate_limits import discourse_limit_name, hubspot_crm, shared_rate_limit


def discourse_pages(base_url: str, per_minute: float) -> Callable[[], Iterator[Any]]:
    client = DiscourseCredentials(base_url=base_url, api_key="test-key").get_client()
    shared = shared_rate_limit(discourse_limit_name(base_url), per_minute)
    assert shared is not None, "no Prefect server to share the limit with"
    source = DiscourseSource(client, pacer=Pacer(per_minute, shared=shared),
                             policy=RetryPolicy("discourse", attempts=10))
    return source.member_pages


def hubspot_pages(block_name: str) -> Callable[[], Iterator[Any]]:
    crm = hubspot_crm(block_name)
    assert crm.pacer._shared is not None, "no Prefect server to share the limit with"  # noqa: SLF001
    crm.policy = RetryPolicy("hubspot", attempts=10)
    return crm.owner_pages


def main(service: str, target: str, per_minute: str, seconds: float) -> None:
    pages = discourse_pages(target, float(per_minute)) if service == "discourse" else hubspot_pages(target)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in pages():
            if time.monotonic() >= deadline:
                break


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
