"""Signal → play latency on a real Prefect server: a forum reply to the Slack post it causes.

The setup of the README's "Deploy" section, as processes: ``prefect server start`` (its
triggers service and scheduler), the deployments of prefect.yaml, a process worker with
Prefect's default polling, and the Discourse webhook receiver (``community-scoring
discourse-webhooks``) on the worker's state database. The emulators run in this process
so that it can make members write on the forum: each reply is delivered to the receiver
as a signed ``post_created`` webhook, exactly as a Discourse site with a webhook sends it.

After a first sync, each trial picks an account below Intent, has its members ask enough
premium-feature questions to cross 75 points, and waits for the draft Intent alert about
that account in the review channel. Latency = the Slack message's ``ts`` minus the moment
the last reply's webhook was answered; the flow run the trigger started gives the parts
(event → run created, → started by the worker, → final). Trials are spaced beyond the
receiver's coalescing window, so each starts with a quiet receiver, as a real signal does.

    .venv/bin/python benchmarks/bench_signal.py                 # 1x community, 20 trials
    .venv/bin/python benchmarks/bench_signal.py --trials 5 --members 200 --companies 40 --activities 3000
"""

from __future__ import annotations

import argparse
import math
import random
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.processes import Proc, free_port, wait_for  # noqa: E402
from tests.e2e.stack import Stack, executable, running_stack  # noqa: E402

SYNC = "community-sync/community-sync"
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
QUESTION = "Does the Enterprise plan include SSO and audit logs? We are comparing options ({n})."


@dataclass
class Trial:
    account: str
    score_before: float
    replies: int
    latency: float | None
    to_created: float | None = None
    to_started: float | None = None
    to_final: float | None = None
    run_state: str = ""


@contextmanager
def _prefect(api_url: str) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def _run_to_end(stack: Stack, parameters: dict[str, Any] | None = None, timeout: float = 900) -> Any:
    with stack.client() as client:
        deployment = client.read_deployment_by_name(SYNC)
        run_id = client.create_flow_run_from_deployment(deployment.id, parameters=parameters or {}).id

    def final() -> Any:
        with stack.client() as client:
            flow_run = client.read_flow_run(run_id)
        return flow_run if flow_run.state_type.value in FINAL else None

    return wait_for(final, timeout, "the first sync", stack.diagnostics, interval=2)


def _sync_runs_since(stack: Stack, since: datetime) -> list[Any]:
    from prefect.client.schemas.filters import (
        DeploymentFilter, DeploymentFilterName, FlowRunFilter, FlowRunFilterExpectedStartTime)

    with stack.client() as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["community-sync"])),
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(after_=since)))
    return sorted(runs, key=lambda r: r.created)


def _candidates(state_db: Path) -> list[tuple[str, str, float, list[int]]]:
    """Accounts below Intent with forum members: (id, name, score, forum user ids), lowest score first."""
    from connectors.store import Store

    store = Store.open(f"sqlite:///{state_db}")
    try:
        states = store.tier_states("account")
        names = {a.id: a.name for a in store.accounts("hubspot")}
        members: dict[str, list[int]] = {}
        for key, match in store.matches().items():
            if key.startswith("discourse:"):
                members.setdefault(match.account_id, []).append(int(key.split(":", 1)[1]))
    finally:
        store.close()
    found = [(aid, names[aid], states[aid].score if aid in states else 0.0, sorted(users))
             for aid, users in members.items()
             if aid in names and (aid not in states or states[aid].tier != "intent")]
    return sorted(found, key=lambda c: (c[2], c[0]))


def _alert_about(box: Any, name: str, after: float) -> float | None:
    """The ``ts`` of the first review-channel message about ``name`` posted after ``after``."""
    for message in box.alerts.messages("community-review"):
        ts = float(message["ts"])
        if ts > after and name in message.get("text", ""):
            return ts
    return None


def _poster(stack: Stack, since: datetime, ts: float, timeout: float) -> Any:
    """The community-sync run that was running when the message was posted, once it ended."""
    def ended() -> Any:
        for run in _sync_runs_since(stack, since):
            if run.start_time and run.start_time.timestamp() <= ts and (
                    run.end_time is None or run.end_time.timestamp() >= ts):
                return run if run.state_type.value in FINAL else None
        return None

    return wait_for(ended, timeout, "the run that posted to end", stack.diagnostics, interval=1)


def _trial(stack: Stack, box: Any, candidate: tuple[str, str, float, list[int]], topic_id: int,
           timeout: float) -> Trial:
    account_id, name, score, users = candidate
    replies = math.ceil((75 + 10 - score) / 20)  # premium questions are worth 20 points, fresh
    since = datetime.now(timezone.utc) - timedelta(minutes=10)
    for n in range(replies):
        box.forum.reply(topic_id, users[n % len(users)], QUESTION.format(n=n + 1))
    stored_at = time.time()
    trial = Trial(name, score, replies, None)
    try:
        posted = wait_for(lambda: _alert_about(box, name, stored_at - 60), timeout,
                          f"the Intent draft about {name}", stack.diagnostics, interval=0.2)
    except AssertionError as err:
        print(f"  no alert: {str(err).splitlines()[0]}", flush=True)
        return trial
    trial.latency = posted - stored_at
    run = _poster(stack, since, posted, timeout)
    trial.to_created = run.created.timestamp() - stored_at
    trial.to_started = run.start_time.timestamp() - stored_at
    trial.to_final = run.end_time.timestamp() - stored_at
    trial.run_state = f"{run.name}: {run.state_name}" + (" (scheduled)" if run.auto_scheduled else "")
    return trial


def _receiver(stack: Stack, tmp: Path, secret: str) -> tuple[Proc, str]:
    port = free_port()
    env = stack.env | {"COMMUNITY_SCORING_DATABASE_URL": f"sqlite:///{stack.state_db}"}
    proc = Proc("receiver", [executable("community-scoring"), "discourse-webhooks", "--port", str(port)],
                env, tmp, tmp / "logs")

    def ready() -> str | None:
        assert proc.alive(), f"the receiver exited\n{proc.tail()}"
        found = re.search(r"Discourse webhooks: (http://\S+)", proc.output())
        return found.group(1) if found else None

    return proc, wait_for(ready, 120, "the Discourse webhook receiver", proc.tail, interval=0.5)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:6.1f}"


def _report(trials: list[Trial], settings: str) -> int:
    print(f"\n{settings}")
    print("latency: the alert's ts after the last reply was stored; created/started/final: the run that posted it,")
    print("after the last reply (negative: it was already running and caught the reply up)")
    print(f"{'account':<36}{'before':>7}{'replies':>8}{'latency':>9}{'created':>9}{'started':>9}{'final':>9}  run")
    for t in trials:
        print(f"{t.account[:35]:<36}{t.score_before:7.1f}{t.replies:8d}{_fmt(t.latency):>9}{_fmt(t.to_created):>9}"
              f"{_fmt(t.to_started):>9}{_fmt(t.to_final):>9}  {t.run_state}")
    done = [t.latency for t in trials if t.latency is not None]
    missed = len(trials) - len(done)
    if not done:
        print("no trial got its alert")
        return 1
    p95 = _percentile(done, 0.95) if not missed else math.inf
    print(f"\nsignal -> Slack post over {len(trials)} trials: median {statistics.median(done):.1f} s, "
          f"p95 {_percentile(done, 0.95):.1f} s, max {max(done):.1f} s, no alert {missed}")
    print(f"target: p95 < 60 s -> {'met' if p95 < 60 else 'NOT met'}")
    return 0 if p95 < 60 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--activities", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--gap", type=float, nargs=2, default=(5.0, 45.0), metavar=("MIN", "MAX"),
                        help="seconds from one trial's replies to the next, drawn uniformly (seeded): some signals "
                             "open a quiet receiver window, some fall in one, some arrive while a sync runs")
    parser.add_argument("--timeout", type=float, default=300.0, help="give a trial up after this many seconds")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server, worker and receiver too

    from pydantic import SecretStr

    from connectors.blocks import DiscourseCredentials
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox

    with tempfile.TemporaryDirectory(prefix="bench-signal-") as folder:
        tmp = Path(folder)
        clock = time.monotonic()
        with running_stack(tmp, sandbox_args=None, worker_env={}) as stack, _prefect(stack.api_url):
            community = generate_community(members=args.members, companies=args.companies,
                                           activities=args.activities, seed=args.seed, now=datetime.now(timezone.utc))
            with sandbox(community, prefix=None, fresh_secrets=True) as box:
                secret = secrets.token_urlsafe(24)
                block = DiscourseCredentials.load("discourse")
                block.webhook_secret = SecretStr(secret)
                block.save("discourse", overwrite=True)
                print(f"server, deployments, worker and emulators up in {time.monotonic() - clock:.0f} s", flush=True)
                clock = time.monotonic()
                first = _run_to_end(stack, {"discourse_requests_per_minute": 0})
                print(f"first sync: {first.state_name} in {time.monotonic() - clock:.0f} s", flush=True)
                if first.state_type.value != "COMPLETED":
                    print(stack.diagnostics())
                    return 1
                receiver, url = _receiver(stack, tmp, secret)
                stack.procs["receiver"] = receiver
                try:
                    box.forum.webhooks.configure(url, secret)
                    topic_id = max(t.id for t in community.topics)
                    candidates = _candidates(stack.state_db)
                    trials: list[Trial] = []
                    gaps = random.Random(args.seed)
                    for candidate in candidates[: args.trials]:
                        began = time.monotonic()
                        trials.append(_trial(stack, box, candidate, topic_id, args.timeout))
                        t = trials[-1]
                        print(f"trial {len(trials)}: {t.account} -> {_fmt(t.latency)} s ({t.run_state})", flush=True)
                        time.sleep(max(0.0, gaps.uniform(*args.gap) - (time.monotonic() - began)))
                finally:
                    receiver.stop()
                settings = (f"{args.members} members, {args.companies} companies, {args.activities} activities; "
                            f"worker polls every {worker_poll_seconds()} s (Prefect's default); "
                            f"receiver coalesces 20 s; intent_mode draft")
                return _report(trials, settings)


def worker_poll_seconds() -> float:
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS

    return PREFECT_WORKER_QUERY_SECONDS.value()


if __name__ == "__main__":
    raise SystemExit(main())
