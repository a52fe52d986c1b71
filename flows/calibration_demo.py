"""The calibration demo: half a year of Intent plays replayed on the demo's community, then the report.

A calibration report needs history - plays at least 90 days old and the upgrades that
followed - which a fresh install does not have. This demo makes one, saying plainly what is
real and what is synthetic:

- real: the community (the demo's generator, served by the emulators), pulled once through
  the real clients into a fresh SQLite file by ``community_sync`` with every playbook off;
- replayed: the last ``days`` days, one daily sync at a time, with the published model
  (`scoring.backtest.replay_alerts`: tiers with hysteresis, a play at the first sync of each
  Intent episode with activity in the last 14 days). Each play takes the Intent playbook's
  own holdout draw (`IntentPlaybookConfig.holds_out`) and goes into the ledger as the
  playbook records it - sent (``intent:<account>:<episode>:slack``) or held out
  (``...:holdout``) - at its replayed moment;
- synthetic: the upgrades. Seeded draws: an account whose first play went out upgrades
  within 90 days with probability ``played_rate``, a held-out one with ``held_rate``, and
  every other scored account once in the period with ``base_rate``; stored as won
  opportunities beside the CRM's own deals.

Then the real ``calibration_report`` flow runs on that database. The rates put in decide what
it finds (a lift of about ``played_rate - held_rate``): the demo shows how to read the report
and that it recovers what was put in.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = ["CalibrationDemo", "run_calibration_demo"]

WINDOW_DAYS = 90


@dataclass
class CalibrationDemo:
    """What was replayed and drawn, and the report's result."""

    plays: int
    held_out: int
    upgrades: Counter[str]
    result: dict[str, Any]
    database: Path


def run_calibration_demo(
    *, days: float = 180, holdout_share: float = 0.2, played_rate: float = 0.5, held_rate: float = 0.25,
    base_rate: float = 0.03, members: int = 1000, activities: int = 20000, companies: int = 200, seed: int = 7,
    database: Path | None = None,
) -> CalibrationDemo:
    """Pull the demo community, replay ``days`` of Intent plays with holdouts, draw upgrades, run the report."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from connectors.config_blocks import StateDatabase
    from connectors.store import Store
    from connectors.testing import generate_community
    from connectors.testing.sandbox import sandbox
    from flows.calibration_report import calibration_report
    from flows.community_sync import community_sync
    from flows.scoreboard import people_activities, read_scoreboard
    from playbooks.intent import IntentPlaybookConfig
    from scoring.backtest import replay_alerts
    from scoring.holdouts import HoldoutConfig
    from scoring.model import ScoringModel

    now = datetime.now(timezone.utc)
    database = (database or Path("community-scoring-calibration.db")).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    community = generate_community(members=members, companies=companies, activities=activities, seed=seed, now=now)
    with sandbox(community, now=now) as box:
        StateDatabase(url=url).save("calibration-db", overwrite=True)
        community_sync(**box.blocks, database_block="calibration-db", intent_mode="off", nurture_mode="off",
                       reemergence_mode="off", discourse_requests_per_minute=0, now=now)
    model = ScoringModel()
    config = IntentPlaybookConfig(mode="live", holdout=HoldoutConfig(share=holdout_share))
    rng = random.Random(seed)
    with Store.open(url) as store:
        board = read_scoreboard(store, model, now, "hubspot")
        alerts = replay_alerts(people_activities(store, board), board.account_of, model, now, start=now - timedelta(days=days))
        episodes: Counter[str] = Counter()
        first: dict[str, bool] = {}  # account -> held out at its first decision
        decided: dict[str, datetime] = {}  # account -> its first decision
        for alert in sorted(alerts, key=lambda a: (a.alerted_at, a.account_id)):
            episodes[alert.account_id] += 1
            held = config.holds_out(alert.account_id, episodes[alert.account_id])
            first.setdefault(alert.account_id, held)
            decided.setdefault(alert.account_id, alert.alerted_at)
            key = f"intent:{alert.account_id}:{episodes[alert.account_id]}"
            payload = {"kind": "slack_alert", "key": key, "play": key, "mode": "live", "replayed": True,
                       "signal_at": alert.first_signal_at.isoformat() if alert.first_signal_at else None}
            if held:
                store.ledger_record(f"{key}:holdout", "draft_play", payload, "holdout", alert.alerted_at)
            else:
                store.ledger_record(f"{key}:slack", "slack_alert", payload, "replayed", alert.alerted_at)
        upgrades = _draw_upgrades(rng, decided, first, board.account_scores, now, days,
                                  played_rate, held_rate, base_rate)
        store.upsert_opportunities("hubspot", [o for o, _ in upgrades])
    counts = Counter(group for _, group in upgrades)
    result = calibration_report(database_block="calibration-db", crm="hubspot", window_days=WINDOW_DAYS,
                                holdout_share=holdout_share, replay_days=days, now=now)
    held_out = sum(1 for h in first.values() if h)
    return CalibrationDemo(len(first) - held_out, held_out, counts, result, database)


def _draw_upgrades(rng: random.Random, decided: dict[str, datetime], held: dict[str, bool],
                   scores: dict[str, float], now: datetime, days: float, played_rate: float, held_rate: float,
                   base_rate: float) -> list[tuple[Any, str]]:
    """Seeded won opportunities: after a play or a holdout at their rates, elsewhere at ``base_rate``."""
    from scoring.records import CrmOpportunity

    found = []
    for account in sorted(set(scores) | set(decided)):
        if account in decided:
            group = "held out" if held[account] else "played"
            rate = held_rate if held[account] else played_rate
            at = decided[account] + timedelta(days=rng.uniform(3, WINDOW_DAYS))
        else:
            group, rate = "other", base_rate
            at = now - timedelta(days=rng.uniform(0, days))
        if rng.random() < rate and at <= now:
            found.append((CrmOpportunity(f"synthetic-{account}", account, "Synthetic upgrade", "closedwon",
                                         round(rng.uniform(5_000, 50_000), -2), at, is_won=True), group))
    return found


def format_calibration(demo: CalibrationDemo, days: float) -> str:
    """What the command prints: what was replayed and drawn, then the report."""
    r = demo.result
    lift = r["holdout"]
    lines = ["", "== Calibration demo ==",
             f"Replayed {days:g} days of daily syncs: Intent plays to {demo.plays} accounts, "
             f"{demo.held_out} held out",
             "Synthetic upgrades: " + ", ".join(f"{n} {g}" for g, n in sorted(demo.upgrades.items())),
             "", r["report"], "", f"State database: {demo.database}"]
    if lift["difference"] is None:
        lines.insert(4, "Lift: not measurable yet (no group has plays older than the window)")
    return "\n".join(lines)
