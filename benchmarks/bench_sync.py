"""The whole sync against the emulators: calls per service against the minimum, time per stage, RSS.

    .venv/bin/python benchmarks/bench_sync.py                      # 1x: 1,000 members, 20,000 activities, 200 companies
    .venv/bin/python benchmarks/bench_sync.py --scale 10           # 10x
    .venv/bin/python benchmarks/bench_sync.py --likes per-post     # the fallback without webhooks or the likes query
    .venv/bin/python benchmarks/bench_sync.py --crm salesforce

Runs ``community_sync`` twice on a synthetic community served by the emulators (a first sync,
then a no-op re-run 15 minutes later), counts every request each emulator served, and prints,
per run: calls per service and endpoint, the Discourse minimum (member pages + post pages +
categories + likes-query pages on a first sync; members + posts on a re-run) and the time those
calls take at Discourse's 60 requests a minute, records per CRM write call, wall time of each
task, and the process's peak RSS (emulators included: they run in this process).

``--likes`` chooses where likes come from: ``query`` (default: the Data Explorer query plus
webhooks, the recommended setup), ``webhooks`` (webhooks only: history still read per post),
``per-post`` (neither: every recent post's likers are read again on each run).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

DISCOURSE_PER_MINUTE = 60


def endpoint(path: str) -> str:
    """A request path with its ids folded, for counting."""
    parts = ["{id}" if part.isdigit() or (len(part) > 12 and any(c.isdigit() for c in part)) else part
             for part in path.split("/")]
    return "/".join(parts)


def crm_write_sizes(crm: Any) -> list[tuple[str, int]]:
    """(endpoint, records in the call) of every CRM batch write."""
    sizes = []
    for r in crm.requests:
        if r.method not in ("POST", "PATCH") or not r.body or r.path.endswith(("/search", "/read")):
            continue  # reads sent as POST
        try:
            body = r.json()
        except ValueError:
            continue
        records = body.get("inputs") if isinstance(body, dict) else None
        records = records if records is not None else (body.get("records") if isinstance(body, dict) else None)
        sizes.append((endpoint(r.path), len(records) if isinstance(records, list) else 1))
    return sizes


def task_times(state: Any) -> list[tuple[str, float]]:
    """(task name, seconds) of each task run of a flow run, in start order."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    runs.sort(key=lambda run: run.start_time or datetime.max.replace(tzinfo=timezone.utc))
    return [(run.name.rsplit("-", 1)[0], run.total_run_time.total_seconds()) for run in runs]


def discourse_minimum(community: Any, first: bool, likes: str) -> int:
    from connectors.discourse import LIKES_PER_QUERY
    from connectors.testing.discourse import POSTS_PER_PAGE, USERS_PER_PAGE

    if not first:  # members since the last read, the newest posts, and likes since the last read
        return 3 if likes == "query" else 2
    pages = math.ceil(len(community.people) / USERS_PER_PAGE) + math.ceil(len(community.posts) / POSTS_PER_PAGE) + 1
    return pages + math.ceil(len(community.likes) / LIKES_PER_QUERY)


def report(name: str, forum: Any, crm: Any, alerts: Any, community: Any, first: bool, likes: str,
           seconds: float, stages: list[tuple[str, float]]) -> None:
    calls = Counter(endpoint(r.path) for r in forum.requests)
    total = sum(calls.values())
    minimum = discourse_minimum(community, first, likes)
    print(f"\n== {name}: {seconds:.1f} s wall ==")
    print(f"Discourse: {total:,} calls (minimum {minimum:,}: {total / max(minimum, 1):.2f}x); "
          f"at {DISCOURSE_PER_MINUTE}/min {total / DISCOURSE_PER_MINUTE:.1f} min vs {minimum / DISCOURSE_PER_MINUTE:.1f} min")
    for path, n in calls.most_common(8):
        print(f"  {n:>8,}  {path}")
    crm_calls = Counter(endpoint(r.path) for r in crm.requests)
    print(f"CRM ({crm.service}): {sum(crm_calls.values()):,} calls")
    for path, n in crm_calls.most_common(8):
        print(f"  {n:>8,}  {path}")
    writes = crm_write_sizes(crm)
    if writes:
        by_path: dict[str, list[int]] = {}
        for path, size in writes:
            by_path.setdefault(path, []).append(size)
        for path, sizes in sorted(by_path.items()):
            limit = 200 if "composite" in path else 100 if "batch" in path else 1
            fewest = math.ceil(sum(sizes) / limit)
            print(f"  writes {path}: {len(sizes)} calls for {sum(sizes)} records, limit {limit} a call "
                  f"(fewest possible {fewest}: {100 * fewest / len(sizes):.0f}% batch-full)")
    slack_calls = Counter(endpoint(r.path) for r in alerts.requests)
    print(f"Slack alerts: {sum(slack_calls.values()):,} calls")
    for path, n in slack_calls.most_common(5):
        print(f"  {n:>8,}  {path}")
    print("Stages: " + ", ".join(f"{stage} {secs:.1f} s" for stage, secs in stages))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000 members, 20,000 activities, 200 companies")
    parser.add_argument("--likes", choices=("query", "webhooks", "per-post"), default="query")
    parser.add_argument("--crm", choices=("hubspot", "salesforce"), default="hubspot")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from connectors.blocks import DiscourseCredentials
    from connectors.config_blocks import StateDatabase
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox
    from flows.community_sync import community_sync

    members, activities, companies = (int(n * args.scale) for n in (1000, 20000, 200))
    now = datetime.now(timezone.utc)
    started = time.monotonic()
    community = generate_community(members=members, companies=companies, activities=activities, seed=args.seed,
                                   now=now)
    print(f"data: {len(community.people):,} members, {len(community.posts):,} posts, {len(community.likes):,} likes, "
          f"{len(community.companies):,} companies (generated in {time.monotonic() - started:.1f} s); "
          f"likes from {args.likes}, CRM {args.crm}")
    with tempfile.TemporaryDirectory() as folder, sandbox(community, crm=args.crm, now=now) as box:
        StateDatabase(url=f"sqlite:///{Path(folder) / 'state.db'}").save("bench-db", overwrite=True)
        assert box.forum is not None
        block = DiscourseCredentials.load(box.blocks["discourse_block"])
        if args.likes != "per-post":
            block.webhook_secret = "bench-webhook-secret"  # type: ignore[assignment]
        if args.likes == "query":
            block.likes_query_id = box.forum.likes_query_id
        block.save(box.blocks["discourse_block"], overwrite=True)
        params = dict(database_block="bench-db", crm=args.crm, intent_mode="live", discourse_requests_per_minute=0,
                      **box.blocks)
        for number, (name, at) in enumerate((("first sync", now), ("no-op re-run", now + timedelta(minutes=15)))):
            for emulator in (box.forum, box.crm, box.alerts):
                emulator.requests.clear()
            began = time.monotonic()
            state = community_sync(**params, now=at, return_state=True)
            seconds = time.monotonic() - began
            if not state.is_completed():
                print(f"{name} did not complete: {state.message}", file=sys.stderr)
                return 1
            report(name, box.forum, box.crm, box.alerts, community, number == 0, args.likes, seconds,
                   task_times(state))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:,.0f} MiB (this process: emulators, the Prefect ephemeral server's client side, the sync)")
    print("signal -> play: measured on a real server by benchmarks/bench_signal.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
