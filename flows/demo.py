"""The demo: a synthetic community on local emulators, synced through the real clients.

No credentials needed: emulators of Discourse, Slack and HubSpot start on 127.0.0.1, blocks
pointing at them are saved, and ``community_sync`` runs into a fresh SQLite file.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import SecretStr

__all__ = ["DemoResult", "run_demo", "format_summary"]


@dataclass
class DemoResult:
    """The sync's summary, the emulators' counts and how long it took."""

    runs: list[dict[str, Any]]
    slack_messages: int
    hubspot_tasks: int
    seconds: float
    database: Path

    @property
    def summary(self) -> dict[str, Any]:
        """The first run's summary: the one that did the work."""
        return self.runs[0]

    @property
    def ok(self) -> bool:
        return not any(run["actions"]["failed"] for run in self.runs)


def run_demo(
    *, members: int = 1000, activities: int = 20000, companies: int = 200, seed: int = 7,
    database: Path | None = None, runs: int = 1,
) -> DemoResult:
    """Generate, serve, sync ``runs`` times, and report."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from connectors.blocks import CommunitySlackCredentials, DiscourseCredentials, HubSpotCredentials
    from connectors.testing import DiscourseEmulator, HubSpotEmulator, SlackEmulator, generate_community
    from flows.community_sync import community_sync
    from flows.params import SyncParameters

    started = time.monotonic()
    now = datetime.now(timezone.utc)
    database = (database or Path("community-scoring-demo.db")).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    community = generate_community(members=members, companies=companies, activities=activities, seed=seed, now=now)
    with DiscourseEmulator(community) as forum, SlackEmulator(community, channels=("community-alerts", "community-review")) as slack, HubSpotEmulator(community) as crm:
        DiscourseCredentials(base_url=forum.base_url, api_username=forum.api_username,
                             api_key=SecretStr(forum.api_key)).save("demo-discourse", overwrite=True)
        CommunitySlackCredentials(token=SecretStr(slack.token), base_url=f"{slack.base_url}/api/").save(
            "demo-slack", overwrite=True)
        HubSpotCredentials(access_token=SecretStr(crm.access_token), base_url=crm.base_url).save(
            "demo-hubspot", overwrite=True)
        params = SyncParameters(
            database_url=f"sqlite:///{database}", discourse_block="demo-discourse",
            hubspot_block="demo-hubspot", slack_block="demo-slack", discourse_requests_per_minute=0,
        )
        summaries = [community_sync(params, now=now) for _ in range(max(runs, 1))]
        messages = sum(len(slack.messages(c)) for c in ("community-alerts", "community-review"))
        tasks = len(crm.tasks())
    return DemoResult(summaries, messages, tasks, time.monotonic() - started, database)


def format_summary(result: DemoResult) -> str:
    """What the demo prints: tier distribution, top accounts, actions."""
    s = result.summary
    scored = s["scored"]
    lines = ["", "== Community scoring demo ==",
             f"Discourse: {s['discourse']}", f"HubSpot:   {s['hubspot']}",
             f"Identity:  {s['identity']['matched']} matched {s['identity']['by_method']}, "
             f"{s['identity']['unmatched']} unmatched {s['identity']['unmatched_reasons']}",
             f"Scored {scored['activities_scored']} activities of {scored['members_scored']} members "
             f"into {scored['accounts_scored']} accounts", "", "Tier distribution (accounts):"]
    total = sum(scored["tiers"].values()) or 1
    lines += [f"  {t:<14}{n:>5}  {100 * n / total:5.1f}%" for t, n in scored["tiers"].items()]
    flagged = Counter(row["signal"] for row in scored["signals"])
    lines += ["", "Signals: " + (", ".join(f"{n} {kind}" for kind, n in sorted(flagged.items())) or "none")
              + f" (seasonal factor {scored['seasonal_factor']})"]
    if scored["deferred"]:
        lines.append(f"Deferred by weekly capacity: {len(scored['deferred'])} plays")
    lines += ["", "Top accounts:", f"  {'#':>3}  {'account':<32}{'tier':<15}{'score':>7}  members"]
    lines += [f"  {r['rank']:>3}  {r['account'][:31]:<32}{r['tier']:<15}{r['score']:>7.1f}  {r['members']}"
              for r in scored["leaderboard"][:10]]
    done, failed = s["actions"]["done"], s["actions"]["failed"]
    lines += ["", f"Actions: {len(done)} done, {len(failed)} failed "
              f"(Slack messages posted: {result.slack_messages}, HubSpot tasks: {result.hubspot_tasks})"]
    lines += [f"  done    {key} -> {ext}" for key, ext in done[:10]]
    if len(done) > 10:
        lines.append(f"  ... and {len(done) - 10} more")
    lines += [f"  FAILED  {key}: {err}" for key, err in failed]
    for number, run in enumerate(result.runs[1:], start=2):
        lines.append(f"Run {number}: {run['discourse']['new_activities']} new activities, "
                     f"{len(run['actions']['done'])} actions done, {len(run['actions']['failed'])} failed")
    lines += ["", f"State database: {result.database}", f"Finished in {result.seconds:.1f} s"]
    return "\n".join(lines)
