"""Two workers share one Discourse budget through a Prefect rate limit, counted by the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prefect.settings import PREFECT_API_URL

from connectors.testing import DiscourseEmulator, generate_community
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
        command = [sys.executable, "-m", "tests.flows.rate_limit_worker", forum.base_url, str(PER_MINUTE),
                   str(SECONDS)]
        workers = [subprocess.Popen(command, cwd=repo, env=env) for _ in range(2)]
        assert [w.wait(timeout=180) for w in workers] == [0, 0]
        served = [r for r in forum.requests if r.status == 200]
        refused = [r for r in forum.requests if r.status == 429]
    assert refused == []
    assert max_in_window([r.at for r in served], WINDOW) <= BUDGET
    # Both worked, and together they used most of the shared rate rather than idling.
    assert len({r.peer for r in served}) >= 2 and len(served) >= PER_MINUTE / 60 * SECONDS * 2 / 3
