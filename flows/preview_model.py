"""``preview_model``: what publishing a draft model would change, before anyone is alerted.

Both models score the stored activities at the same moment, starting from the accounts'
stored tiers (so hysteresis applies as at the next sync): the accounts that would change
tier and the Intent plays each model would fire are published as artifacts. Nothing is
written: no tier, no ledger entry, no alert.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from connectors.config_blocks import ScoringSettings
from flows.preflight import ends_cleanly, load_block, open_store, preflight
from flows.pulls import HUBSPOT, SALESFORCE
from flows.scoreboard import as_people
from scoring.model import ScoringModel
from scoring.records import TIERS
from scoring.versions import ModelComparison, compare_models

__all__ = ["preview_model"]

TABLE_KEY = "community-model-preview"
SUMMARY_KEY = "community-model-preview-summary"


@task(name="compare-models", cache_policy=NO_CACHE)
def compare_on_store(database_block: str | None, published: ScoringModel, draft: ScoringModel,
                     now: datetime) -> dict[str, Any]:
    """Score the stored activities under both models (team, bots and forgotten members left out)."""
    with open_store(database_block) as store:
        members = {m.key: m for m in store.members()}
        stored = store.activities()
        excluded = {k for k, m in members.items() if m.is_staff or m.is_bot}
        excluded |= store.opted_out({a.member_key for a in stored})
        activities = as_people(stored, store.people(), excluded)
        account_of = {k: m.account_id for k, m in store.matches().items()}
        previous = store.tier_states("account")
        names = {a.id: a.name for crm in (HUBSPOT, SALESFORCE) for a in store.accounts(crm)}
    comparison = compare_models(published, draft, activities, account_of, now, previous_states=previous)
    return _summary(comparison, names, len(activities))


def _summary(c: ModelComparison, names: dict[str, str], activities: int) -> dict[str, Any]:
    rows = [{"name": names.get(str(r["account"]), "-"), **r} for r in c.rows()]
    return {
        "published_version": c.published_version, "draft_version": c.draft_version, "activities": activities,
        "accounts": len(c.accounts), "tier_changes": len(c.tier_changes),
        "published_tiers": dict(c.published_distribution.counts), "draft_tiers": dict(c.draft_distribution.counts),
        "published_alerts": list(c.published_alerts), "draft_alerts": list(c.draft_alerts),
        "alerts_added": list(c.alerts_added), "alerts_removed": list(c.alerts_removed),
        "rows": rows,
    }


def _publish(summary: dict[str, Any], now: datetime) -> None:
    published, draft = summary["published_version"], summary["draft_version"]
    lines = [f"# Model preview: `{draft}` (draft) against `{published}` (published)", "",
             f"Scored at {now.isoformat()} on {summary['activities']} activities, {summary['accounts']} accounts, "
             "from the accounts' stored tiers.", "",
             "| tier | published | draft |", "|---|---:|---:|"]
    lines += [f"| {t} | {summary['published_tiers'][t]} | {summary['draft_tiers'][t]} |" for t in TIERS]
    lines += ["", f"- Accounts changing tier: {summary['tier_changes']}",
              f"- Intent plays: published {len(summary['published_alerts'])}, draft {len(summary['draft_alerts'])} "
              f"(+{len(summary['alerts_added'])} / -{len(summary['alerts_removed'])})",
              "", f"Every account that changes tier or play is in the table artifact `{TABLE_KEY}`."]
    create_markdown_artifact("\n".join(lines), key=SUMMARY_KEY, description="Draft model against the published one")
    rows = summary["rows"] or [{"account": "-", "name": "no account changes tier or play"}]
    create_table_artifact(rows, key=TABLE_KEY,
                          description=f"Accounts whose tier or Intent play differs under draft {draft}")


@flow(name="preview-model", log_prints=True)
@ends_cleanly
def preview_model(
    draft_model_block: str | None = None,
    model_block: str | None = None,
    database_block: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """Compare a draft scoring model with the published one on the stored activities; changes nothing.

    Args:
        draft_model_block: Community Scoring Model block holding the draft (save a copy of the
            published block under a new name, edit it, preview it here, then publish it by
            pointing the sync's model_block at it); empty = the built-in defaults.
        model_block: Community Scoring Model block with the published model; empty = the defaults.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        now: Score as of this moment (leave empty: now).
    """
    logger = get_run_logger()
    now = now or datetime.now(timezone.utc)
    settings = preflight({"draft_model_block": (ScoringSettings, draft_model_block)},
                        database_block=database_block, model_block=model_block)
    draft = load_block(ScoringSettings, draft_model_block, "draft_model_block") if draft_model_block \
        else ScoringSettings()
    assert isinstance(draft, ScoringSettings)
    summary = compare_on_store(database_block, settings.model, draft.model, now)
    _publish(summary, now)
    logger.info("Draft %s vs published %s: %d accounts change tier; Intent plays %d -> %d",
                summary["draft_version"], summary["published_version"], summary["tier_changes"],
                len(summary["published_alerts"]), len(summary["draft_alerts"]))
    return summary
