"""Carry out planned actions through the ledger: nothing twice, nothing lost.

Every side effect goes through one mechanism: pending → performed with our key stored on
the far side → done.

1. ``record_plan``: every planned action goes into the ledger as ``pending`` (a key the
   ledger already has is left as it is) — in the same step that saves the tier states
   the plan came from, so a crossing is never forgotten.
2. ``execute_pending``: each open entry (pending, failed under ``max_attempts``, or in
   flight under a lease that ran out) is first *claimed* for this run; only the run whose
   claim won performs it, so two runs on one database never send the same thing. Entries
   another run holds are skipped and reported. The action carries its key to the service
   (Slack message metadata, the CRM task's key property or external id, the Discourse
   message) and is marked done with the service's id.
3. An entry an earlier attempt may have reached the service with (a crash, a lost answer:
   `LedgerClaim.maybe_sent_at`) is settled by a lookup before anything is sent again. A
   lookup that cannot tell yet (HubSpot's search index lags) raises `Unsettled`: the entry
   goes back to pending without using up an attempt, and a later run looks again.
   Memberships (lists, campaigns, groups) are idempotent by nature and are sent in batches
   of one list at a time; a batch's per-item failures mark exactly those items.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from connectors.batch import BatchResult, TaskBatch, TaskSpec
from connectors.errors import ConnectorError, RetryableError, Unsettled
from playbooks.actions import (
    Action,
    AddToDiscourseGroup,
    AddToList,
    CreateCrmTask,
    EnrollInSequence,
    RecordDraft,
    SendDiscourseMessage,
    SendSlackAlert,
    action_from_payload,
)

if TYPE_CHECKING:
    from connectors.slack import SlackNotifier
    from connectors.store import LedgerClaim, LedgerEntry, Store

__all__ = ["DEFAULT_LEASE", "ExecutionReport", "Performers", "execute_pending", "record_plan"]

log = logging.getLogger("playbooks.execute")

#: How long a run may hold an action before another run may take it over. It only has to
#: cover one action with its retries (the retry policy's worst case is a few minutes), and
#: it is how long a crashed run's actions wait before another run finishes them.
DEFAULT_LEASE = timedelta(minutes=10)


#: Memberships sent in one call (HubSpot's list API takes 100 ids a call; Salesforce 200).
BATCH_SIZE = 100
#: CRM tasks claimed and sent together (Salesforce takes 200 a call, HubSpot two calls of 100).
TASK_CLAIMS = 200


class _Crm(Protocol):
    """What a CRM connector offers the executor (HubSpotCrm and SalesforceCrm both do)."""

    def upsert_task(self, *, key: str, company_id: str, subject: str, body: str, due: datetime,
                    owner_id: str | None = None, priority: str = "HIGH",
                    maybe_sent_at: datetime | None = None) -> str: ...


class _Forum(Protocol):
    """What the Discourse connector offers (`connectors.discourse_actions.DiscourseActions`)."""

    def add_to_group(self, group_name: str, usernames: Sequence[str]) -> list[str]: ...

    def send_private_message(self, *, key: str, username: str, title: str, raw: str,
                             maybe_sent_at: datetime | None = None) -> str: ...


@dataclass
class Performers:
    """The connectors actions go through; a missing one fails its actions with a reason."""

    slack: SlackNotifier | None = None
    crms: dict[str, _Crm] = field(default_factory=dict)
    forum: _Forum | None = None


@dataclass
class ExecutionReport:
    """What happened to each action this run; ``skipped``: held or finished by another run."""

    done: list[tuple[str, str | None]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: ExecutionReport) -> None:
        """Count ``other``'s actions in this report too (a run that acts more than once)."""
        self.done += other.done
        self.failed += other.failed
        self.skipped += other.skipped

    def rows(self) -> list[dict[str, str]]:
        return ([{"key": k, "status": "done", "detail": e or ""} for k, e in self.done]
                + [{"key": k, "status": "failed", "detail": e} for k, e in self.failed]
                + [{"key": k, "status": "skipped", "detail": why} for k, why in self.skipped])


def record_plan(store: Store, actions: Iterable[Action]) -> list[LedgerEntry]:
    """Put planned actions in the ledger as pending; keys already there keep their state."""
    return [store.ledger_begin(a.key, a.kind, a.to_payload()) for a in actions]


def _crm(performers: Performers, name: str, what: str) -> Any:
    crm = performers.crms.get(name)
    if crm is None:
        raise RuntimeError(f"no {name} credentials configured for {what}")
    return crm


def _perform(action: Action, performers: Performers, entry: LedgerEntry, maybe_sent_at: datetime | None) -> str | None:
    """Do one action; its external id. ``maybe_sent_at`` set: look the action up before sending."""
    if isinstance(action, RecordDraft):
        return action.record
    if isinstance(action, SendSlackAlert):
        if performers.slack is None:
            raise RuntimeError("no Slack credentials configured for alerts")
        posted = performers.slack.post_once(
            action.channel, key=action.key, text=action.text, blocks=action.blocks,
            maybe_sent_since=entry.created_at if maybe_sent_at else None,
        )
        return f"{posted.channel}/{posted.ts}"
    if isinstance(action, CreateCrmTask):
        return _crm(performers, action.crm, "CRM tasks").upsert_task(
            key=action.key, company_id=action.account_id, subject=action.subject,
            body=action.body, due=action.due_at, owner_id=action.owner_id,
            priority=action.task_priority, maybe_sent_at=maybe_sent_at,
        )
    if isinstance(action, EnrollInSequence):
        return _crm(performers, "hubspot", "sequence enrollments").enroll_in_sequence(
            sequence_id=action.sequence_id, contact_id=action.contact_id,
            sender_email=action.sender_email, user_id=action.user_id,
        )
    if isinstance(action, AddToList):
        added = _add_members_batch(performers, action.crm, action.list_id, [action.contact_id])
        if action.contact_id not in added.done:
            raise RuntimeError(added.failed.get(action.contact_id, "not added"))
        return f"{action.list_id}/{action.contact_id}"
    if isinstance(action, AddToDiscourseGroup | SendDiscourseMessage):
        if performers.forum is None:
            raise RuntimeError("no Discourse credentials configured for champion invitations")
        if isinstance(action, AddToDiscourseGroup):
            performers.forum.add_to_group(action.group, [action.username])
            return f"{action.group}/{action.username}"
        return performers.forum.send_private_message(
            key=action.key, username=action.username, title=action.title, raw=action.raw,
            maybe_sent_at=maybe_sent_at,
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
    ``run_started`` is kept for callers; what an earlier attempt may have done is the
    ledger's to say (`LedgerClaim.maybe_sent_at`).
    """
    owner = owner or f"run-{uuid.uuid4()}"
    entries = [e for e in store.ledger() if _is_open(e, max_attempts)]
    report = ExecutionReport()
    unreachable: dict[str, str] = {}  # service -> the error that showed it down this run
    memberships: dict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
    tasks: list[LedgerEntry] = []
    done_count = 0

    def progress() -> None:
        if on_progress:
            on_progress(done_count, len(entries))

    for listed in entries:
        service = _service(listed)
        if _batched_task(listed, performers):
            tasks.append(listed)
            continue  # claimed and created below, 100 a call
        if service in unreachable:
            report.skipped.append((listed.key, f"not attempted: {service} failed this run after retries "
                                               f"({unreachable[service]}); the next run tries again"))
        elif (claim := store.ledger_claim(listed.key, owner, lease=lease, max_attempts=max_attempts)) is None:
            report.skipped.append((listed.key, _why_skipped(store, listed.key)))
        elif claim.entry.kind == "list_membership":
            payload = claim.entry.payload
            memberships[(str(payload.get("crm")), str(payload.get("list_id")))].append(claim.entry)
            continue  # sent below, a batch per list
        else:
            error = _execute(store, performers, claim, owner, report)
            if isinstance(error, RetryableError):
                unreachable[service] = str(error)
        done_count += 1
        progress()
    for (crm_name, list_id), claimed in sorted(memberships.items()):
        for start in range(0, len(claimed), BATCH_SIZE):
            _execute_memberships(store, performers, crm_name, list_id, claimed[start:start + BATCH_SIZE], owner,
                                 report)
            done_count += len(claimed[start:start + BATCH_SIZE])
            progress()
    for start in range(0, len(tasks), TASK_CLAIMS):
        claims = []  # claimed right before the call, so the lease covers only this batch
        for listed in tasks[start:start + TASK_CLAIMS]:
            claim = store.ledger_claim(listed.key, owner, lease=lease, max_attempts=max_attempts)
            if claim is None:
                report.skipped.append((listed.key, _why_skipped(store, listed.key)))
            else:
                claims.append(claim)
        if claims:
            _execute_tasks(store, performers, claims, owner, report)
        done_count += len(tasks[start:start + TASK_CLAIMS])
        progress()
    return report


def _batched_task(entry: LedgerEntry, performers: Performers) -> bool:
    """A CRM task whose CRM creates tasks in batches (both do: HubSpot 100, Salesforce 200 a call)."""
    return entry.kind == "crm_task" and hasattr(performers.crms.get(str(entry.payload.get("crm"))), "create_tasks")


def _execute_tasks(store: Store, performers: Performers, claims: Sequence[LedgerClaim], owner: str,
                   report: ExecutionReport) -> None:
    """Create one batch of claimed CRM tasks; each entry is done, unsettled or failed on its own."""
    specs: dict[str, list[TaskSpec]] = defaultdict(list)
    keys = {}
    for claim in claims:
        try:
            action = action_from_payload(claim.entry.payload)
        except (TypeError, ValueError) as err:
            _record_failure(store, claim.entry.key, str(err), owner, report)
            continue
        assert isinstance(action, CreateCrmTask)
        specs[action.crm].append(TaskSpec(action.key, action.account_id, action.subject, action.body, action.due_at,
                                          action.owner_id, action.task_priority, claim.maybe_sent_at))
        keys[action.key] = claim.entry.key
    for crm_name, wanted in specs.items():
        try:
            batch = performers.crms[crm_name].create_tasks(wanted)  # type: ignore[attr-defined]
        except (ConnectorError, RuntimeError, TypeError, ValueError) as err:
            for spec in wanted:
                _record_failure(store, keys[spec.key], str(err), owner, report)
            continue
        _record_tasks(store, batch, {s.key: keys[s.key] for s in wanted}, owner, report)


def _record_tasks(store: Store, batch: TaskBatch, keys: dict[str, str], owner: str, report: ExecutionReport) -> None:
    """Each task of a batch done, unsettled (looked up again next run) or failed, as the CRM answered."""
    for action_key, entry_key in keys.items():
        if action_key in batch.ids:
            _record_done(store, entry_key, batch.ids[action_key], owner, report)
        elif action_key in batch.unsettled:
            _record_unsettled(store, entry_key, batch.unsettled[action_key], owner, report)
        else:
            _record_failure(store, entry_key, batch.failed.get(action_key, "not created"), owner, report)


def _service(entry: LedgerEntry) -> str:
    """Which service an entry's action goes to: a service down for one action is down for its others."""
    if entry.kind == "slack_alert":
        return "Slack"
    if entry.kind in ("discourse_group", "discourse_message"):
        return "Discourse"
    if entry.kind == "sequence_enrollment":
        return "hubspot"
    return str(entry.payload.get("crm") or entry.kind)


def _execute(store: Store, performers: Performers, claim: LedgerClaim, owner: str,
             report: ExecutionReport) -> Exception | None:
    """Perform one claimed entry and record the outcome under this run's claim; the error, if any.

    A service still failing after the retry policy's attempts (down, overloaded) is not
    tried again this run for its other actions: they stay open for the next run instead of
    each waiting out the same retries.
    """
    entry = claim.entry
    try:
        action = action_from_payload(entry.payload)
        external_id = _perform(action, performers, entry, claim.maybe_sent_at)
    except Unsettled as err:
        _record_unsettled(store, entry.key, str(err), owner, report)
        return None
    except (ConnectorError, RuntimeError, TypeError, ValueError) as err:
        _record_failure(store, entry.key, str(err), owner, report)
        return err
    _record_done(store, entry.key, external_id, owner, report)
    return None


def _record_done(store: Store, key: str, external_id: str | None, owner: str, report: ExecutionReport) -> None:
    if not store.ledger_done(key, external_id, owner=owner):
        log.warning("action %s was also completed by another run after this run's claim "
                    "ran out (a lease shorter than the action?)", key)
    report.done.append((key, external_id))


def _record_unsettled(store: Store, key: str, reason: str, owner: str, report: ExecutionReport) -> None:
    """A lookup could not tell yet: back to pending, no attempt used, looked up again next run."""
    log.info("action %s: %s; looked up again next run", key, reason)
    store.ledger_unsettled(key, reason, owner=owner)
    report.skipped.append((key, f"unsettled: {reason}"))


def _record_failure(store: Store, key: str, error: str, owner: str, report: ExecutionReport) -> None:
    log.warning("action %s failed: %s", key, error)
    if not store.ledger_failed(key, error, owner=owner):
        log.warning("action %s: the claim ran out and another run took the entry over; "
                    "this failure is not recorded", key)
    report.failed.append((key, error))


def _execute_memberships(store: Store, performers: Performers, crm_name: str, list_id: str,
                         claimed: Sequence[LedgerEntry], owner: str, report: ExecutionReport) -> None:
    """Add one batch of contacts to one list; each entry is done or failed as the CRM answered for it."""
    by_contact: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in claimed:
        by_contact[str(entry.payload.get("contact_id"))].append(entry)
    try:
        added = _add_members_batch(performers, crm_name, list_id, list(by_contact))
    except (ConnectorError, RuntimeError, TypeError, ValueError) as err:
        for entry in claimed:
            _record_failure(store, entry.key, str(err), owner, report)
        return
    for contact_id, entries in by_contact.items():
        for entry in entries:
            if contact_id in added.done:
                _record_done(store, entry.key, f"{list_id}/{contact_id}", owner, report)
            else:
                _record_failure(store, entry.key, added.failed.get(contact_id, "not added"), owner, report)


def _add_members_batch(performers: Performers, crm_name: str, list_id: str, contact_ids: list[str]) -> BatchResult:
    crm = _crm(performers, crm_name, "list memberships")
    add = crm.add_to_list if crm_name == "hubspot" else crm.add_campaign_members
    result: BatchResult = add(list_id, contact_ids)
    return result
