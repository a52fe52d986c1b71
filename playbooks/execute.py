"""Carry out planned actions through the ledger: nothing twice, nothing lost.

1. ``record_plan``: every planned action goes into the ledger as ``pending`` (a key the
   ledger already has is left as it is) — in the same step that saves the tier states
   the plan came from, so a crossing is never forgotten.
2. ``execute_pending``: each open entry (pending, failed under ``max_attempts``, or in
   flight under a lease that ran out) is first *claimed* for this run; only the run whose
   claim won performs it, so two runs on one database never send the same alert. Entries
   another run holds are skipped and reported. The action carries its key to the external
   side (Slack message metadata, HubSpot/Salesforce unique task key) and is marked done
   with the external id. An entry that a crashed run left behind (recorded before this
   run, failed before, or taken over from an expired claim) is looked up on the service
   before it is sent again; CRM task upserts are idempotent by key anyway.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from connectors.errors import ConnectorError, RetryableError
from playbooks.actions import Action, CreateCrmTask, SendSlackAlert, action_from_payload

if TYPE_CHECKING:
    from connectors.slack import SlackNotifier
    from connectors.store import LedgerEntry, Store

__all__ = ["DEFAULT_LEASE", "ExecutionReport", "Performers", "execute_pending", "record_plan"]

log = logging.getLogger("playbooks.execute")

#: How long a run may hold an action before another run may take it over. It only has to
#: cover one action with its retries (the retry policy's worst case is a few minutes), and
#: it is how long a crashed run's actions wait before another run finishes them.
DEFAULT_LEASE = timedelta(minutes=10)


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
    """What happened to each action this run; ``skipped``: held or finished by another run."""

    done: list[tuple[str, str | None]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        return ([{"key": k, "status": "done", "detail": e or ""} for k, e in self.done]
                + [{"key": k, "status": "failed", "detail": e} for k, e in self.failed]
                + [{"key": k, "status": "skipped", "detail": why} for k, why in self.skipped])


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


def _is_open(entry: LedgerEntry, max_attempts: int) -> bool:
    """Worth a claim: pending, failed with attempts left, or in flight (its lease may be out)."""
    return entry.status in ("pending", "in_flight") or (
        entry.status == "failed" and entry.attempts < max_attempts
    )


def _why_skipped(store: Store, key: str) -> str:
    """Why the claim did not win, as the ledger tells it now."""
    current = store.ledger_entry(key)
    if current is None:
        return "no longer in the ledger"
    if current.status == "in_flight" and current.lease_until is not None:
        return f"in flight in another run until {current.lease_until.isoformat(timespec='seconds')}"
    return f"{current.status} by another run"


def execute_pending(
    store: Store,
    performers: Performers,
    *,
    run_started: datetime,
    max_attempts: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
    owner: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> ExecutionReport:
    """Perform every open ledger entry this run can claim; one failure never stops the others.

    ``owner`` names this run in the ledger's claims (default: a new uuid per call, so two
    calls never share claims); ``lease`` is how long a claim holds (see `DEFAULT_LEASE`).
    """
    owner = owner or f"run-{uuid.uuid4()}"
    entries = [e for e in store.ledger() if _is_open(e, max_attempts)]
    report = ExecutionReport()
    unreachable: dict[str, str] = {}  # service -> the error that showed it down this run
    for index, listed in enumerate(entries, start=1):
        service = _service(listed)
        if service in unreachable:
            report.skipped.append((listed.key, f"not attempted: {service} failed this run after retries "
                                               f"({unreachable[service]}); the next run tries again"))
        elif (claim := store.ledger_claim(listed.key, owner, lease=lease, max_attempts=max_attempts)) is None:
            report.skipped.append((listed.key, _why_skipped(store, listed.key)))
        else:
            error = _execute(store, performers, claim.entry, owner, report,
                             maybe_sent=claim.taken_over or claim.entry.created_at < run_started
                             or claim.entry.attempts > 0)
            if isinstance(error, RetryableError):
                unreachable[service] = str(error)
        if on_progress:
            on_progress(index, len(entries))
    return report


def _service(entry: LedgerEntry) -> str:
    """Which service an entry's action goes to: a service down for one action is down for its others."""
    if entry.kind == "slack_alert":
        return "Slack"
    return str(entry.payload.get("crm") or entry.kind)


def _execute(store: Store, performers: Performers, entry: LedgerEntry, owner: str,
             report: ExecutionReport, *, maybe_sent: bool) -> Exception | None:
    """Perform one claimed entry and record the outcome under this run's claim; the error, if any.

    A service still failing after the retry policy's attempts (down, overloaded) is not
    tried again this run for its other actions: they stay open for the next run instead of
    each waiting out the same retries.
    """
    try:
        action = action_from_payload(entry.payload)
        external_id = _perform(action, performers, entry.created_at if maybe_sent else None)
    except (ConnectorError, RuntimeError, TypeError, ValueError) as err:
        log.warning("action %s failed: %s", entry.key, err)
        if not store.ledger_failed(entry.key, str(err), owner=owner):
            log.warning("action %s: the claim ran out and another run took the entry over; "
                        "this failure is not recorded", entry.key)
        report.failed.append((entry.key, str(err)))
        return err
    else:
        if not store.ledger_done(entry.key, external_id, owner=owner):
            log.warning("action %s was also completed by another run after this run's claim "
                        "ran out (a lease shorter than the action?)", entry.key)
        report.done.append((entry.key, external_id))
    return None
