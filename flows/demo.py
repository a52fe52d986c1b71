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


__all__ = ["DemoResult", "run_demo", "format_summary"]


@dataclass
class DemoResult:
    """The sync's summary, the emulators' counts and how long it took."""

    runs: list[dict[str, Any]]
    daily: list[dict[str, Any]]
    slack_messages: int
    crm_tasks: int
    seconds: float
    database: Path

    @property
    def summary(self) -> dict[str, Any]:
        """The first run's summary: the one that did the work."""
        return self.runs[0]

    @property
    def ok(self) -> bool:
        return not any(run["actions"]["failed"] for run in self.runs + self.daily)

    def plays(self, run: int = 0) -> dict[str, int]:
        """Plays per playbook of one run (the sync's immediate plays and the daily ones)."""
        return {**self.runs[run]["scored"]["plays"], **self.daily[run]["planned"]["plays"]}


def run_demo(
    *, members: int = 1000, activities: int = 20000, companies: int = 200, seed: int = 7,
    database: Path | None = None, runs: int = 1, sources: tuple[str, ...] = ("discourse",),
    crm: str = "hubspot", slack_messages: int = 3000,
) -> DemoResult:
    """Generate, serve, sync ``runs`` times, and report."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without a Prefect server configured, the demo starts an ephemeral one; its 20 s start-up
    # limit is too short on a loaded machine (two cores busy with a test run, say).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox
    from connectors.config_blocks import StateDatabase
    from flows.community_sync import community_sync
    from flows.daily_signals import daily_signals

    started = time.monotonic()
    now = datetime.now(timezone.utc)
    database = (database or Path("community-scoring-demo.db")).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    community = generate_community(members=members, companies=companies, activities=activities, seed=seed, now=now)
    with sandbox(community, sources=sources, crm=crm, slack_messages=slack_messages, now=now) as box:
        StateDatabase(url=f"sqlite:///{database}").save("demo-db", overwrite=True)
        settings = box.playbook_settings()
        blocks = {"database_block": "demo-db", "crm": crm, **box.blocks}
        sync = dict(blocks, intent_mode="live", nurture_mode="live", reemergence_mode="live",
                    discourse_requests_per_minute=0, slack_pacing="unpaced",
                    **{k: v for k, v in settings.items() if k.startswith("nurture_")})
        daily = dict({k: v for k, v in blocks.items() if k != "slack_source_block"}, champion_mode="live",
                     churn_mode="live", newsletter_mode="live", writeback_mode="live", sla_mode="live",
                     **{k: v for k, v in settings.items() if not k.startswith("nurture_")})
        summaries, dailies = [], []
        for _ in range(max(runs, 1)):
            summaries.append(community_sync(**sync, now=now))
            dailies.append(daily_signals(**daily, now=now))
        messages, tasks = len(box.alert_messages()), len(box.crm_tasks())
    return DemoResult(summaries, dailies, messages, tasks, time.monotonic() - started, database)


def format_summary(result: DemoResult) -> str:
    """What the demo prints: tier distribution, top accounts, actions."""
    s = result.summary
    scored = s["scored"]
    lines = ["", "== Community scoring demo =="]
    lines += [f"{name.capitalize():<11}{s[name]}" for name in ("discourse", "slack", "hubspot", "salesforce") if name in s]
    lines += [
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
    lines += ["", "Plays per playbook (live):"]
    lines += [f"  {name:<14}{n:>5}" for name, n in sorted(result.plays(0).items())] or ["  none"]
    sla = result.daily[0]["planned"]["sla"]
    writeback = result.daily[0]["writeback"]
    lines += [f"Score write-back: {writeback['written']} accounts written; 48-hour SLA: {sla['checked']} tasks past "
              f"48 hours checked"]
    done = s["actions"]["done"] + result.daily[0]["actions"]["done"]
    failed = s["actions"]["failed"] + result.daily[0]["actions"]["failed"]
    lines += ["", f"Actions: {len(done)} done, {len(failed)} failed "
              f"(Slack alerts posted: {result.slack_messages}, CRM tasks: {result.crm_tasks})"]
    lines += [f"  done    {key} -> {ext}" for key, ext in done[:10]]
    if len(done) > 10:
        lines.append(f"  ... and {len(done) - 10} more")
    lines += [f"  FAILED  {key}: {err}" for key, err in failed]
    for number, run in enumerate(result.runs[1:], start=2):
        new = sum(run[name]["new_activities"] for name in ("discourse", "slack") if name in run)
        daily = result.daily[number - 1]
        plays = sum(result.plays(number - 1).values())
        done = len(run["actions"]["done"]) + len(daily["actions"]["done"])
        failed = len(run["actions"]["failed"]) + len(daily["actions"]["failed"])
        lines.append(f"Run {number}: {new} new activities, {plays} new plays, {done} actions done, {failed} failed")
    lines += ["", f"State database: {result.database}", f"Finished in {result.seconds:.1f} s"]
    return "\n".join(lines)
