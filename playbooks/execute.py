"""Carry out planned actions through the ledger: nothing twice, nothing lost.

1. ``record_plan``: every planned action goes into the ledger as ``pending`` (a key the
   ledger already has is left as it is) — in the same step that saves the tier states
   the plan came from, so a crossing is never forgotten.
2. ``execute_pending``: each pending (or failed, under ``max_attempts``) entry is performed
   with its key stored on the external side (Slack message metadata, HubSpot unique task
   property), then marked done with the external id. An entry left pending by a crashed
   run is checked against the service before it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from connectors.errors import ConnectorError
from playbooks.actions import Action, CreateCrmTask, SendSlackAlert, action_from_payload

if TYPE_CHECKING:
    from connectors.slack import SlackNotifier
    from connectors.store import LedgerEntry, Store

__all__ = ["ExecutionReport", "Performers", "execute_pending", "record_plan"]

log = logging.getLogger("playbooks.execute")


class _Crm(Protocol):
    """What a CRM connector offers the executor (HubSpotCrm and SalesforceCrm both do)."""

    def upsert_task(self, *, key: str, company_id: str, subject: str, body: str,
                    due: datetime, owner_id: str | None = None, priority: str = "HIGH") -> str: ...


@dataclass
class Performers:
    """The connectors actions go through; a missing one fails its actions with a reason."""

    slack: SlackNotifier | None = None
    crms: dict[str, _Crm] = field(default_factory=dict)


@dataclass
class ExecutionReport:
    """What happened to each action this run."""

    done: list[tuple[str, str | None]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        return ([{"key": k, "status": "done", "detail": e or ""} for k, e in self.done]
                + [{"key": k, "status": "failed", "detail": e} for k, e in self.failed])


def record_plan(store: Store, actions: Iterable[Action]) -> list[LedgerEntry]:
    """Put planned actions in the ledger as pending; keys already there keep their state."""
    return [store.ledger_begin(a.key, a.kind, a.to_payload()) for a in actions]


def _perform(action: Action, performers: Performers, maybe_sent_since: datetime | None) -> str | None:
    if isinstance(action, SendSlackAlert):
        if performers.slack is None:
            raise RuntimeError("no Slack credentials configured for alerts")
        posted = performers.slack.post_once(
            action.channel, key=action.key, text=action.text, blocks=action.blocks,
            maybe_sent_since=maybe_sent_since,
        )
        return f"{posted.channel}/{posted.ts}"
    if isinstance(action, CreateCrmTask):
        crm = performers.crms.get(action.crm)
        if crm is None:
            raise RuntimeError(f"no {action.crm} credentials configured for CRM tasks")
        return crm.upsert_task(
            key=action.key, company_id=action.account_id, subject=action.subject,
            body=action.body, due=action.due_at, owner_id=action.owner_id,
            priority=action.task_priority,
        )
    raise TypeError(f"cannot perform {type(action).__name__}")


def execute_pending(
    store: Store,
    performers: Performers,
    *,
    run_started: datetime,
    max_attempts: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExecutionReport:
    """Perform every open ledger entry; one failure never stops the others."""
    entries = [e for e in store.ledger() if e.status == "pending"
               or (e.status == "failed" and e.attempts < max_attempts)]
    report = ExecutionReport()
    for index, entry in enumerate(entries, start=1):
        earlier = entry.created_at < run_started or entry.attempts > 0
        try:
            action = action_from_payload(entry.payload)
            external_id = _perform(action, performers, entry.created_at if earlier else None)
        except (ConnectorError, RuntimeError, TypeError, ValueError) as err:
            log.warning("action %s failed: %s", entry.key, err)
            store.ledger_failed(entry.key, str(err))
            report.failed.append((entry.key, str(err)))
        else:
            store.ledger_done(entry.key, external_id)
            report.done.append((entry.key, external_id))
        if on_progress:
            on_progress(index, len(entries))
    return report
