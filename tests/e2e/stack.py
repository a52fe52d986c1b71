"""The whole self-hosted setup of the README, as processes: server, sandbox, deploy, worker.

``prefect server start`` runs with its services (the scheduler above all: the test harness
has none) on a free port, with a temporary PREFECT_HOME and its own SQLite database. The
sandbox CLI serves the emulators and saves the blocks; ``prefect deploy --all`` reads the
real prefect.yaml from the repository root; a process worker started from another folder
runs the flows, with its state database in a temporary SQLite file.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.processes import Proc, free_port, free_port_block, run, started_by_us, stop_group, wait_for

REPO = Path(__file__).resolve().parents[2]
#: A small community: its first, unpaced sync takes seconds; incremental ones a few requests.
SANDBOX_ARGS = ["--members", "60", "--companies", "12", "--activities", "500", "--seed", "7"]
#: The worker polls every 2 s instead of Prefect's 10 s: runs start sooner, tests end sooner.
FAST_WORKER = {"PREFECT_WORKER_QUERY_SECONDS": "2"}
TIMINGS: dict[str, float] = {}


def executable(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed next to {sys.executable} nor on PATH")
    return found


@dataclass
class Stack:
    """The running setup and what the tests need to reach it."""

    api_url: str
    env: dict[str, str]
    home: Path
    state_db: Path
    deploy_started: datetime
    procs: dict[str, Proc]
    deployments: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=lambda: TIMINGS)

    def diagnostics(self) -> str:
        return "\n".join(proc.tail() for proc in self.procs.values())

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A sync Prefect client (and settings, for Block.load) pointed at this server only."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            with get_client(sync_client=True) as client:
                yield client

    def prefect(self, *args: str, timeout: float = 120) -> str:
        return run([executable("prefect"), *args], self.env, REPO, timeout).stdout


def _environment(home: Path, api_url: str, tmp: Path) -> dict[str, str]:
    """This machine's environment without any Prefect or state settings, then ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMUNITY_SCORING_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp / 'prefect-server.db'}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _sweep(marker: str) -> None:
    """Stop anything still running with our PREFECT_HOME: flow-run processes get their own session."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and started_by_us(int(entry.name), marker):
            try:
                pgid = os.getpgid(int(entry.name))
            except ProcessLookupError:
                continue
            if pgid != os.getpgid(0):
                stop_group(pgid, grace=10)


@contextmanager
def running_stack(tmp: Path, sandbox_args: Sequence[str] | None = SANDBOX_ARGS,
                  worker_env: Mapping[str, str] = FAST_WORKER) -> Iterator[Stack]:
    """Start everything under ``tmp``; stop every process on the way out, whatever happened.

    ``sandbox_args=None`` starts no sandbox: the caller serves the emulators and saves the
    blocks itself (before the first run). ``worker_env`` is added to the worker's environment.
    """
    home, logs, worker_dir = tmp / "prefect-home", tmp / "logs", tmp / "worker"
    for folder in (home, logs, worker_dir):
        folder.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _environment(home, api_url, tmp)
    procs: dict[str, Proc] = {}
    with ExitStack() as cleanup:
        cleanup.callback(_sweep, f"PREFECT_HOME={home}")
        diagnostics = lambda: "\n".join(p.tail() for p in procs.values())  # noqa: E731

        started = time.monotonic()
        procs["server"] = Proc("server", [executable("prefect"), "server", "start", "--host", "127.0.0.1",
                                          "--port", str(port)], env, tmp, logs)
        cleanup.callback(procs["server"].stop)

        def healthy() -> bool:
            assert procs["server"].alive(), f"prefect server exited\n{diagnostics()}"
            try:
                return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 180, "prefect server start to answer /api/health", diagnostics)
        TIMINGS["prefect server start (until healthy)"] = time.monotonic() - started

        if sandbox_args is not None:
            procs["sandbox"] = Proc("sandbox", [executable("community-scoring"), "sandbox", "--port-base",
                                                str(free_port_block(5)), *sandbox_args], env, tmp, logs)
            cleanup.callback(procs["sandbox"].stop)

            def sandbox_ready() -> bool:
                assert procs["sandbox"].alive(), f"sandbox exited\n{diagnostics()}"
                return "Sandbox ready" in procs["sandbox"].output()

            wait_for(sandbox_ready, 120, "the sandbox to save its blocks", diagnostics)

        run([executable("prefect"), "work-pool", "create", "default", "--type", "process"], env, REPO, 120)
        deploy_started = datetime.now(timezone.utc)
        started = time.monotonic()
        run([executable("prefect"), "--no-prompt", "deploy", "--all"], env, REPO, 300)
        TIMINGS["prefect deploy --all"] = time.monotonic() - started

        state_db = tmp / "state.db"
        worker = env | {"COMMUNITY_SCORING_DATABASE_URL": f"sqlite:///{state_db}", **worker_env}
        procs["worker"] = Proc("worker", [executable("prefect"), "worker", "start", "--pool", "default"],
                               worker, worker_dir, logs)
        cleanup.callback(procs["worker"].stop)
        deployments = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]
        yield Stack(api_url, env, home, state_db, deploy_started, procs, deployments)

