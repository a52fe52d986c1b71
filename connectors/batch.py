"""The outcome of a batch write whose items succeed or fail one by one.

HubSpot answers a batch with 207 Multi-Status and Salesforce's sObject Collections with one
result per record (``allOrNone`` false): the items that failed are named, so exactly those
are tried again and the others are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

__all__ = ["BatchResult", "TaskBatch", "TaskSpec"]


class BatchResult(NamedTuple):
    """Ids written, and id → the service's reason for the ones refused."""

    done: list[str]
    failed: dict[str, str]


@dataclass(frozen=True)
class TaskSpec:
    """One CRM task to create for an action key (the fields of the CRMs' ``upsert_task``)."""

    key: str
    company_id: str
    subject: str
    body: str
    due: datetime
    owner_id: str | None = None
    priority: str = "HIGH"
    maybe_sent_at: datetime | None = None


class TaskBatch(NamedTuple):
    """key → task id of the tasks the CRM has; keys refused with the reason; keys not settled yet."""

    ids: dict[str, str]
    failed: dict[str, str]
    unsettled: dict[str, str]
