"""Prefect tasks of ``community_sync`` after the pulls: resolve, score and plan, act.

Tasks take block names, never clients, URLs or secrets, and return plain
data. One task per stage, never one task per member.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.blocks import (
    CommunitySlackCredentials,
    SalesforceCredentials,
)
from connectors.salesforce import SalesforceCrm
from connectors.slack import SlackNotifier
from connectors.store import LedgerEntry, Store
from flows.preflight import open_store
from flows.pulls import HUBSPOT, SALESFORCE
from flows.rate_limits import hubspot_crm
from flows.scoreboard import Scoreboard, people_activities, read_scoreboard
from flows.slack_owners import owner_slack_ids
from playbooks.actions import Action, play_of
from playbooks.briefs import QUESTION_TYPES, build_briefs
from playbooks.capacity import allot, plays_this_week
from playbooks.execute import ExecutionReport, Performers, execute_pending, record_plan
from playbooks.intent import IntentPlaybookConfig, intent_plays, open_plays, split_holdouts
from playbooks.nurture import NurturePlaybookConfig, plan_nurture
from playbooks.owners import Directory
from playbooks.reemergence import ReemergencePlaybookConfig, reemergence_plays
from scoring.identity import reason_kind, resolve
from scoring.model import ScoringModel
from scoring.records import CrmAccount, CrmOwner, Member
from scoring.signals import Signals, TierTransition

__all__ = ["execute_actions", "known_plays", "owner_mentions", "plays_by_playbook", "resolve_identities",
           "score_and_plan"]


@task(name="resolve-identities", cache_policy=NO_CACHE)
def resolve_identities(database_block: str | None, crm: str = HUBSPOT) -> dict[str, Any]:
    """Match members to CRM accounts; unmatched members are kept with the reason.

    Skipped when no member, contact, account or override changed since the last resolution:
    it would come out the same (`Store.identity_inputs`).
    """
    with open_store(database_block) as store:
        inputs, cursor = store.identity_inputs(crm), f"identity:{crm}"
        last = json.loads(store.get_cursor(cursor) or "{}")
        if last.get("inputs") == inputs:
            get_run_logger().info("Identity: unchanged since the last resolution (no member, contact, account or "
                                  "override changed): %s", last["summary"])
            return last["summary"] | {"unchanged": True}
        resolution = resolve(store.members(), store.contacts(crm), store.accounts(crm),
                             overrides=store.overrides())
        store.save_resolution(resolution)
        methods = Counter(m.method for m in resolution.matches.values())
        reasons = Counter(reason_kind(r) for r in resolution.unmatched.values())
        summary = {"matched": len(resolution.matches), "unmatched": len(resolution.unmatched),
                   "people": len(set(resolution.person_of.values())),
                   "by_method": dict(methods), "unmatched_reasons": dict(reasons)}
        store.set_cursor(cursor, json.dumps({"inputs": inputs, "summary": summary}))
    get_run_logger().info("Identity: %s", summary)
    return summary


def known_plays(ledger: Iterable[LedgerEntry]) -> set[str]:
    """Every play the ledger has an action of (planned, done or failed): a re-plan skips them."""
    return {play_of(e.key, e.payload) for e in ledger}


def owner_mentions(slack_block: str | None, board: Scoreboard, account_ids: Iterable[str], store: Store,
                   extra_owners: Iterable[str | None] = ()) -> Directory:
    """The CRM directory with Slack user ids of the owners of ``account_ids`` (to mention them)."""
    wanted = {board.accounts[a].owner_id for a in account_ids if a in board.accounts} | set(extra_owners)
    emails = {o.id: o.email for o in board.owners.values() if o.email and o.id in wanted}
    return Directory(board.accounts, board.owners, owner_slack_ids(slack_block, emails, store))


@task(name="score-and-plan", cache_policy=NO_CACHE)
def score_and_plan(
    database_block: str | None, model: ScoringModel, intent: IntentPlaybookConfig,
    now: datetime, slack_block: str | None, crm: str = HUBSPOT, leaderboard_size: int = 25,
    nurture: NurturePlaybookConfig | None = None, reemergence: ReemergencePlaybookConfig | None = None,
) -> dict[str, Any]:
    """Score, move tiers, plan the immediate plays (Intent, nurture, re-emergence) and record them."""
    nurture = nurture or NurturePlaybookConfig(mode="off")
    reemergence = reemergence or ReemergencePlaybookConfig(mode="off")
    with open_store(database_block) as store:
        board = read_scoreboard(store, model, now, crm)
        signals, account_scores, accounts, owners = board.signals, board.account_scores, board.accounts, board.owners
        entering = {t.entity_id for t in board.transitions if t.to_tier == "intent"}
        ledger = store.ledger()
        known_keys = {e.key for e in ledger}
        plays_known = known_plays(ledger)
        unplayed = set(open_plays(board.account_states.values(), known_keys, intent.mode))
        returning = [p.account_id for k in signals.reemerged if (p := board.people.get(k)) and p.account_id]
        leaders = sorted(account_scores, key=lambda a: -account_scores[a])[:leaderboard_size]
        directory = owner_mentions(slack_block, board, unplayed | set(returning), store)
        briefed = unplayed | set(leaders)
        briefs = build_briefs(
            briefed, account_scores=account_scores, member_scores=board.member_scores,
            account_of=board.account_of, members=board.members, frame=board.frame,
            questions=people_activities(store, board, briefed, types=QUESTION_TYPES, latest=3), accounts=accounts,
            owners=owners, owner_slack_ids=directory.owner_slack_ids,
        )
        held, owner_plays = split_holdouts(intent_plays(board.account_states.values(), briefs, intent, model, now,
                                                        known_keys=known_keys, crm=crm))
        owner_plays += reemergence_plays(signals.reemerged, board.people, board.account_tiers(), directory,
                                         reemergence, now, crm=crm, known_plays=plays_known)
        drafts_week = plays_this_week(ledger, now, draft=True)
        live_week = plays_this_week(ledger, now, draft=False)
        plan = (held + allot([p for p in owner_plays if p.candidate.key.endswith(":draft")], drafts_week, model)
                + allot([p for p in owner_plays if not p.candidate.key.endswith(":draft")], live_week, model)
                + plan_nurture(board.member_states.values(), board.people, nurture, model, now, crm=crm,
                               known_plays=plays_known, opted_out=board.opted_out))
        actions = plan.actions
        record_plan(store, actions)
        store.save_tier_states("account", board.account_states.values(), board.stored_states["account"])
        store.save_tier_states("member", board.member_states.values(), board.stored_states["member"])
        rows = signal_rows(signals, accounts, board.members)
        started = store.start_signals(((row["signal"], row["entity"]) for row in rows), now)
        for row in rows:
            row["started"] = (row["signal"], row["entity"]) in started

    tiers = Counter(s.tier for s in board.account_states.values() if s.tier)
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
        "activities_scored": len(board.frame),
        "activities_read": board.stored_count,
        "members_scored": len(board.member_scores),
        "accounts_scored": len(account_scores),
        "tiers": {t: tiers.get(t, 0) for t in ("awareness", "consideration", "intent")},
        "transitions": [_transition_row(t, accounts, owners) for t in board.transitions],
        "entered_intent": sorted(entering),
        "planned": [a.key for a in actions],
        "plays": plays_by_playbook(actions),
        "deferred": [{"play": d.candidate.key, "reason": d.reason} for d in plan.deferred],
        "held_out": [a.key for a in held.actions],
        "intent_mode": intent.mode,
        "leaderboard": leaderboard,
        "signals": rows,
        "seasonal_factor": round(signals.seasonal.factor, 3),
    }


def plays_by_playbook(actions: Iterable[Action]) -> dict[str, int]:
    """Plays planned per playbook (a play with an alert and a task counts once; held-out plays are not played)."""
    plays = {play_of(a.key, a.to_payload()) for a in actions if getattr(a, "record", "") != "holdout"}
    return dict(sorted(Counter(p.split(":", 1)[0] for p in plays).items()))


def _transition_row(move: TierTransition, accounts: dict[str, CrmAccount], owners: dict[str, CrmOwner]) -> dict[str, Any]:
    """A tier move with what an automation needs to act on it: the account's name, owner and plan."""
    account = accounts.get(move.entity_id)
    owner = owners.get(account.owner_id) if account and account.owner_id else None
    return {"account": move.entity_id, "name": account.name if account else move.entity_id,
            "from": move.from_tier, "to": move.to_tier, "score": round(move.score, 1), "episode": move.episode,
            "owner": owner.email if owner else None, "plan": account.plan if account else None}


def signal_rows(signals: Signals, accounts: dict[str, CrmAccount], members: dict[str, Member]) -> list[dict[str, Any]]:
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


#: Ledger kinds that need a CRM connector, and the kinds the forum performs.
_CRM_KINDS = frozenset({"crm_task", "list_membership", "sequence_enrollment"})
_FORUM_KINDS = frozenset({"discourse_group", "discourse_message"})


@task(name="activities-arrived", cache_policy=NO_CACHE)
def activities_arrived(database_block: str | None, read: int) -> int:
    """How many activities were stored since the scoreboard read ``read`` of them (the receivers write any time)."""
    with open_store(database_block) as store:
        return max(0, store.count_activities() - read)


@task(name="execute-actions", cache_policy=NO_CACHE)
def execute_actions(
    database_block: str | None, slack_block: str | None, crm_blocks: dict[str, str | None], run_started: datetime,
    discourse_block: str | None = None,
) -> ExecutionReport:
    """Carry out every open ledger entry through Slack, the CRMs (``crm_blocks``: crm → block) and Discourse."""
    performers = Performers()
    if slack_block:
        performers.slack = SlackNotifier(CommunitySlackCredentials.load(slack_block).get_client())
    with open_store(database_block) as store:
        open_entries = [e for e in store.ledger() if e.status != "done"]
        wanted = {"hubspot" if e.kind == "sequence_enrollment" else e.payload.get("crm")
                  for e in open_entries if e.kind in _CRM_KINDS}
        if crm_blocks.get(HUBSPOT) and HUBSPOT in wanted:
            hubspot = hubspot_crm(crm_blocks[HUBSPOT])
            if any(e.kind == "crm_task" and e.payload.get("crm") == HUBSPOT for e in open_entries):
                hubspot.ensure_task_key_property()
            performers.crms[HUBSPOT] = hubspot
        if crm_blocks.get(SALESFORCE) and SALESFORCE in wanted:
            performers.crms[SALESFORCE] = SalesforceCrm(SalesforceCredentials.load(crm_blocks[SALESFORCE]).get_client())
        if discourse_block and any(e.kind in _FORUM_KINDS for e in open_entries):
            performers.forum = forum_actions(discourse_block)
        report = execute_pending(store, performers, run_started=run_started)
    get_run_logger().info("Actions: %d done, %d failed, %d skipped (held by another run, or unsettled)",
                          len(report.done), len(report.failed), len(report.skipped))
    return report


def forum_actions(discourse_block: str) -> Any:
    """The Discourse connector that invites champions (group memberships, private messages)."""
    from connectors.blocks import DiscourseCredentials
    from connectors.discourse_actions import DiscourseActions
    from flows.rate_limits import discourse_limit_name, shared_rate_limit

    block = DiscourseCredentials.load(discourse_block)
    shared = shared_rate_limit(discourse_limit_name(block.base_url), block.requests_per_minute)
    return DiscourseActions.from_block(block, shared=shared)
