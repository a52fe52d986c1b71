"""Typed actions that plans produce and the executor carries out.

Each action has a deterministic idempotency ``key`` (the ledger's primary key and, where
the API allows, a value stored on the external side) and round-trips through a plain dict,
so the ledger can hold it until it is done.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["Action", "CreateCrmTask", "Mode", "SendSlackAlert", "action_from_payload"]

Mode = Literal["off", "draft", "live"]


@dataclass(frozen=True)
class SendSlackAlert:
    """Post a Block Kit message; ``owner_id`` is the CRM owner the play counts against."""

    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    kind: str = "slack_alert"

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CreateCrmTask:
    """Create a CRM task on an account, due at ``due_at``."""

    key: str
    crm: str
    account_id: str
    subject: str
    body: str
    due_at: datetime
    owner_id: str | None = None
    task_priority: str = "HIGH"
    mode: Mode = "live"
    priority: float = 0.0
    kind: str = "crm_task"

    def to_payload(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["due_at"] = self.due_at.isoformat()
        return payload


Action = SendSlackAlert | CreateCrmTask


def action_from_payload(payload: dict[str, Any]) -> Action:
    """Rebuild an action from what the ledger stored."""
    data = dict(payload)
    kind = data.get("kind")
    if kind == "slack_alert":
        return SendSlackAlert(**data)
    if kind == "crm_task":
        data["due_at"] = datetime.fromisoformat(data["due_at"])
        return CreateCrmTask(**data)
    raise ValueError(f"unknown action kind {kind!r} in ledger payload")
