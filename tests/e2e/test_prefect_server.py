"""The deployments as ops run them: a real Prefect server, its scheduler, a process worker.

Order matters (one shared setup): the manual run with a top-level parameter goes first and
does the initial sync unpaced (the emulators have no rate limit); the scheduled run, the
runs with every deployment's defaults and the secret scan follow.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
import pytest
import requests
from slack_sdk import WebClient

from tests.e2e.stack import Stack
from tests.e2e.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SYNC = "community-sync/community-sync"
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def _wait_final(stack: Stack, run_id: UUID, timeout: float = 420) -> Any:
    """The flow run once it reached a final state."""
    def final() -> Any:
        with stack.client() as client:
            flow_run = client.read_flow_run(run_id)
        return flow_run if flow_run.state_type.value in FINAL else None

    return wait_for(final, timeout, f"flow run {run_id} to finish", stack.diagnostics, interval=2)


def _assert_completed(stack: Stack, flow_run: Any) -> None:
    assert flow_run.state_type.value == "COMPLETED", (
        f"{flow_run.name} ended {flow_run.state_name}: {flow_run.state.message}\n{stack.diagnostics()}")


def _alert_channels(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every message in the alert workspace's channels, read over Slack's Web API."""
    from connectors.blocks import CommunitySlackCredentials

    with stack.client():
        block = CommunitySlackCredentials.load("community-slack")
    slack = WebClient(token=block.token.get_secret_value(), base_url=block.base_url)
    channels = slack.conversations_list(types="public_channel,private_channel")["channels"]
    history: dict[str, list[dict[str, Any]]] = {}
    for channel in channels:
        messages, cursor = [], None
        while True:
            page = slack.conversations_history(channel=channel["id"], limit=200, cursor=cursor)
            messages += page["messages"]
            cursor = page.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                break
        history[channel["name"]] = messages
    return history


def _crm_tasks(stack: Stack) -> list[dict[str, Any]]:
    from connectors.blocks import HubSpotCredentials

    with stack.client():
        block = HubSpotCredentials.load("hubspot")
    answer = requests.get(f"{block.base_url}/crm/v3/objects/tasks", params={"limit": 100}, timeout=30,
                          headers={"Authorization": f"Bearer {block.access_token.get_secret_value()}"})
    answer.raise_for_status()
    return answer.json()["results"]


def test_manual_run_with_one_parameter_keeps_draft_mode(stack: Stack) -> None:
    """(b) `--param` of one top-level parameter merges over the deployment's: still draft."""
    started = time.monotonic()
    out = stack.prefect("deployment", "run", SYNC, "--param", "discourse_requests_per_minute=0")
    run_id = UUID(re.search(r"flow-run/([0-9a-f-]{36})", out).group(1))
    flow_run = _wait_final(stack, run_id)
    stack.timings["manual run (initial sync, unpaced): trigger -> final state"] = time.monotonic() - started
    _assert_completed(stack, flow_run)
    assert flow_run.parameters["discourse_requests_per_minute"] == 0
    assert flow_run.parameters["intent_mode"] == "draft"

    channels = _alert_channels(stack)
    assert channels["community-alerts"] == [], "a draft-mode run posted a live alert"
    assert channels["community-review"], "the initial sync of the sandbox posted no draft to #community-review"
    assert _crm_tasks(stack) == [], "a draft-mode run wrote a CRM task"
    assert stack.state_db.exists(), "the worker's COMMUNITY_SCORING_DATABASE_URL was not used"


def test_schedule_creates_runs_and_the_first_due_one_completes(stack: Stack) -> None:
    """(a) The server's scheduler places the runs of the `interval: 900` schedule by itself.

    `prefect deploy` anchors an interval schedule without `anchor_date` at the deploy time,
    and the scheduler only creates runs on or after "now": the first one is due 15 minutes
    after the deploy, not right away. The test does not wait that long: it takes the first
    run the scheduler created and makes it due now (the schedule itself stays as deployed),
    then the worker has to pick it up and run it to Completed.
    """
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter
    from prefect.client.schemas.filters import FlowRunFilterId
    from prefect.states import Scheduled

    with stack.client() as client:
        deployment = client.read_deployment_by_name(SYNC)
    [schedule] = [s for s in deployment.schedules if s.active]
    anchor, interval = schedule.schedule.anchor_date, schedule.schedule.interval
    assert interval == timedelta(seconds=900)

    def scheduled_runs() -> list[Any]:
        with stack.client() as client:
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=[deployment.name])))
        return sorted((r for r in runs if r.auto_scheduled and r.deployment_id == deployment.id),
                      key=lambda r: r.expected_start_time)

    runs = wait_for(scheduled_runs, 180, "the scheduler to create runs of the schedule", stack.diagnostics, 2)
    stack.timings["deploy -> scheduler created runs"] = (
        min(r.created for r in runs) - stack.deploy_started).total_seconds()
    first = runs[0]
    assert first.expected_start_time == anchor + interval, "the first run is one interval after the anchor"
    assert all((r.expected_start_time - anchor).total_seconds() % 900 == 0 for r in runs), "runs off the interval"
    stack.timings["deploy -> first scheduled start (as placed by the scheduler)"] = (
        first.expected_start_time - stack.deploy_started).total_seconds()
    assert first.parameters == deployment.parameters

    started = time.monotonic()
    with stack.client() as client:
        client.set_flow_run_state(first.id, Scheduled(scheduled_time=datetime.now(timezone.utc)), force=True)
    flow_run = _wait_final(stack, first.id)
    stack.timings["first scheduled run: due -> final state"] = time.monotonic() - started
    _assert_completed(stack, flow_run)
    with stack.client() as client:
        assert client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[first.id])))[0].auto_scheduled
    assert _alert_channels(stack)["community-alerts"] == []


def test_every_deployment_completes_with_its_defaults(stack: Stack) -> None:
    """(c) Each deployment of prefect.yaml, run from the API with no parameters, completes."""
    with stack.client() as client:
        deployed = client.read_deployments()
        runs = {}
        for spec in stack.deployments:
            [deployment] = [d for d in deployed if d.name == spec["name"] and d.entrypoint == spec["entrypoint"]]
            runs[spec["name"]] = client.create_flow_run_from_deployment(deployment.id).id
    started = time.monotonic()
    finished = {name: _wait_final(stack, run_id) for name, run_id in runs.items()}
    stack.timings[f"{len(runs)} deployment(s) with defaults: trigger -> all final"] = time.monotonic() - started
    for flow_run in finished.values():
        _assert_completed(stack, flow_run)
    assert _alert_channels(stack)["community-alerts"] == []


def _secrets(stack: Stack) -> dict[str, str]:
    """Every secret field of every block saved on the server (the sandbox's credentials)."""
    with stack.client() as client:
        documents = client.read_block_documents(include_secrets=True)
    found: dict[str, str] = {}
    for document in documents:
        for path in document.block_schema.fields.get("secret_fields", []):
            value: Any = document.data
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                found[f"{document.name}.{path}"] = value
    return found


def _events(stack: Stack, since: datetime) -> list[dict[str, Any]]:
    """All events since ``since``, paged the way the API wants (at most 50 a page)."""
    body = {"filter": {"occurred": {"since": since.isoformat(),
                                    "until": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()}},
            "limit": 50}
    with httpx.Client(timeout=30) as http:
        page = http.post(f"{stack.api_url}/events/filter", json=body)
        page.raise_for_status()
        events = page.json()["events"]
        while page.json().get("next_page"):
            page = http.get(page.json()["next_page"])
            page.raise_for_status()
            events += page.json()["events"]
    return events


def test_no_secret_reaches_parameters_logs_artifacts_or_events(stack: Stack) -> None:
    """(d) The blocks' secrets appear nowhere the UI shows."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    secrets = _secrets(stack)
    assert {"discourse.api_key", "hubspot.access_token", "community-slack.token"} <= set(secrets)
    with stack.client() as client:
        flow_runs = client.read_flow_runs(limit=200)
        logs, offset = [], 0
        while page := client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[r.id for r in flow_runs])),
                                       limit=200, offset=offset):
            logs += page
            offset += len(page)
        artifacts, offset = [], 0
        while page := client.read_artifacts(limit=200, offset=offset):
            artifacts += page
            offset += len(page)
    events = _events(stack, stack.deploy_started - timedelta(minutes=5))
    assert flow_runs and logs and artifacts and events, "nothing to scan: the runs left no trace"
    places = {
        "flow-run parameters": [json.dumps(r.parameters, default=str) for r in flow_runs],
        "flow runs": [r.model_dump_json() for r in flow_runs],
        "logs": [log.message for log in logs],
        "artifacts": [a.model_dump_json() for a in artifacts],
        "events": [json.dumps(e) for e in events],
    }
    leaks = [f"{name} in {place}" for place, texts in places.items() for text in texts
             for name, secret in secrets.items() if secret in text]
    assert leaks == []
