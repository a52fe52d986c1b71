"""Typed actions that plans produce and the executor carries out.

Each action has a deterministic idempotency ``key`` (the ledger's primary key and, where
the API allows, a value stored on the external side) and round-trips through a plain dict,
so the ledger can hold it until it is done. ``play`` names the play an action belongs to
(an Intent play is an alert and a task): owner-facing plays count against the owner's
weekly capacity once per play, whatever number of actions they take.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "Action",
    "AddToDiscourseGroup",
    "AddToList",
    "CreateCrmTask",
    "EnrollInSequence",
    "Mode",
    "RecordDraft",
    "SendDiscourseMessage",
    "SendSlackAlert",
    "action_from_payload",
    "play_of",
]

Mode = Literal["off", "draft", "live"]


@dataclass(frozen=True)
class _Common:
    """What every action carries besides its own fields (kept last: they all have defaults)."""

    def to_payload(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SendSlackAlert(_Common):
    """Post a Block Kit message; ``owner_id`` is the CRM owner the play counts against.

    ``signal_at``: when the signal behind the play started (an Intent play: the moment the
    account entered Intent), so the calibration report can measure signal-to-play time.
    """

    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    signal_at: datetime | None = None
    kind: str = "slack_alert"


@dataclass(frozen=True)
class CreateCrmTask(_Common):
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
    play: str = ""
    kind: str = "crm_task"


@dataclass(frozen=True)
class AddToList(_Common):
    """Make a CRM contact a member of a HubSpot static list or a Salesforce campaign.

    Memberships are idempotent by nature (adding a member twice changes nothing), so the
    executor adds them in batches of one list at a time.
    """

    key: str
    crm: str
    list_id: str
    contact_id: str
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    kind: str = "list_membership"


@dataclass(frozen=True)
class EnrollInSequence(_Common):
    """Enroll a HubSpot contact in a sales sequence, sent as ``sender_email`` (user ``user_id``)."""

    key: str
    sequence_id: str
    contact_id: str
    sender_email: str
    user_id: str
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    kind: str = "sequence_enrollment"


@dataclass(frozen=True)
class AddToDiscourseGroup(_Common):
    """Add a member to a Discourse group (e.g. the champions' group)."""

    key: str
    group: str
    username: str
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    kind: str = "discourse_group"


@dataclass(frozen=True)
class SendDiscourseMessage(_Common):
    """A private message from the forum's system user to one member."""

    key: str
    username: str
    title: str
    raw: str
    mode: Mode = "live"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    kind: str = "discourse_message"


@dataclass(frozen=True)
class RecordDraft(_Common):
    """A play recorded once in the ledger and shown in the run's report, never sent.

    ``record``: ``draft`` (a play in draft mode) or ``holdout`` (a live play held out to
    measure lift); it is the entry's external id.
    """

    key: str
    playbook: str
    summary: str
    record: Literal["draft", "holdout"] = "draft"
    mode: Mode = "draft"
    priority: float = 0.0
    owner_id: str | None = None
    play: str = ""
    kind: str = "draft_play"


Action = (SendSlackAlert | CreateCrmTask | AddToList | EnrollInSequence | AddToDiscourseGroup
          | SendDiscourseMessage | RecordDraft)

_KINDS: dict[str, type[Action]] = {cls.kind: cls for cls in (  # type: ignore[misc]
    SendSlackAlert, CreateCrmTask, AddToList, EnrollInSequence, AddToDiscourseGroup, SendDiscourseMessage,
    RecordDraft)}
_DATETIME_FIELDS = {"due_at", "signal_at"}


def action_from_payload(payload: dict[str, Any]) -> Action:
    """Rebuild an action from what the ledger stored (fields a newer version added take their defaults)."""
    data = dict(payload)
    cls = _KINDS.get(str(data.get("kind")))
    if cls is None:
        raise ValueError(f"unknown action kind {data.get('kind')!r} in ledger payload")
    known = {f.name for f in fields(cls)}
    data = {k: datetime.fromisoformat(v) if k in _DATETIME_FIELDS and isinstance(v, str) else v
            for k, v in data.items() if k in known}
    return cls(**data)


def play_of(key: str, payload: dict[str, Any]) -> str:
    """The play an action belongs to: its ``play``, or (actions recorded before plays were named)
    its key without the last part (``intent:acme:3:slack`` → ``intent:acme:3``)."""
    return str(payload.get("play") or key.rsplit(":", 1)[0])
