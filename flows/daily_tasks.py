"""Prefect tasks of ``daily_signals``: plan the daily plays, write scores back, post the digest.

Tasks take block names, never clients or secrets, and return plain data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.blocks import SalesforceCredentials
from connectors.errors import ConnectorError
from connectors.hubspot import HubSpotCrm
from connectors.salesforce import SalesforceCrm
from flows.calibration_report import intent_alerts
from flows.preflight import open_store
from flows.pulls import HUBSPOT
from flows.rate_limits import hubspot_crm
from flows.scoreboard import read_scoreboard
from flows.tasks import known_plays, owner_mentions, plays_by_playbook, signal_rows
from playbooks.actions import SendSlackAlert
from playbooks.attribution import influenced_to_flag
from playbooks.capacity import Play, allot, plays_this_week
from playbooks.champion import ChampionPlaybookConfig, champion_plays
from playbooks.churn import ChurnPlaybookConfig, churn_plays
from playbooks.execute import record_plan
from playbooks.newsletter import NewsletterPlaybookConfig, plan_newsletter
from playbooks.notices import Notice
from playbooks.sla import SlaConfig, plan_sla, tasks_to_check
from playbooks.writeback import changed_scores, score_updates
from scoring.model import ScoringModel
from scoring.records import AccountScoreUpdate

__all__ = ["DailyConfigs", "crm_connector", "flag_influenced", "plan_daily", "post_digest", "write_back"]


@dataclass(frozen=True)
class DailyConfigs:
    """The daily playbooks' settings, built from the flow's top-level parameters."""

    champion: ChampionPlaybookConfig
    churn: ChurnPlaybookConfig
    newsletter: NewsletterPlaybookConfig
    sla: SlaConfig
    writeback_mode: str
    attribution_mode: str = "off"


def crm_connector(crm: str, block: str) -> HubSpotCrm | SalesforceCrm:
    """The CRM connector of ``crm`` from its credentials block."""
    if crm == HUBSPOT:
        return hubspot_crm(block)
    return SalesforceCrm(SalesforceCredentials.load(block).get_client())


def _split_by_mode(plays: list[Play]) -> tuple[list[Play], list[Play]]:
    drafts = [p for p in plays if p.candidate.key.endswith(":draft")]
    return drafts, [p for p in plays if not p.candidate.key.endswith(":draft")]


@task(name="plan-daily-plays", cache_policy=NO_CACHE)
def plan_daily(
    database_block: str | None, model: ScoringModel, configs: DailyConfigs, now: datetime,
    slack_block: str | None, crm: str, crm_block: str | None,
) -> dict[str, Any]:
    """Champions, churn saves, the newsletter and SLA reminders, planned and recorded; write-back rows."""
    logger = get_run_logger()
    with open_store(database_block) as store:
        board = read_scoreboard(store, model, now, crm)
        signals = board.signals
        rows = signal_rows(signals, board.accounts, board.members)
        store.start_signals(((row["signal"], row["entity"]) for row in rows), now)
        ledger = store.ledger()
        plays_known = known_plays(ledger)
        sla_tasks = tasks_to_check(ledger, configs.sla, now) if configs.sla.mode != "off" else []
        closed = _closed_tasks(crm, crm_block, [t.task_id for t in sla_tasks if t.crm == crm])
        wanted = set(signals.churn_risks) | {t.account_id for t in sla_tasks}
        directory = owner_mentions(slack_block, board, wanted, store, extra_owners=[configs.champion.manager_owner_id])
        owner_plays = churn_plays(signals.churn_risks, directory, configs.churn, now, crm=crm,
                                  started=store.signal_starts("churn-risk"), known_plays=plays_known)
        owner_plays += champion_plays(signals.champions, board.people, directory, configs.champion, now, crm=crm,
                                      known_plays=plays_known)
        drafts, live = _split_by_mode(owner_plays)
        sla_plan, sla = plan_sla(sla_tasks, closed, directory, configs.sla, known_plays=plays_known)
        plan = (allot(drafts, plays_this_week(ledger, now, draft=True), model)
                + allot(live, plays_this_week(ledger, now, draft=False), model)
                + plan_newsletter(board.member_states.values(), board.people, configs.newsletter, now, crm=crm,
                                  known_plays=plays_known, opted_out=board.opted_out)
                + sla_plan)
        record_plan(store, plan.actions)
        wanted = score_updates(board.account_scores,
                               {a: v.gain for a, v in signals.account_velocity.items()},
                               board.account_last_activity(), board.accounts, board.account_tiers())
        changed = changed_scores(wanted, store.written_scores(crm)) if configs.writeback_mode != "off" else []
        influenced = (influenced_to_flag(intent_alerts(ledger), store.opportunities(crm), now)
                      if configs.attribution_mode != "off" else [])
    logger.info("Daily plays planned: %s; %d deferred by capacity; %d accounts' scores changed",
                plays_by_playbook(plan.actions) or "none", len(plan.deferred), len(changed))
    return {
        "planned": [a.key for a in plan.actions],
        "plays": plays_by_playbook(plan.actions),
        "deferred": [{"play": d.candidate.key, "reason": d.reason} for d in plan.deferred],
        "sla": {"checked": sla.checked, "closed": sla.closed, "reminded": len(sla.reminded),
                "compliance": None if sla.compliance is None else round(sla.compliance, 3),
                "unknown": len(sla_tasks) - sla.checked},
        "score_changes": changed,
        "influenced": [{"opportunity": i.opportunity_id, "account": i.account_id, "amount": i.amount,
                        "upgraded": i.upgraded_at, "alerted": i.alerted_at} for i in influenced],
        "signals": dict(Counter(row["signal"] for row in rows)),
    }


def _closed_tasks(crm: str, crm_block: str | None, task_ids: list[str]) -> dict[str, bool]:
    """task id → closed, as the CRM says now; a CRM that cannot be read leaves the SLA unknown this run."""
    if not task_ids or not crm_block:
        return {}
    try:
        return crm_connector(crm, crm_block).tasks_closed(task_ids)
    except ConnectorError as err:
        get_run_logger().warning("could not read task statuses from %s; SLA not checked this run: %s", crm, err)
        return {}


@task(name="write-back-scores", cache_policy=NO_CACHE)
def write_back(database_block: str | None, crm: str, crm_block: str | None, rows: list[AccountScoreUpdate],
               mode: str) -> dict[str, Any]:
    """Write changed scores onto the CRM's accounts in full batches; remember exactly what it accepted."""
    if mode != "live" or not rows or not crm_block:
        return {"mode": mode, "changed": len(rows), "written": 0, "failed": {}}
    connector = crm_connector(crm, crm_block)
    result = (connector.write_company_scores(rows) if isinstance(connector, HubSpotCrm)
              else connector.write_account_scores(rows))
    accepted = set(result.done)
    with open_store(database_block) as store:
        store.save_written_scores(crm, [r for r in rows if r.account_id in accepted])
    get_run_logger().info("Score write-back: %d accounts written, %d refused", len(accepted), len(result.failed))
    return {"mode": mode, "changed": len(rows), "written": len(accepted), "failed": dict(result.failed)}


@task(name="flag-influenced-deals", cache_policy=NO_CACHE)
def flag_influenced(database_block: str | None, crm: str, crm_block: str | None, ids: list[str],
                    mode: str) -> dict[str, Any]:
    """Tag won deals / opportunities community-influenced in the CRM; remember what it accepted."""
    if mode != "live" or not ids or not crm_block:
        return {"mode": mode, "found": len(ids), "flagged": 0, "failed": {}}
    connector = crm_connector(crm, crm_block)
    result = connector.flag_deals(ids) if isinstance(connector, HubSpotCrm) else connector.flag_opportunities(ids)
    with open_store(database_block) as store:
        store.mark_influenced(crm, result.done)
    get_run_logger().info("Attribution: %d deals flagged community-influenced, %d refused", len(result.done),
                          len(result.failed))
    return {"mode": mode, "found": len(ids), "flagged": len(result.done), "failed": dict(result.failed)}


def digest_notice(day: str, summary: dict[str, Any]) -> Notice:
    """The daily digest: plays per playbook, what was done, SLA compliance, write-back."""
    planned = summary["planned"]
    sla = planned["sla"]
    compliance = "-" if sla["compliance"] is None else f"{100 * sla['compliance']:.0f}% of {sla['checked']}"
    facts = [(f"{name} plays", str(n)) for name, n in planned["plays"].items()]
    facts += [("Done / failed", f"{len(summary['actions']['done'])} / {len(summary['actions']['failed'])}"),
              ("Deferred by capacity", str(len(planned["deferred"]))),
              ("48-hour SLA met", compliance),
              ("Scores written", f"{summary['writeback']['written']} of {summary['writeback']['changed']} changed"),
              ("Deals flagged influenced", f"{summary['attribution']['flagged']} of {summary['attribution']['found']}")]
    return Notice(title=f"Community daily digest {day}", facts=facts[:10],
                  lines=[f"Modes: {', '.join(f'{k} {v}' for k, v in summary['modes'].items())}"])


def digest_markdown(day: str, summary: dict[str, Any]) -> str:
    """The digest as a markdown artifact."""
    planned = summary["planned"]
    lines = [f"# Community daily digest {day}", "", "| playbook | mode | plays planned |", "|---|---|---:|"]
    lines += [f"| {name} | {mode} | {planned['plays'].get(name, 0)} |" for name, mode in summary["modes"].items()]
    sla = planned["sla"]
    lines += ["", f"Actions: {len(summary['actions']['done'])} done, {len(summary['actions']['failed'])} failed.",
              f"48-hour SLA: {sla['closed']} of {sla['checked']} Intent tasks past 48 hours were closed"
              + ("" if sla["compliance"] is None else f" ({100 * sla['compliance']:.0f}%)")
              + f"; {sla['reminded']} reminders planned.",
              f"Score write-back ({summary['writeback']['mode']}): {summary['writeback']['written']} accounts "
              f"written of {summary['writeback']['changed']} changed"
              + (f", {len(summary['writeback']['failed'])} refused" if summary["writeback"]["failed"] else "") + ".",
              f"Attribution ({summary['attribution']['mode']}): {summary['attribution']['flagged']} of "
              f"{summary['attribution']['found']} community-influenced won deals flagged in the CRM."]
    if planned["influenced"]:
        lines += ["", "## Community-influenced upgrades to flag", "", "| deal | account | amount | won | alerted |",
                  "|---|---|---:|---|---|"]
        lines += [f"| {i['opportunity']} | {i['account']} | {i['amount']:,.0f} | {i['upgraded'][:10]} | "
                  f"{i['alerted'][:10]} |" for i in planned["influenced"][:200]]
    if planned["deferred"]:
        lines += ["", "## Deferred by capacity", "", "| play | reason |", "|---|---|"]
        lines += [f"| {d['play']} | {d['reason']} |" for d in planned["deferred"]]
    return "\n".join(lines)


@task(name="record-digest", cache_policy=NO_CACHE)
def post_digest(database_block: str | None, channel: str | None, day: str, summary: dict[str, Any]) -> str | None:
    """Record the day's digest message in the ledger (once per day); the next execute step posts it."""
    if not channel:
        return None
    text, blocks = digest_notice(day, summary).slack()
    action = SendSlackAlert(key=f"digest:{day}:slack", channel=channel, text=text, blocks=blocks, play=f"digest:{day}")
    with open_store(database_block) as store:
        record_plan(store, [action])
    return action.key
