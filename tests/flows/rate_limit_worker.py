"""A worker for the shared-rate-limit test: reads a Discourse site for a while, paced through the
Prefect rate limit of that site (``python -m tests.flows.rate_limit_worker URL PER_MINUTE SECONDS``)."""

from __future__ import annotations

import sys
import time

from connectors.blocks import DiscourseCredentials
from connectors.discourse import DiscourseSource
from connectors.retry import Pacer, RetryPolicy
from flows.rate_limits import discourse_limit_name, shared_rate_limit


def main(base_url: str, per_minute: float, seconds: float) -> None:
    client = DiscourseCredentials(base_url=base_url, api_key="test-key").get_client()
    shared = shared_rate_limit(discourse_limit_name(base_url), per_minute)
    assert shared is not None, "no Prefect server to share the limit with"
    source = DiscourseSource(client, pacer=Pacer(per_minute, shared=shared),
                             policy=RetryPolicy("discourse", attempts=10))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in source.member_pages():
            if time.monotonic() >= deadline:
                break


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
