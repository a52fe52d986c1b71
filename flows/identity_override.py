"""``set_identity_override``: the operator's word on who belongs to which account, from the UI.

The same as ``community-scoring override set/remove`` (`flows.cli`): an override ties a member
to a CRM account, or with no account keeps it from ever matching; `resolve` applies it at
the next sync, ahead of every automatic match.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from flows.preflight import ends_cleanly, open_store, preflight
from flows.pulls import HUBSPOT, SALESFORCE

__all__ = ["set_identity_override"]

ARTIFACT_KEY = "community-identity-overrides"
NEVER = "(never matched)"


@task(name="set-override", cache_policy=NO_CACHE)
def apply_override(database_block: str | None, member_key: str | None, account_id: str | None, remove: bool,
                   note: str) -> dict[str, Any]:
    """Set or remove one override (none without a member key); returns the change, warnings and the list."""
    with open_store(database_block) as store:
        before = store.overrides()
        warnings = []
        if member_key and member_key not in {m.key for m in store.members()}:
            warnings.append(f"no member {member_key!r} is stored yet: the override applies once it is synced")
        if not member_key:
            pass
        elif remove:
            store.remove_override(member_key)
        else:
            if account_id and account_id not in {a.id for crm in (HUBSPOT, SALESFORCE) for a in store.accounts(crm)}:
                warnings.append(f"no CRM account {account_id!r} is cached yet: check the id")
            store.set_override(member_key, account_id, note)
        after = store.overrides()
        names = {a.id: a.name for crm in (HUBSPOT, SALESFORCE) for a in store.accounts(crm)}
    rows = [{"member": k, "account": v or NEVER, "account name": names.get(v, "-") if v else "-"}
            for k, v in sorted(after.items())]
    return {"member_key": member_key, "had": member_key in before, "before": before.get(member_key or ""),
            "now": after.get(member_key or ""), "set": member_key in after, "warnings": warnings, "overrides": rows}


@flow(name="set-identity-override", log_prints=True)
@ends_cleanly
def set_identity_override(
    member_key: str | None = None,
    account_id: str | None = None,
    remove: bool = False,
    note: str = "",
    database_block: str | None = None,
) -> dict[str, Any] | State:
    """Tie a community member to a CRM account by hand, keep them from matching, or remove the override.

    Applied at the next sync, ahead of every automatic match. Every run publishes the list of
    overrides; without a member key that is all it does.

    Args:
        member_key: The member, e.g. discourse:123 or slack:U0123; empty = change nothing, list the overrides.
        account_id: The CRM account id to tie them to; empty or "none" = never match this member.
        remove: Remove the member's override instead (automatic matching applies again).
        note: Why, for whoever reads the override list later.
        database_block: Community Scoring State Database block; empty = $COMMUNITY_SCORING_DATABASE_URL,
            else the SQLite file ~/.community-scoring/state.db of the worker's user.
    """
    logger = get_run_logger()
    member_key = (member_key or "").strip() or None
    account = None if (account_id or "").strip().lower() in ("", "none") else (account_id or "").strip()
    preflight({}, database_block=database_block)
    result = apply_override(database_block, member_key, account, remove, note)
    for warning in result["warnings"]:
        logger.warning(warning)

    def shown(value: str | None, present: bool) -> str:
        return (value or NEVER) if present else "no override"

    if member_key:
        logger.info("Override of %s: %s -> %s", member_key, shown(result["before"], result["had"]),
                    shown(result["now"], result["set"]))
    logger.info("%d identity overrides", len(result["overrides"]))
    create_table_artifact(result["overrides"] or [{"member": "-", "account": "no overrides"}], key=ARTIFACT_KEY,
                          description="Identity overrides: member -> CRM account, applied at every sync")
    return result
