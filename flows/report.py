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
    lines = ["# Community sync", "", "| tier | accounts | share |", "|---|---:|---:|"]
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
    actions = summary["actions"]
    lines += ["", f"Actions: {len(actions['done'])} done, {len(actions['failed'])} failed."]
    create_markdown_artifact("\n".join(lines), key="community-sync-summary",
                             description="Tier distribution and what the sync did")
    if actions["rows"]:
        create_table_artifact(actions["rows"], key="community-actions", description="Actions carried out this run")


def emit_tier_events(transitions: list[dict[str, Any]], signals: list[dict[str, Any]] = ()) -> None:
    """Prefect events for automations: accounts entering Intent and each flagged signal."""
    for move in transitions:
        if move["to"] == "intent":
            emit_event(
                event="community.account.intent",
                resource={"prefect.resource.id": f"community.account.{move['account']}"},
                payload={"score": move["score"], "from_tier": move["from"]},
            )
    for row in signals:
        kind = "account" if row["signal"] in ("churn-risk", "fast-rising") else "member"
        emit_event(
            event=f"community.{kind}.{row['signal']}",
            resource={"prefect.resource.id": f"community.{kind}.{row['entity']}",
                      "prefect.resource.name": row["name"]},
            payload={"detail": row["detail"]},
        )
