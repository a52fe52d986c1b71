"""Two workers share one service budget through a Prefect rate limit, counted by the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prefect.settings import PREFECT_API_URL

from connectors.blocks import HubSpotCredentials
from connectors.testing import DiscourseEmulator, HubSpotEmulator, generate_community
from flows.rate_limits import discourse_limit_name
from tests.flows.conftest import NOW

#: Scaled down so the test takes seconds, not minutes: a window of 20 s instead of Discourse's
#: minute, each worker paced at 120 a minute - two of them alone would make 80 calls a window.
WINDOW, BUDGET, PER_MINUTE, SECONDS = 20.0, 60, 120.0, 24.0


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    start, best = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_two_workers_never_exceed_the_site_budget_together() -> None:
    community = generate_community(members=300, companies=10, activities=200, seed=5, now=NOW)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(repo)}
    with DiscourseEmulator(community) as forum:
        forum.limit_site(BUDGET, WINDOW)
        assert discourse_limit_name(forum.base_url) == f"discourse-api-127.0.0.1-{forum.base_url.rsplit(':', 1)[1]}"
        command = [sys.executable, "-m", "tests.flows.rate_limit_worker", "discourse", forum.base_url,
                   str(PER_MINUTE), str(SECONDS)]
        workers = [subprocess.Popen(command, cwd=repo, env=env) for _ in range(2)]
        assert [w.wait(timeout=180) for w in workers] == [0, 0]
        served = [r for r in forum.requests if r.status == 200]
        refused = [r for r in forum.requests if r.status == 429]
    assert refused == []
    assert max_in_window([r.at for r in served], WINDOW) <= BUDGET
    # Both worked, and together they used most of the shared rate rather than idling.
    assert len({r.peer for r in served}) >= 2 and len(served) >= PER_MINUTE / 60 * SECONDS * 2 / 3


def test_two_workers_stay_within_hubspot_burst_limit_together() -> None:
    """HubSpot allows bursts: no local spacing, only the shared limit (block: 20 per 10 s here)."""
    community = generate_community(members=30, companies=5, activities=50, seed=5, now=NOW)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(repo)}
    with HubSpotEmulator(community, "pat-test") as crm:
        crm.limit_burst(20, 10.0)
        block = f"rl-hubspot-{crm.base_url.rsplit(':', 1)[1]}"
        HubSpotCredentials(access_token="pat-test", base_url=crm.base_url, requests_per_ten_seconds=20).save(
            block, overwrite=True)
        command = [sys.executable, "-m", "tests.flows.rate_limit_worker", "hubspot", block, "-", "14"]
        workers = [subprocess.Popen(command, cwd=repo, env=env) for _ in range(2)]
        assert [w.wait(timeout=180) for w in workers] == [0, 0]
        served = [r for r in crm.requests if r.status == 200]
        refused = [r for r in crm.requests if r.status == 429]
    assert refused == []
    assert max_in_window([r.at for r in served], 10.0) <= 20
    assert len({r.peer for r in served}) >= 2 and len(served) >= 20
