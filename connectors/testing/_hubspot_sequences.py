"""HubSpot sales sequences (v4): a contact is in at most one active sequence at a time.

Enrolling needs the enrolling user's id and their own email as sender; a contact already
enrolled in an active sequence is refused, as HubSpot does. Errors are raised as
`HubSpotError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.testing._hubspot_properties import HubSpotError, hs_time

__all__ = ["Enrollment", "Sequence", "SequenceStore"]


@dataclass
class Sequence:
    id: str
    name: str
    user_id: str
    created_at: str = "2024-01-10T09:00:00.000Z"

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "userId": self.user_id,
                "createdAt": self.created_at, "updatedAt": self.created_at}


@dataclass
class Enrollment:
    id: str
    sequence_id: str
    contact_id: str
    to_email: str
    user_id: str
    sender_email: str
    enrolled_at: str
    state: str = "ACTIVE"  # ACTIVE | FINISHED | UNENROLLED


class SequenceStore:
    """Sequences and enrollments, thread-safe.

    ``contact_email(contact_id)`` and ``user_email(user_id)`` look people up in the portal
    (None: no such contact or user).
    """

    def __init__(self, contact_email: Callable[[str], str | None],
                 user_email: Callable[[str], str | None], owner_user_id: str) -> None:
        self.lock = threading.RLock()
        self.contact_email = contact_email
        self.user_email = user_email
        self.sequences = {s.id: s for s in (
            Sequence("2001", "Community nurture follow-up", owner_user_id),
            Sequence("2002", "Champion outreach", owner_user_id))}
        self.enrollments: dict[str, Enrollment] = {}
        self._next_id = 3_000_001

    def by_name(self, name: str) -> Sequence:
        return next(s for s in self.sequences.values() if s.name == name)

    def active(self, contact_id: str) -> Enrollment | None:
        return next((e for e in self.enrollments.values()
                     if e.contact_id == contact_id and e.state == "ACTIVE"), None)

    def enroll(self, user_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        missing = [k for k in ("contactId", "sequenceId", "senderEmail") if not body.get(k)]
        if not user_id:
            missing.append("userId")
        if missing:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        contact_id, sequence_id = str(body["contactId"]), str(body["sequenceId"])
        user_email = self.user_email(user_id)
        if user_email is None:
            raise HubSpotError(400, "VALIDATION_ERROR", f"User {user_id} does not exist in this portal.")
        if str(body["senderEmail"]).lower() != user_email.lower():
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"senderEmail {body['senderEmail']} is not a connected inbox of user {user_id}.")
        with self.lock:
            if sequence_id not in self.sequences:
                raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Sequence {sequence_id} does not exist.")
            to_email = self.contact_email(contact_id)
            if to_email is None:
                raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Contact {contact_id} does not exist.")
            current = self.active(contact_id)
            if current is not None:
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"Contact {contact_id} is already enrolled in sequence {current.sequence_id}.",
                                   subCategory="SequenceEnrollmentError.CONTACT_ALREADY_ENROLLED")
            enrollment = Enrollment(str(self._next_id), sequence_id, contact_id, to_email, user_id,
                                    str(body["senderEmail"]), hs_time())
            self._next_id += 1
            self.enrollments[enrollment.id] = enrollment
        return {"id": enrollment.id, "toEmail": to_email, "enrolledAt": enrollment.enrolled_at,
                "updatedAt": enrollment.enrolled_at}

    def for_contact(self, contact_id: str) -> dict[str, Any]:
        """The contact's active enrollment, as ``GET .../enrollments/contact/{id}`` shows it."""
        with self.lock:
            found = self.active(contact_id)
            if found is None:
                raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Contact {contact_id} is not enrolled in a sequence.")
            return {"id": found.id, "sequenceId": found.sequence_id,
                    "sequenceName": self.sequences[found.sequence_id].name,
                    "toEmail": found.to_email, "enrolledBy": found.user_id,
                    "enrolledByEmail": found.sender_email, "enrolledAt": found.enrolled_at,
                    "updatedAt": found.enrolled_at}

    def page(self, user_id: str | None, name: str | None, after: str | None, limit: int) -> dict[str, Any]:
        if not user_id:
            raise HubSpotError(400, "VALIDATION_ERROR", "userId is required")
        rows = sorted((s for s in self.sequences.values() if not name or name.lower() in s.name.lower()),
                      key=lambda s: int(s.id))
        if after:
            rows = [s for s in rows if int(s.id) > int(after)]
        body: dict[str, Any] = {"results": [s.json() for s in rows[:limit]], "total": len(rows)}
        if len(rows) > limit:
            body["paging"] = {"next": {"after": rows[limit - 1].id}}
        return body

    def finish(self, contact_id: str, state: str = "FINISHED") -> None:
        """The contact's active enrollment ends (all steps sent, or unenrolled)."""
        with self.lock:
            found = self.active(contact_id)
            if found is not None:
                found.state = state
