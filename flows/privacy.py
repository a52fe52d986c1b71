"""Privacy flows: ``forget_member`` (erase a person on request) and ``purge_raw_text`` (retention).

Forgetting is the store's (`connectors.store.privacy`): one transaction erases the member(s),
redacts the ledger and quarantine, and adds the digests of the email / member keys to the
opt-out list that every later write honours. The run then replaces its own parameters on
the Prefect server with those digests, so the flow run that forgot someone does not keep
their email either; artifacts and logs only ever show digests and counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.states import State
from pydantic import Field

from connectors.errors import ConfigurationError
from connectors.store.privacy import FORGET_RULES, ForgetReport, digest
from flows.preflight import ends_cleanly, open_store, preflight

__all__ = ["forget_member", "purge_raw_text"]

FORGET_KEY = "community-privacy-forget"
OPT_OUTS_KEY = "community-privacy-opt-outs"
RETENTION_KEY = "community-raw-text-retention"


def _short(value: str) -> str:
    return f"sha256:{value[:16]}"


@task(name="forget-person", cache_policy=NO_CACHE)
def forget_person(database_block: str | None, member_key: str | None, email: str | None,
                  reason: str) -> dict[str, Any]:
    """Erase and opt out, in one transaction (nobody named: nothing); returns digests and counts only."""
    with open_store(database_block) as store:
        report = store.forget(member_key=member_key, email=email, reason=reason) if member_key or email \
            else ForgetReport((), 0)
        listed = [{"digest": _short(o.digest), "kind": o.kind, "reason": o.reason,
                   "since": o.created_at.isoformat(timespec="seconds")} for o in store.opt_outs()]
    return {"digests": [_short(d) for d in report.digests], "members": report.members,
            "deleted": report.deleted, "redacted": report.redacted, "opt_outs": listed}


def _forget_parameters(member_key: str | None, email: str | None) -> None:
    """Replace this run's member_key/email on the Prefect server with their digests."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None or not (member_key or email):
        return
    parameters = dict(context.flow_run.parameters)
    if member_key:
        parameters["member_key"] = _short(digest("member", member_key))
    if email:
        parameters["email"] = _short(digest("email", email))
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(context.flow_run.id, parameters=parameters)
    except Exception as err:  # the person is forgotten; only the run's own record is left to clean
        get_run_logger().warning("Could not replace this run's parameters with digests (%s): "
                                 "delete this flow run to drop them", type(err).__name__)


@flow(name="forget-member", log_prints=True)
@ends_cleanly
def forget_member(
    member_key: str | None = None,
    email: str | None = None,
    reason: str = "",
    database_block: str | None = None,
) -> dict[str, Any] | State:
    """Erase one person's community data on request and keep them out of every later sync.

    Members, activities, identity rows, tier and signal states go; ledger entries stay with
    names, emails and texts replaced by "[removed]"; quarantined payloads that mention them are
    replaced. The opt-out list keeps only SHA-256 digests, and this run's parameters are
    replaced by those digests when it is done. Without member_key and email it changes
    nothing and publishes the opt-out list.

    Args:
        member_key: One community account to forget, e.g. discourse:123 or slack:U0123. Give this or email.
        email: Forget every member with this email (the person on every source) and their cached CRM
            contacts. Give this or member_key.
        reason: Why, for the audit trail: a ticket number, not personal data.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
    """
    logger = get_run_logger()
    member_key, email = (member_key or "").strip() or None, (email or "").strip() or None
    if member_key and email:
        raise ConfigurationError("give one of member_key (e.g. discourse:123) and email, not both")
    preflight({}, database_block=database_block)
    result = forget_person(database_block, member_key, email, reason)
    _forget_parameters(member_key, email)
    create_table_artifact(result["opt_outs"] or [{"digest": "-", "kind": "nobody forgotten yet"}], key=OPT_OUTS_KEY,
                          description="The opt-out list (digests only)")
    if not (member_key or email):
        logger.info("Nothing to forget (give member_key or email); %d opt-outs listed", len(result["opt_outs"]))
        return result
    lines = ["# Forgotten", "", f"Opt-out digests added: {', '.join(result['digests'])}; "
             f"members erased: {result['members']}.", "", "| table | rows deleted | rows redacted | rule |",
             "|---|---:|---:|---|"]
    lines += [f"| {table} | {result['deleted'].get(table, 0)} | {result['redacted'].get(table, 0)} | {rule} |"
              for table, rule in sorted(FORGET_RULES.items())]
    create_markdown_artifact("\n".join(lines), key=FORGET_KEY, description="What forgetting a person erased")
    logger.info("Forgot %s: %d members, deleted %s, redacted %s", ", ".join(result["digests"]),
                result["members"], result["deleted"], result["redacted"])
    return result


@task(name="purge-raw-text", cache_policy=NO_CACHE)
def purge_old_text(database_block: str | None, before: datetime) -> dict[str, int]:
    """Blank what is older than ``before``; scores keep every activity."""
    with open_store(database_block) as store:
        return store.purge_raw_text(before)


@flow(name="purge-raw-text", log_prints=True)
@ends_cleanly
def purge_raw_text(
    raw_text_retention_days: Annotated[int, Field(ge=1, le=3650)] = 365,
    database_block: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | State:
    """Blank activity titles and excerpts, and quarantined payloads, older than the retention period.

    Scores use activity types and times, not the text, so they do not change; alerts only
    quote recent activity.

    Args:
        raw_text_retention_days: Keep raw community text this many days.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
        now: Count the days back from this moment (leave empty: now).
    """
    logger = get_run_logger()
    preflight({}, database_block=database_block)
    before = (now or datetime.now(timezone.utc)) - timedelta(days=raw_text_retention_days)
    counts = purge_old_text(database_block, before)
    create_markdown_artifact(
        f"# Raw text retention\n\nText older than {before.date().isoformat()} ({raw_text_retention_days} days) "
        f"blanked: {counts['activities']} activities, {counts['quarantine']} quarantined payloads.",
        key=RETENTION_KEY, description="Raw community text past its retention period")
    logger.info("Retention %d days: blanked %s", raw_text_retention_days, counts)
    return {"before": before.isoformat(), **counts}
