"""An incremental sync on a big PostgreSQL store: one new forum reply on top of a million stored activities.

    .venv/bin/python benchmarks/bench_incremental.py                       # 1,000,000 activities, 50,000 members
    .venv/bin/python benchmarks/bench_incremental.py --activities 200000   # smaller
    .venv/bin/python benchmarks/bench_incremental.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The emulators (Discourse, HubSpot, Slack) serve a generated community of ``--members`` members
and ``--companies`` companies; the store is a fresh PostgreSQL database (``community_bench`` on
the server of ``--database-url``, dropped and created) whose activities table is seeded with
``--activities`` rows of that community's members over the last 180 days (COPY, as a long
history would be). Then ``community_sync`` runs three times, each in its own process (so each
run's peak RSS is its own, Prefect client included):

1. a first sync: members, posts and the CRM read in full, everything scored, the plays made;
2. a no-op re-run 15 minutes later;
3. an incremental run 15 minutes after that, with one new reply on the forum.

Per run it prints wall time, the time of each task (read back from Prefect), the process's
peak RSS and what was scored. The targets: the incremental run under 10 s, every run under
1 GiB RSS. Each sync process starts Prefect's API (the ephemeral server) before its run is
timed, as a worker's runs find their server up; ``BENCH_PROFILE=path`` saves a cProfile of
each run there (the last run's stays).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "community_bench")
#: Type mix of the seeded history (share of rows), like a real forum's.
TYPE_MIX = {"reaction": 0.45, "reply": 0.25, "thread_started": 0.1, "answer": 0.05, "how_to_content": 0.05,
            "feature_request": 0.04, "premium_feature_question": 0.03, "webinar_attended": 0.02,
            "competitor_mention": 0.01}


def fresh_database(server_url: str) -> str:
    """Drop and create ``community_bench`` beside ``server_url``'s database; its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def seed_history(url: str, member_keys: list[str], n: int, now: datetime, seed: int) -> float:
    """COPY ``n`` activities of ``member_keys`` (skewed: a few members do most) into the store; seconds taken."""
    import numpy as np
    import psycopg
    from sqlalchemy.engine import make_url

    from connectors.store import Store
    from scoring.records import ACTIVITY_TYPES

    Store.open(url).close()  # the schema, migrated
    rng = np.random.default_rng(seed)
    weights = rng.pareto(1.2, len(member_keys)) + 0.05
    member = rng.choice(len(member_keys), size=n, p=weights / weights.sum())
    types = list(TYPE_MIX)
    assert set(types) <= set(ACTIVITY_TYPES), set(types) - set(ACTIVITY_TYPES)
    shares = np.array(list(TYPE_MIX.values()))
    kind = rng.choice(len(types), size=n, p=shares / shares.sum())
    start = (now - timedelta(days=180)).timestamp()
    end = (now - timedelta(hours=1)).timestamp()
    seconds = np.sort(rng.uniform(start, end, size=n))
    began = time.monotonic()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    stamp = now.isoformat()
    with psycopg.connect(plain) as conn, conn.cursor() as cursor:
        with cursor.copy("COPY activities (source, source_event_id, member_key, type, occurred_at, ingested_at) "
                         "FROM STDIN") as copy:
            for i in range(n):
                at = datetime.fromtimestamp(float(seconds[i]), timezone.utc).isoformat()
                copy.write_row(("discourse", f"history:{i}", member_keys[member[i]], types[kind[i]], at, stamp))
        conn.commit()
        conn.execute("ANALYZE activities")
    return time.monotonic() - began


def child(params_json: str) -> int:
    """Run one ``community_sync`` in this process and print its figures as JSON (the parent reads them)."""
    from bench_sync import task_times  # type: ignore[import-not-found]

    from prefect.client.orchestration import get_client

    from flows.community_sync import community_sync

    params: dict[str, Any] = json.loads(params_json)
    params["now"] = datetime.fromisoformat(params["now"])
    with get_client(sync_client=True) as client:  # a worker's API is up before its runs: start ours first
        client.hello()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    began = time.monotonic()
    if profile:
        profile.enable()
    state = community_sync(**params, return_state=True)
    seconds = time.monotonic() - began
    if profile:
        profile.disable()
        profile.dump_stats(os.environ["BENCH_PROFILE"])
    result = state.result(raise_on_failure=False) if state.is_completed() else None
    scored = result.get("scored", {}) if isinstance(result, dict) else {}
    print(json.dumps({
        "completed": state.is_completed(), "message": state.message, "seconds": seconds,
        "tasks": task_times(state), "activities_scored": scored.get("activities_scored"),
        "members_scored": scored.get("members_scored"), "accounts_scored": scored.get("accounts_scored"),
        "actions_done": len(result.get("actions", {}).get("done", [])) if isinstance(result, dict) else None,
        "planned": len(scored.get("planned", [])),
    }))
    return 0


def run_child(params: dict[str, Any], log: Path) -> tuple[dict[str, Any], float]:
    """One sync in a child process (its log appended to ``log``): its JSON figures and its peak RSS in MiB."""
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(params, default=str)],
                                   stdout=subprocess.PIPE, stderr=sink, cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT / "benchmarks")})
        out = process.stdout.read() if process.stdout else b""
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if process.returncode or not lines:
        raise SystemExit(f"the sync process failed (exit {process.returncode}); its log: {log}")
    return json.loads(lines[-1]), usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=1_000_000, help="stored history (rows seeded by COPY)")
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL server (its database is left alone: the benchmark uses community_bench)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "bench_incremental.log",
                        help="where the sync processes' logs go")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    from connectors.blocks import DiscourseCredentials
    from connectors.config_blocks import StateDatabase
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox

    now = datetime.now(timezone.utc).replace(microsecond=0)
    args.log.write_bytes(b"")
    began = time.monotonic()
    community = generate_community(members=args.members, companies=args.companies, activities=20_000,
                                   seed=args.seed, now=now)
    url = fresh_database(args.database_url)
    keys = [f"discourse:{p.id}" for p in community.people if not p.is_staff and not p.is_bot]
    copy_seconds = seed_history(url, keys, args.activities, now, args.seed)
    print(f"data: {len(community.people):,} members, {len(community.companies):,} companies, "
          f"{len(community.posts):,} posts + {len(community.likes):,} likes on the forum; "
          f"{args.activities:,} activities seeded into {BENCH_DATABASE} (COPY {copy_seconds:.1f} s; "
          f"setup {time.monotonic() - began:.1f} s)")
    with tempfile.TemporaryDirectory(), sandbox(community, crm="hubspot", now=now) as box:
        assert box.forum is not None
        block = DiscourseCredentials.load(box.blocks["discourse_block"])  # likes by webhook and query, as advised
        block.webhook_secret = "bench-webhook-secret"  # type: ignore[assignment]
        block.likes_query_id = box.forum.likes_query_id
        block.save(box.blocks["discourse_block"], overwrite=True)
        StateDatabase(url=url).save("bench-db", overwrite=True)
        params = dict(database_block="bench-db", crm="hubspot", intent_mode="live", discourse_requests_per_minute=0,
                      **box.blocks)
        runs = (("first sync", now), ("no-op re-run", now + timedelta(minutes=15)),
                ("1 new reply", now + timedelta(minutes=30)))
        print(f"\n{'run':<14}{'wall':>8}{'peak RSS':>11}{'scored':>11}{'planned':>9}  tasks (s)")
        for name, at in runs:
            if name == "1 new reply":
                topic = community.topics[-1]
                author = next(p for p in community.people if p.company_id and not p.is_staff and not p.is_bot)
                box.forum.reply(topic.id, author.id, "How do I enable SSO on the enterprise plan?",
                                when=at - timedelta(minutes=5))
            figures, rss = run_child({**params, "now": at.isoformat()}, args.log)
            if not figures["completed"]:
                print(f"{name} did not complete: {figures['message']}", file=sys.stderr)
                return 1
            tasks = ", ".join(f"{task} {seconds:.1f}" for task, seconds in figures["tasks"])
            print(f"{name:<14}{figures['seconds']:>7.1f}s{rss:>8,.0f} MiB{figures['activities_scored'] or 0:>11,}"
                  f"{figures['planned']:>9,}  {tasks}")
    print("\ntargets: the incremental run (1 new reply) under 10 s; every run under 1,024 MiB peak RSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
