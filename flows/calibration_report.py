"""``calibration_report``: did the Intent alerts come before upgrades, what did they add, how should the model move?

Inputs from the store: the live Intent plays the ledger holds as sent
(``intent:<account>:<episode>:slack``, done; drafts left out) and as held out
(``intent:<account>:<episode>:holdout``, done), the CRM's won opportunities with a close
date, the accounts' tier states, and the scoreboard at ``now`` (member scores, activities,
matches). The numbers are `scoring`'s: `calibrate` (per account), `dormant_members`,
`holdout_lift` and `backtest` (replay and concrete suggestions); this flow only gathers and
publishes them as one markdown artifact.

Signal-to-play time is measured from the moment the sync saw the account enter Intent (the
``signal_at`` the Intent play records; for older plays its tier state's ``since``, known only
for the account's current episode) to the moment the alert was marked sent (the ledger
entry's ``updated_at``); the report says over how many alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import State
from pydantic import Field

from connectors.store import LedgerEntry
from flows.params import CrmName
from flows.preflight import ends_cleanly, open_store, preflight
from flows.scoreboard import people_activities, read_scoreboard
from scoring.attribution import (
    DEFAULT_TARGET_SHAPE,
    Calibration,
    IntentAlert,
    Upgrade,
    attribute_upgrades,
    calibrate,
    dormant_members,
)
from scoring.backtest import Backtest, backtest
from scoring.holdouts import Lift, assign_groups, holdout_lift
from scoring.model import ScoringModel
from scoring.records import TIERS, CrmOpportunity, TierState

__all__ = ["calibration_report", "holdouts", "intent_alerts", "upgrades"]

ARTIFACT_KEY = "community-calibration"
MAX_FALSE_POSITIVE_RATE = 0.25
MIN_RECALL = 0.60


def _intent_key(key: str, suffix: str) -> tuple[str, int] | None:
    """``(account, episode)`` of ``intent:<account>:<episode><suffix>``; None for drafts and other keys."""
    if ":draft:" in key or not (key.startswith("intent:") and key.endswith(suffix)):
        return None
    account, _, episode = key[len("intent:"):-len(suffix)].rpartition(":")
    return (account, int(episode)) if account and episode.isdigit() else None


def intent_alerts(entries: list[LedgerEntry], states: dict[str, TierState] | None = None) -> list[IntentAlert]:
    """Live Intent alerts that went out: done ``intent:<account>:<episode>:slack`` entries, at their send time.

    ``first_signal_at`` = when the account entered Intent (signal-to-play time): the
    ``signal_at`` the play recorded, else, for an alert of the account's current Intent
    episode, its tier state's ``since``.
    """
    found = []
    for entry in entries:
        parsed = _intent_key(entry.key, ":slack") if entry.status == "done" else None
        if parsed is None:
            continue
        account, episode = parsed
        entered = _signal_at(entry)
        state = (states or {}).get(account)
        if entered is None and state is not None and state.tier == "intent" and state.episode == episode:
            entered = state.since
        found.append(IntentAlert(account, entry.updated_at,
                                 entered if entered is not None and entered <= entry.updated_at else None))
    return found


def _signal_at(entry: LedgerEntry) -> datetime | None:
    """When the account entered Intent, as the play recorded it (plays recorded before 0.9 did not)."""
    value = entry.payload.get("signal_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def holdouts(entries: list[LedgerEntry]) -> list[tuple[str, datetime]]:
    """Held-out Intent plays: done ``intent:<account>:<episode>:holdout`` entries, at the moment they were recorded."""
    found = []
    for entry in entries:
        parsed = _intent_key(entry.key, ":holdout") if entry.status == "done" else None
        if parsed is not None:
            found.append((parsed[0], entry.updated_at))
    return found


def upgrades(opportunities: list[CrmOpportunity]) -> list[Upgrade]:
    """Won opportunities with an account and a close date."""
    return [Upgrade(o.account_id, o.closed_at, o.amount, o.id)
            for o in opportunities if o.is_won and o.account_id and o.closed_at is not None]


@dataclass
class Report:
    """Everything the artifact shows."""

    calibration: Calibration
    lift: Lift
    backtest: Backtest | None
    influenced: list[dict[str, Any]]
    measured_lags: int
    holdout_share: float | None


@task(name="calibrate", cache_policy=NO_CACHE)
def calibrate_from_store(database_block: str | None, crm: str, model: ScoringModel, now: datetime,
                         window_days: float, holdout_share: float | None = None, replay: bool = True,
                         replay_days: float = 365, replay_step_days: float = 1) -> Report:
    """Alerts, holdouts, upgrades, tiers and the scoreboard from the store, through the backtest."""
    with open_store(database_block) as store:
        entries = store.ledger()
        stored_states = store.tier_states("account")
        alerts = intent_alerts(entries, stored_states)
        held = holdouts(entries)
        won = upgrades(store.opportunities(crm))
        names = {a.id: a.name for a in store.accounts(crm)}
        board = read_scoreboard(store, model, now, crm)
        history = people_activities(store, board) if replay else []
    tiers = {k: s.tier for k, s in stored_states.items()}
    dormancy = dormant_members(board.member_scores, board.last_activity, now)
    result = calibrate(alerts, won, tiers, model, now, window_days=window_days, dormancy=dormancy,
                       max_false_positive_rate=MAX_FALSE_POSITIVE_RATE, min_recall=MIN_RECALL)
    played_group, held_group = assign_groups([(a.account_id, a.alerted_at) for a in alerts], held)
    lift = holdout_lift(played_group, held_group, won, window_days, now, share=holdout_share or None)
    replayed = None
    if replay:
        replayed = backtest(history, board.account_of, won, model, now, window_days=window_days,
                            horizon_days=replay_days, step_days=replay_step_days, previous_states=stored_states,
                            max_false_positive_rate=MAX_FALSE_POSITIVE_RATE, min_recall=MIN_RECALL)
    influenced = [{"account": names.get(a.upgrade.account_id, a.upgrade.account_id),
                   "upgraded": a.upgrade.upgraded_at.date().isoformat(), "amount": a.upgrade.amount,
                   "alerted": a.alert.alerted_at.date().isoformat()}
                  for a in attribute_upgrades(alerts, won, window_days=window_days) if a.upgrade.upgraded_at <= now]
    measured = len({a for a in alerts if a.first_signal_at is not None and a.alerted_at <= now})
    return Report(result, lift, replayed, influenced, measured, holdout_share)


def _rate(value: float | None) -> str:
    return "n/a (nothing to measure yet)" if value is None else f"{value:.0%}"


def _share(value: float | None, part: int, whole: int, nothing: str) -> str:
    return f"n/a ({nothing})" if value is None else f"{value:.0%} ({part} of {whole})"


def _points(value: float) -> str:
    return f"{100 * value:+.1f} pts"


def _lag(c: Calibration, measured: int) -> str:
    if c.median_signal_to_alert is None:
        return "n/a (no alert with a known signal time)"
    seconds = c.median_signal_to_alert.total_seconds()
    text = (f"{seconds / 60:.0f} min" if seconds < 3 * 3600 else f"{seconds / 3600:.1f} h" if seconds < 72 * 3600
            else f"{seconds / 86400:.1f} days")
    return f"{text} (over {measured} of {c.alerts} alerts: those with a known signal time)"


def _lift_lines(lift: Lift, share: float | None) -> list[str]:
    lines = ["## Holdout lift", ""]
    if lift.played + lift.played_pending + lift.held + lift.held_pending == 0:
        return lines + ["No Intent plays yet."]
    lines += [(f"Upgrade within {lift.window_days:g} days of the Intent play (or of its holdout), per account, "
              "each account in the group of its first decision; accounts decided less than "
              f"{lift.window_days:g} days ago are still pending."), "",
              "| group | accounts | upgraded | rate | pending |", "|---|---:|---:|---:|---:|",
              f"| played | {lift.played} | {lift.played_upgraded} | {_rate(lift.rate_played)} | {lift.played_pending} |",
              f"| held out | {lift.held} | {lift.held_upgraded} | {_rate(lift.rate_held)} | {lift.held_pending} |",
              ""]
    if lift.held + lift.held_pending == 0:
        return lines + [("No held-out plays recorded: lift cannot be measured. Hold out a share of Intent plays "
                        "(e.g. 10%) to compare played with held-out accounts.")]
    if lift.difference is None:
        return lines + ["Lift: n/a until both groups have accounts older than the window."]
    ratio = "n/a (no held-out account upgraded)" if lift.ratio is None else f"{lift.ratio:.2f}x"
    verdict = ("significant: the interval excludes 0" if lift.significant
               else "not significant yet: the interval includes 0")
    still = ("n/a (equal rates)" if lift.still_needed is None else
             f"{lift.still_needed} more accounts" + (f" at a {share:.0%} holdout share" if share else "")
             + f" (needs {lift.required_held} held out and {lift.required_played} played for alpha "
               f"{1 - lift.confidence:.2f}, power {lift.power:.0%} at the observed rates)")
    return lines + [
        (f"- Lift (played - held out): **{_points(lift.difference)}**, {lift.confidence:.0%} CI "
        f"{_points(lift.ci_low or 0.0)} to {_points(lift.ci_high or 0.0)} (Newcombe), {verdict}."),
        f"- Ratio of rates: {ratio}.",
        f"- Accounts still needed for a significant result: {still}.",
    ]


def _backtest_lines(bt: Backtest, model: ScoringModel) -> list[str]:
    b = bt.baseline.calibration
    lines = ["## Backtest", "",
             (f"The model replayed day by day since {bt.start.date().isoformat()} (tiers with hysteresis; an alert at "
             "the first sync of each Intent episode with activity in the last "
             f"{model.recency_days:g} days; capacity, modes and holdouts ignored): "
             f"{len(bt.baseline.alerts)} alerts to {b.alerted_accounts} accounts, false-positive rate "
             f"{_rate(b.false_positive_rate)}, recall {_rate(b.recall)}."), "",
             "| intent floor | alerted accounts | false-positive rate | recall |", "|---:|---:|---:|---:|"]
    rows = sorted([bt.baseline, *bt.floors], key=lambda r: r.model.tier_floors["intent"])
    for r in rows:
        floor = f"{r.model.tier_floors['intent']:g}" + (" (now)" if r is bt.baseline else "")
        c = r.calibration
        lines.append(f"| {floor} | {c.alerted_accounts} | {_rate(c.false_positive_rate)} | {_rate(c.recall)} |")
    return lines


def report_markdown(report: Report, model: ScoringModel, crm: str, now: datetime) -> str:
    """The artifact: metrics per account, tier shape, holdout lift, backtest, recommendations, influenced upgrades."""
    c = report.calibration
    d = c.dormancy
    dormant = ("n/a (no member silent that long)" if d is None or d.share_below is None else
               f"{d.share_below:.0%} ({d.below} of {d.dormant} members silent for {d.dormant_days:g} days)")
    fp = _share(c.false_positive_rate, c.false_positive_accounts, c.judged_accounts,
                f"no account first alerted {c.window_days:g}+ days ago")
    recall = _share(c.recall, c.recalled_accounts, c.upgraded_accounts, "no upgrade yet")
    missed = _share(c.false_negative_rate, c.missed_accounts, c.upgraded_accounts, "no upgrade yet")
    lines = [f"# Calibration of model `{model.version}`", "",
             (f"As of {now.date().isoformat()}, {crm}, attribution window {c.window_days:g} days. "
             "Rates count accounts, not alerts."), "",
             "| metric | value | target |", "|---|---|---|",
             (f"| Intent alerts sent | {c.alerts} to {c.alerted_accounts} accounts ({c.judged_accounts} first "
              f"alerted before the window, {c.pending_accounts} since) | |"),
             f"| False-positive rate (accounts) | {fp} | < {MAX_FALSE_POSITIVE_RATE:.0%} |",
             (f"| Upgrades | {c.upgrades} by {c.upgraded_accounts} accounts ({c.influenced_upgrades} within the "
              "window after an alert) | |"),
             f"| Recall (accounts alerted before an upgrade) | {recall} | >= {MIN_RECALL:.0%} |",
             f"| False-negative rate (accounts never alerted before upgrading) | {missed} | |",
             f"| Community-influenced revenue | {c.influenced_revenue:,.0f} | |",
             f"| Median signal-to-play | {_lag(c, report.measured_lags)} | < 5 min |",
             f"| Dormant members below {25 if d is None else d.floor:g} points | {dormant} | all |", "",
             "| tier | accounts | share | target | floor |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {t} | {c.tiers.counts[t]} | {c.tiers.shares[t]:.0%} | {DEFAULT_TARGET_SHAPE[t]:.0%} | "
              f"{model.tier_floors[t]:g} |" for t in TIERS]
    lines += ["", *_lift_lines(report.lift, report.holdout_share)]
    if report.backtest is not None:
        lines += ["", *_backtest_lines(report.backtest, model)]
    lines += ["", "## Recommendations", ""]
    advice = [*c.recommendations, *(s.text for s in (report.backtest.suggestions if report.backtest else ()))]
    lines += [f"- {r}" for r in advice] or ["- None: the model is within its targets."]
    if report.influenced:
        lines += ["", "## Community-influenced upgrades", "", "| account | upgraded | amount | alerted |",
                  "|---|---|---:|---|"]
        lines += [f"| {r['account']} | {r['upgraded']} | {r['amount']:,.0f} | {r['alerted']} |"
                  for r in report.influenced]
    return "\n".join(lines)


def _lift_summary(lift: Lift) -> dict[str, Any]:
    return {"played": lift.played, "held": lift.held, "rate_played": lift.rate_played, "rate_held": lift.rate_held,
            "difference": lift.difference, "ci_low": lift.ci_low, "ci_high": lift.ci_high,
            "significant": lift.significant, "still_needed": lift.still_needed}


@flow(name="calibration-report", log_prints=True)
@ends_cleanly
def calibration_report(
    model_block: str | None = None,
    database_block: str | None = None,
    crm: CrmName = "hubspot",
    window_days: Annotated[float, Field(gt=0, le=730)] = 90,
    holdout_share: Annotated[float, Field(ge=0, le=0.5)] = 0,
    replay: bool = True,
    replay_days: Annotated[float, Field(gt=0, le=1100)] = 365,
    replay_step_days: Annotated[float, Field(gt=0, le=30)] = 1,
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """Backtest the live Intent alerts against the CRM's upgrades, measure lift on holdouts, recommend changes.

    Args:
        model_block: Community Scoring Model block with the published model; empty = the defaults.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        crm: Whose opportunities are the upgrades: hubspot or salesforce (the CRM the sync uses).
        window_days: An upgrade this many days after an alert of its account counts as community-influenced.
        holdout_share: The share of Intent plays the Intent playbook holds out (0 = unknown: the observed
            ratio of the groups is used to say how many more accounts are needed).
        replay: Replay the model over the history and try other floors and weights (the slow part).
        replay_days: How far back the replay goes.
        replay_step_days: Days between replayed syncs (larger is faster and coarser).
        now: Report as of this moment (leave empty: now).
    """
    logger = get_run_logger()
    now = now or datetime.now(timezone.utc)
    settings = preflight({}, database_block=database_block, model_block=model_block)
    model = settings.model
    report = calibrate_from_store(database_block, crm, model, now, window_days, holdout_share or None, replay,
                                  replay_days, replay_step_days)
    c = report.calibration
    text = report_markdown(report, model, crm, now)
    create_markdown_artifact(text, key=ARTIFACT_KEY,
                             description="Intent alerts against upgrades per account, holdout lift, backtest")
    logger.info("Calibration: %d accounts alerted, %d upgraded, false-positive rate %s, recall %s, "
                "%d recommendations", c.alerted_accounts, c.upgraded_accounts, _rate(c.false_positive_rate),
                _rate(c.recall), len(c.recommendations))
    lag = c.median_signal_to_alert
    return {"alerts": c.alerts, "upgrades": c.upgrades, "alerted_accounts": c.alerted_accounts,
            "upgraded_accounts": c.upgraded_accounts, "false_positive_rate": c.false_positive_rate,
            "recall": c.recall, "false_negative_rate": c.false_negative_rate,
            "influenced_upgrades": c.influenced_upgrades, "influenced_revenue": c.influenced_revenue,
            "median_signal_to_play_seconds": None if lag is None else lag.total_seconds(),
            "dormant_share_below": None if c.dormancy is None else c.dormancy.share_below,
            "tiers": dict(c.tiers.counts), "holdout": _lift_summary(report.lift),
            "recommendations": list(c.recommendations),
            "suggestions": [s.text for s in report.backtest.suggestions] if report.backtest else [],
            "report": text}
