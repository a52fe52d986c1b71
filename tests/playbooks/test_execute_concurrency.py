"""Two runs at once on one database never perform the same action.

Two separate OS processes - each its own interpreter, Store, connection pool and Slack
client, as two overlapping deployments' syncs would be - execute the same pending alerts
against one Slack emulator, released at the same moment. Slack is made slow to answer
posts so the runs overlap for the whole batch: without the ledger's claims both post every
alert (that is what the test measured before claims existed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.store import Store
from connectors.testing import SlackEmulator, generate_community
from playbooks.actions import SendSlackAlert
from playbooks.execute import record_plan

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "community-alerts"
ALERTS = 18

#: One run: connect, say ready, wait for "go" on stdin, execute, print the report as JSON.
RUN = """
import json, sys
from datetime import datetime
from slack_sdk import WebClient
from connectors.retry import RetryPolicy
from connectors.slack import SlackNotifier
from connectors.store import Store
from playbooks.execute import Performers, execute_pending

url, base_url, token, started = sys.argv[1:5]
client = WebClient(token=token, base_url=base_url + "/api/", retry_handlers=[])
performers = Performers(slack=SlackNotifier(client, policy=RetryPolicy("slack", attempts=1)))
with Store.open(url) as store:
    print("ready", flush=True)
    sys.stdin.readline()
    report = execute_pending(store, performers, run_started=datetime.fromisoformat(started))
print(json.dumps({"done": report.done, "failed": report.failed, "skipped": report.skipped}))
"""


def _start_run(database_url: str, slack: SlackEmulator, started: datetime, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, database_url, slack.base_url, slack.token, started.isoformat()],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
    )


def _report(run: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    out, _ = run.communicate(timeout=240)
    assert run.returncode == 0, log.read_text()
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.timeout(300)
def test_two_processes_send_each_alert_once(database_url: str, tmp_path: Path) -> None:
    community = generate_community(members=20, companies=5, activities=50, seed=3,
                                   now=datetime(2025, 6, 1, tzinfo=timezone.utc))
    started = datetime.now(timezone.utc)  # the runs began before the plan was recorded
    keys = [f"slack:intent:acct-{i:02d}:2025-06-01" for i in range(ALERTS)]
    with Store.open(database_url) as store:
        record_plan(store, [SendSlackAlert(key=k, channel=CHANNEL, text=f"alert {k}") for k in keys])

    with SlackEmulator(community, channels=(CHANNEL,)) as slack:
        # Every post takes a while: the two runs stay side by side for the whole batch.
        slack.faults.add(path="/api/chat.postMessage", delay=0.05, times=2 * ALERTS)
        logs = [tmp_path / f"run{i}.log" for i in range(2)]
        runs = [_start_run(database_url, slack, started, log) for log in logs]
        try:
            for run, log in zip(runs, logs):
                assert run.stdout is not None and run.stdout.readline().strip() == "ready", log.read_text()
            for run in runs:  # "go" to both at the same moment
                assert run.stdin is not None
                run.stdin.write("go\n")
                run.stdin.flush()
            reports = [_report(run, log) for run, log in zip(runs, logs)]
        finally:
            for run in runs:
                if run.poll() is None:
                    run.kill()
                    run.wait()
        messages = slack.messages(CHANNEL)

    posted = Counter(m["metadata"]["event_payload"]["action_key"] for m in messages)
    assert posted == Counter(keys), f"{len(messages)} messages for {len(keys)} alerts"

    done = [key for report in reports for key, _ in report["done"]]
    assert sorted(done) == sorted(keys)  # each alert done by exactly one of the runs
    assert all(report["failed"] == [] for report in reports)
    for mine, other in ((reports[0], reports[1]), (reports[1], reports[0])):
        assert {key for key, _ in mine["skipped"]} <= {key for key, _ in other["done"]}

    ts_of = {m["metadata"]["event_payload"]["action_key"]: m["ts"] for m in messages}
    with Store.open(database_url) as store:
        entries = store.ledger()
    assert {e.key: e.status for e in entries} == dict.fromkeys(keys, "done")
    assert all(e.claimed_by is None and e.lease_until is None for e in entries)
    assert {e.key: e.external_id.split("/")[1] for e in entries if e.external_id} == ts_of
