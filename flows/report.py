"""Artifacts and events a sync publishes, so ops people see results in the Prefect UI."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

__all__ = ["publish_sync_report", "emit_tier_events"]


def publish_sync_report(summary: dict[str, Any]) -> None:
    """Leaderboard, tier distribution and actions as keyed (versioned) artifacts."""
    scored = summary["scored"]
    if scored["leaderboard"]:
        create_table_artifact(scored["leaderboard"], key="community-account-leaderboard",
                              description="Accounts by community score")
    tiers = scored["tiers"]
    total = sum(tiers.values()) or 1
    mode = summary.get("intent_mode", "live")
    lines = ["# Community sync", "",
             f"Intent playbook: **{mode}**" + (" (alerts to the review channel, no CRM task)" if mode == "draft" else ""),
             f" · scoring model `{summary.get('model_version', 'default')}`", "",
             "| tier | accounts | share |", "|---|---:|---:|"]
    lines += [f"| {t} | {n} | {100 * n / total:.0f}% |" for t, n in tiers.items()]
    lines += ["", f"Activities scored: {scored['activities_scored']}, members scored: "
              f"{scored['members_scored']}, accounts scored: {scored['accounts_scored']}."]
    if "identity" in summary:
        ident = summary["identity"]
        lines += [f"Identity: {ident['matched']} members matched ({ident['by_method']}), "
                  f"{ident['unmatched']} unmatched ({ident['unmatched_reasons']})."]
    if scored.get("signals"):
        create_table_artifact(scored["signals"], key="community-signals",
                              description="Churn risks, fast-rising accounts, champions and re-emerged members")
    modes = summary.get("modes") or {}
    if modes:
        lines += ["", "| playbook | mode | plays planned |", "|---|---|---:|"]
        lines += [f"| {name} | {mode} | {scored.get('plays', {}).get(name, 0)} |"
                  for name, mode in modes.items()]
    if scored.get("held_out"):
        lines += ["", f"Intent plays held out to measure lift (recorded, not sent): {len(scored['held_out'])}."]
    actions = summary["actions"]
    lines += ["", f"Actions: {len(actions['done'])} done, {len(actions['failed'])} failed."]
    if scored.get("deferred"):
        lines += ["", f"## Deferred by the weekly capacity ({len(scored['deferred'])})", "",
                  "| play | reason |", "|---|---|"]
        lines += [f"| {d['play']} | {d['reason']} |" for d in scored["deferred"][:200]]
    create_markdown_artifact("\n".join(lines), key="community-sync-summary",
                             description="Tier distribution and what the sync did")
    if actions["rows"]:
        create_table_artifact(actions["rows"], key="community-actions", description="Actions carried out this run")


def _account_resource(row: dict[str, Any]) -> dict[str, str]:
    """An account as a Prefect event resource: id, name, and labels automations can match on."""
    resource = {"prefect.resource.id": f"community.account.{row['account']}",
                "prefect.resource.name": str(row.get("name") or row["account"]),
                "community.tier": str(row.get("to") or ""), "community.score": str(row.get("score", ""))}
    if row.get("owner"):
        resource["community.owner"] = str(row["owner"])
    return resource


def emit_tier_events(transitions: list[dict[str, Any]], signals: list[dict[str, Any]] = ()) -> int:
    """Prefect events for automations: an account entering Intent (once per episode) and each signal as it starts.

    A signal that keeps holding is not announced again on the next sync (``row["started"]``
    is False): an automation on ``community.account.churn-risk`` runs once per episode.
    Returns how many events were emitted.
    """
    emitted = 0
    for move in transitions:
        if move["to"] == "intent":
            related = ([{"prefect.resource.id": f"community.owner.{move['owner']}",
                         "prefect.resource.role": "owner", "prefect.resource.name": str(move["owner"])}]
                       if move.get("owner") else [])
            emit_event(
                event="community.account.intent", resource=_account_resource(move), related=related,
                payload={"score": move["score"], "from_tier": move["from"], "tier": move["to"],
                         "episode": move.get("episode"), "owner": move.get("owner"), "plan": move.get("plan")},
            )
            emitted += 1
    for row in signals:
        if not row.get("started", True):
            continue
        kind = "account" if row["signal"] in ("churn-risk", "fast-rising") else "member"
        emit_event(
            event=f"community.{kind}.{row['signal']}",
            resource={"prefect.resource.id": f"community.{kind}.{row['entity']}",
                      "prefect.resource.name": str(row["name"]), "community.signal": row["signal"]},
            payload={"detail": row["detail"]},
        )
        emitted += 1
    return emitted
