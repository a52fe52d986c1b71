"""Prefect tasks of ``community_sync`` after the pulls: resolve, score and plan, act.

Tasks take block names, never clients, URLs or secrets, and return plain
data. One task per stage, never one task per member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.blocks import CommunitySlackCredentials, HubSpotCredentials, SalesforceCredentials
from connectors.errors import ConnectorError
from connectors.hubspot import HubSpotCrm
from connectors.salesforce import SalesforceCrm
from connectors.slack import SlackNotifier
from connectors.store import LedgerEntry
from flows.preflight import open_store
from playbooks.briefs import build_briefs
from playbooks.execute import ExecutionReport, Performers, execute_pending, record_plan
from playbooks.intent import IntentPlaybookConfig, open_plays, plan_intent_actions
from scoring.identity import reason_kind, resolve
from scoring.model import ScoringModel
from scoring.records import Activity, CrmAccount, CrmOwner, Member
from scoring.signals import Signals, TierTransition, advance_tiers, detect_signals

from flows.pulls import HUBSPOT, SALESFORCE

__all__ = ["execute_actions", "resolve_identities", "score_and_plan"]


@task(name="resolve-identities", cache_policy=NO_CACHE)
def resolve_identities(database_block: str | None, crm: str = HUBSPOT) -> dict[str, Any]:
    """Match members to CRM accounts; unmatched members are kept with the reason."""
    with open_store(database_block) as store:
        resolution = resolve(store.members(), store.contacts(crm), store.accounts(crm),
                             overrides=store.overrides())
        store.save_resolution(resolution)
    methods = Counter(m.method for m in resolution.matches.values())
    reasons = Counter(reason_kind(r) for r in resolution.unmatched.values())
    summary = {"matched": len(resolution.matches), "unmatched": len(resolution.unmatched),
               "people": len(set(resolution.person_of.values())),
               "by_method": dict(methods), "unmatched_reasons": dict(reasons)}
    get_run_logger().info("Identity: %s", summary)
    return summary


def _owner_slack_ids(slack_block: str | None, emails: dict[str, str]) -> dict[str, str]:
    """Slack users of CRM owners, to mention them; a failed lookup only loses the mention."""
    if not slack_block or not emails:
        return {}
    notifier = SlackNotifier(CommunitySlackCredentials.load(slack_block).get_client())
    found = {}
    try:
        for owner_id, email in emails.items():
            user_id = notifier.user_id_for_email(email)
            if user_id:
                found[owner_id] = user_id
    except ConnectorError as err:
        get_run_logger().warning("Slack owner lookup failed, alerts go out without mentions: %s", err)
    return found


def as_people(activities: list[Activity], person_of: dict[str, str], excluded: set[str]) -> list[Activity]:
    """Activities keyed by person (one person on Discourse and Slack scores once), team and bots left out."""
    return [
        a if person_of.get(a.member_key, a.member_key) == a.member_key
        else replace(a, member_key=person_of[a.member_key])
        for a in activities if a.member_key not in excluded
    ]


def _plays_this_week(ledger: Iterable[LedgerEntry], now: datetime, mode: str) -> Counter[str | None]:
    """Intent plays of ``mode`` each owner got in the 7 days before ``now`` (one alert per play).

    Drafts and live plays are counted apart: a week of drafts must not use up the live capacity.
    """
    since = now - timedelta(days=7)
    draft = mode == "draft"
    return Counter(e.payload.get("owner_id") for e in ledger
                   if e.kind == "slack_alert" and e.created_at >= since and e.key.startswith("intent:")
                   and (":draft:" in e.key) == draft)


@task(name="score-and-plan", cache_policy=NO_CACHE)
def score_and_plan(
    database_block: str | None, model: ScoringModel, intent: IntentPlaybookConfig,
    now: datetime, slack_block: str | None, crm: str = HUBSPOT, leaderboard_size: int = 25,
) -> dict[str, Any]:
    """Score, move tiers, plan the Intent playbook and record the plan in the ledger."""
    with open_store(database_block) as store:
        members = {m.key: m for m in store.members()}
        stored = store.activities()
        excluded = {k for k, m in members.items() if m.is_staff or m.is_bot}
        excluded |= store.opted_out({a.member_key for a in stored})  # forgotten while a pull ran
        activities = as_people(stored, store.people(), excluded)
        account_of = {k: m.account_id for k, m in store.matches().items()}
        signals = detect_signals(activities, account_of, model, now)
        member_scores = dict(signals.history.members[0.0])
        account_scores = dict(signals.history.accounts[0.0])
        accounts = {a.id: a for a in store.accounts(crm)}
        owners = {o.id: o for o in store.owners(crm)}

        states, transitions = advance_tiers(account_scores, store.tier_states("account"), model, now)
        member_states, _ = advance_tiers(member_scores, store.tier_states("member"), model, now)
        entering = {t.entity_id for t in transitions if t.to_tier == "intent"}
        ledger = store.ledger()
        known_keys = {e.key for e in ledger}
        unplayed = set(open_plays(states.values(), known_keys, intent.mode))
        leaders = sorted(account_scores, key=lambda a: -account_scores[a])[:leaderboard_size]
        wanted_owner_emails = {
            o.id: o.email for o in owners.values() if o.email
            and any(accounts.get(a) and accounts[a].owner_id == o.id for a in unplayed)
        }
        briefs = build_briefs(
            unplayed | set(leaders), account_scores=account_scores, member_scores=member_scores,
            account_of=account_of, members=members, activities=activities, accounts=accounts,
            owners=owners, owner_slack_ids=_owner_slack_ids(slack_block, wanted_owner_emails),
        )
        plan = plan_intent_actions(
            states.values(), briefs, intent, model, now, known_keys=known_keys,
            plays_this_week=_plays_this_week(ledger, now, intent.mode), crm=crm,
        )
        actions = plan.actions
        record_plan(store, actions)
        store.save_tier_states("account", states.values())
        store.save_tier_states("member", member_states.values())
        signal_rows = _signal_rows(signals, accounts, members)
        started = store.start_signals((row["signal"], row["entity"]) for row in signal_rows)
        for row in signal_rows:
            row["started"] = (row["signal"], row["entity"]) in started

    tiers = Counter(s.tier for s in states.values() if s.tier)
    leaderboard = [
        {
            "rank": rank, "account": briefs[a].account.name if a in briefs else a,
            "tier": model.tier(account_scores[a]) or "-", "score": round(account_scores[a], 1),
            "members": briefs[a].active_members if a in briefs else 0,
            "plan": (briefs[a].account.plan if a in briefs else None) or "-",
            "owner": (briefs[a].owner.email if a in briefs and briefs[a].owner else None) or "-",
            "top activity": briefs[a].top_activities[0][0] if a in briefs and briefs[a].top_activities else "-",
            "gain 14d": round(signals.account_velocity[a].gain, 1) if a in signals.account_velocity else 0.0,
            "fast rising": bool(a in signals.account_velocity and signals.account_velocity[a].fast_rising),
        }
        for rank, a in enumerate(leaders, start=1)
    ]
    return {
        "activities_scored": len(activities),
        "members_scored": len(member_scores),
        "accounts_scored": len(account_scores),
        "tiers": {t: tiers.get(t, 0) for t in ("awareness", "consideration", "intent")},
        "transitions": [_transition_row(t, accounts, owners) for t in transitions],
        "entered_intent": sorted(entering),
        "planned": [a.key for a in actions],
        "deferred": [{"play": d.candidate.key, "reason": d.reason} for d in plan.deferred],
        "intent_mode": intent.mode,
        "leaderboard": leaderboard,
        "signals": signal_rows,
        "seasonal_factor": round(signals.seasonal.factor, 3),
    }


def _transition_row(move: TierTransition, accounts: dict[str, CrmAccount], owners: dict[str, CrmOwner]) -> dict[str, Any]:
    """A tier move with what an automation needs to act on it: the account's name, owner and plan."""
    account = accounts.get(move.entity_id)
    owner = owners.get(account.owner_id) if account and account.owner_id else None
    return {"account": move.entity_id, "name": account.name if account else move.entity_id,
            "from": move.from_tier, "to": move.to_tier, "score": round(move.score, 1), "episode": move.episode,
            "owner": owner.email if owner else None, "plan": account.plan if account else None}


def _signal_rows(signals: Signals, accounts: dict[str, CrmAccount], members: dict[str, Member]) -> list[dict[str, Any]]:
    """One row per flagged account or member, for the signals artifact and events."""
    def account_name(account_id: str) -> str:
        return accounts[account_id].name if account_id in accounts else account_id

    def member_name(key: str) -> str:
        return members[key].username if key in members else key

    rows = [{"signal": "churn-risk", "entity": account_id, "name": account_name(account_id),
             "detail": f"dropped {risk.drop:.0f} points from {risk.peak_score:.0f} (threshold {risk.threshold:.0f})"}
            for account_id, risk in sorted(signals.churn_risks.items())]
    rows += [{"signal": "fast-rising", "entity": account_id, "name": account_name(account_id),
              "detail": f"+{v.gain:.0f} points in the velocity window (threshold {v.threshold:.0f})"}
             for account_id, v in sorted(signals.account_velocity.items()) if v.fast_rising]
    rows += [{"signal": "champion", "entity": key, "name": member_name(key),
              "detail": f"at Intent for {c.streak_days} days"} for key, c in sorted(signals.champions.items())]
    rows += [{"signal": "re-emerged", "entity": key, "name": member_name(key),
              "detail": f"back after {r.gap_days:.0f} silent days"} for key, r in sorted(signals.reemerged.items())]
    return rows


@task(name="execute-actions", cache_policy=NO_CACHE)
def execute_actions(
    database_block: str | None, slack_block: str | None, crm_blocks: dict[str, str | None], run_started: datetime,
) -> ExecutionReport:
    """Carry out every open ledger entry through Slack and the CRMs (``crm_blocks``: crm → block)."""
    performers = Performers()
    if slack_block:
        performers.slack = SlackNotifier(CommunitySlackCredentials.load(slack_block).get_client())
    with open_store(database_block) as store:
        wanted = {e.payload.get("crm") for e in store.ledger() if e.status != "done" and e.kind == "crm_task"}
        if crm_blocks.get(HUBSPOT) and HUBSPOT in wanted:
            hubspot = HubSpotCrm(HubSpotCredentials.load(crm_blocks[HUBSPOT]).get_client())
            hubspot.ensure_task_key_property()
            performers.crms[HUBSPOT] = hubspot
        if crm_blocks.get(SALESFORCE) and SALESFORCE in wanted:
            performers.crms[SALESFORCE] = SalesforceCrm(SalesforceCredentials.load(crm_blocks[SALESFORCE]).get_client())
        report = execute_pending(store, performers, run_started=run_started)
    get_run_logger().info("Actions: %d done, %d failed, %d held by another run", len(report.done),
                          len(report.failed), len(report.skipped))
    return report
