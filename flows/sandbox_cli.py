"""``community-scoring sandbox``: the emulated services for trying the deployments in a Prefect UI.

Starts the emulators on fixed ports with a synthetic community, saves the credential blocks
under the names prefect.yaml uses, prints the next steps and serves until Ctrl-C/SIGTERM.
The blocks go to the Prefect API of PREFECT_API_URL: without one Prefect would save them in
a throwaway ephemeral server, so the sandbox refuses to start instead.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TextIO

__all__ = ["DEFAULT_PORT_BASE", "SandboxOptions", "NoPrefectAPI", "check_prefect_api", "next_steps", "serve_sandbox"]

#: Discourse 4300, HubSpot 4301, alerts Slack 4302, Salesforce 4303, community Slack 4304:
#: clear of the Prefect server's 4200.
DEFAULT_PORT_BASE = 4300
READY_LINE = "Sandbox ready"


class NoPrefectAPI(RuntimeError):
    """No Prefect server to save the blocks in."""


@dataclass(frozen=True)
class SandboxOptions:
    """What the sandbox serves and where."""

    port_base: int = DEFAULT_PORT_BASE
    members: int = 120
    companies: int = 20
    activities: int = 1200
    seed: int = 7
    salesforce: bool = False
    slack_source: bool = False
    slack_messages: int = 1500


def check_prefect_api(timeout: float = 10.0) -> str:
    """The configured API URL, after a health check; `NoPrefectAPI` says what to do otherwise."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    hint = ("start one with `prefect server start` and point the CLI at it with "
            "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
    if not url:
        raise NoPrefectAPI(f"PREFECT_API_URL is not set: the blocks need a Prefect server; {hint}")
    with get_client(sync_client=True, httpx_settings={"timeout": timeout}) as client:
        error = client.api_healthcheck()
    if error is not None:
        raise NoPrefectAPI(f"no Prefect API answers at {url} ({type(error).__name__}: {error}); {hint}")
    return url


def next_steps(api_url: str, endpoints: dict[str, str], blocks: dict[str, str | None]) -> str:
    """What to run next, in other terminals (the lines README's section repeats)."""
    lines = ["", f"{READY_LINE}: emulated services on 127.0.0.1, blocks saved in {api_url}"]
    lines += [f"  {role:<11}{url}" for role, url in endpoints.items()]
    lines += ["Blocks: " + ", ".join(sorted(name for name in blocks.values() if name)), "",
              "Next, from the repository root in another terminal (same PREFECT_API_URL):",
              "  prefect work-pool create default --type process",
              "  prefect --no-prompt deploy --all",
              "  COMMUNITY_SCORING_DATABASE_URL=sqlite:///$PWD/sandbox-state.db prefect worker start --pool default",
              "Then run it now; the emulators have no rate limit, so the first sync may skip the",
              "Discourse pacing (50 requests a minute by default: ~10 minutes for this community):",
              "  prefect deployment run 'community-sync/community-sync' --param discourse_requests_per_minute=0",
              "The schedule runs it every 15 minutes, the first time 15 minutes after `prefect deploy`.",
              f"Alerts land in the emulated Slack ({endpoints['alerts']}/api/): "
              "drafts in #community-review, live ones in #community-alerts.",
              "Ctrl-C stops the sandbox."]
    return "\n".join(lines)


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve_sandbox(options: SandboxOptions, out: TextIO, stop: threading.Event | None = None) -> int:
    """Start everything, print the next steps, serve until ``stop`` (default: SIGINT/SIGTERM)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    api_url = check_prefect_api()
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox

    if stop is None:
        stop = threading.Event()
        _stop_on_signals(stop)
    now = datetime.now(timezone.utc)
    community = generate_community(members=options.members, companies=options.companies,
                                   activities=options.activities, seed=options.seed, now=now)
    sources = ("discourse", "slack") if options.slack_source else ("discourse",)
    crms = ("hubspot", "salesforce") if options.salesforce else ("hubspot",)
    with sandbox(community, sources=sources, crm=crms, prefix=None, slack_messages=options.slack_messages,
                 now=now, port_base=options.port_base, fresh_secrets=True) as box:
        print(next_steps(api_url, box.endpoints(), box.blocks), file=out, flush=True)
        while not stop.wait(0.5):
            pass
        print(f"Sandbox stopped ({len(box.alert_messages())} alerts posted, "
              f"{len(box.crm_tasks())} CRM tasks written).", file=out, flush=True)
    return 0
