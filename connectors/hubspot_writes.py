"""HubSpot writes for the nurture, newsletter and write-back playbooks: list memberships,
sequence enrollments and company scores.

* Lists (v3): adding a record that is already a member changes nothing, so additions are
  repeated freely; ids HubSpot does not have come back as ``recordIdsMissing``.
* Sequences (v4, not wrapped by hubspot-api-client): a contact is in at most one active
  sequence. Every attempt first asks HubSpot for the contact's enrollment and returns it
  when it is this sequence, so an enrollment whose answer was lost is never sent twice.
* Scores: four company properties in their own group, created on first use; batch updates
  of 100, where HubSpot's 207 answer names the ids it does not have.
* Attribution: the deal property ``community_influenced`` (created on first use), set on
  won deals that came within 90 days after an Intent alert; batch updates of 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from urllib.parse import quote

from hubspot.crm import deals as hubspot_deals
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate

from connectors.batch import BatchResult
from connectors.errors import InvalidRequestError, NotFoundError
from connectors.hubspot_base import SERVICE, HubSpotBase
from connectors.hubspot_tasks import BATCH_SIZE
from scoring.records import TIERS, AccountScoreUpdate

__all__ = ["INFLUENCED_PROPERTY", "LIST_CHUNK", "SCORE_GROUP", "SCORE_PROPERTIES", "EngagementWrites"]

#: Record ids per list-membership call. The v3 reference states no maximum; the v1 lists API
#: allowed 500 per request, which keeps each call small either way.
LIST_CHUNK = 500
SCORE_GROUP = "community_scoring"
#: name → (label, type, fieldType, options).
SCORE_PROPERTIES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "community_score": ("Community score", "number", "number", ()),
    "community_tier": ("Community tier", "enumeration", "select", TIERS),
    "community_velocity": ("Community velocity", "number", "number", ()),
    "community_last_activity": ("Community last activity", "datetime", "date", ()),
}
#: The deal property attribution sets (a HubSpot boolean: "true" / "false").
INFLUENCED_PROPERTY = "community_influenced"


def _number(value: float) -> str:
    """A finite number as HubSpot's number fields take it: plain decimals, no exponent."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _score_values(row: AccountScoreUpdate) -> dict[str, str] | str:
    """The properties of one row, or why it cannot be sent."""
    if not (math.isfinite(row.score) and math.isfinite(row.velocity)):
        return "score and velocity must be finite numbers"
    if row.tier is not None and row.tier not in TIERS:
        return f"tier {row.tier!r} is not one of {list(TIERS)}"
    last = row.last_activity_at
    if last is not None and last.tzinfo is None:
        return "last_activity_at must be timezone-aware"
    return {
        "community_score": _number(row.score),
        "community_tier": row.tier or "",
        "community_velocity": _number(row.velocity),
        "community_last_activity": "" if last is None else
        last.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


class EngagementWrites(HubSpotBase):
    """List memberships, sequence enrollments and score write-back."""

    _score_properties_ready: bool = False
    _influence_property_ready: bool = False

    # -- lists ---------------------------------------------------------------------------
    def add_to_list(self, list_id: str, contact_ids: Sequence[str]) -> BatchResult:
        """Make contacts members of a static (MANUAL or SNAPSHOT) list.

        Members already in the list count as done; ids HubSpot does not have fail with the
        reason. A list that does not exist or is not static raises (NotFoundError,
        InvalidRequestError): no membership could succeed.
        """
        ids = list(dict.fromkeys(str(c) for c in contact_ids))
        api = self.client.crm.lists.memberships_api
        done: list[str] = []
        failed: dict[str, str] = {}
        for start in range(0, len(ids), LIST_CHUNK):
            chunk = ids[start:start + LIST_CHUNK]
            answer = self._call(api.add, list_id, chunk)
            missing = {str(m) for m in answer.record_ids_missing or []}
            for rid in chunk:
                if rid in missing:
                    failed[rid] = f"HubSpot has no record {rid} of the list's object type"
                else:
                    done.append(rid)
        return BatchResult(done, failed)

    # -- sequences -----------------------------------------------------------------------
    def enrollment_of(self, contact_id: str) -> dict[str, Any] | None:
        """The contact's active sequence enrollment (id, sequenceId, ...), None if it has none."""
        return self.policy.call(self._enrollment, contact_id)

    def _enrollment(self, contact_id: str) -> dict[str, Any] | None:
        try:
            return self._translated(self._raw, "GET", "/automation/v4/sequences/enrollments/contact/"
                              + quote(str(contact_id), safe=""))
        except NotFoundError:
            return None

    def enroll_in_sequence(self, *, sequence_id: str, contact_id: str, sender_email: str, user_id: str) -> str:
        """Enroll a contact in a sequence, sent as ``sender_email`` (HubSpot user ``user_id``);
        returns the enrollment id, the existing one when the contact is already in it.

        A contact in another active sequence cannot be enrolled (InvalidRequestError).
        """

        def attempt() -> str:
            found = self._enrollment(contact_id)
            if found is not None and str(found.get("sequenceId")) == str(sequence_id):
                return str(found["id"])
            if found is not None:
                raise InvalidRequestError(
                    SERVICE, f"contact {contact_id} is already enrolled in sequence {found.get('sequenceId')} "
                             f"({found.get('sequenceName')}); HubSpot allows one active sequence per contact",
                    status=400)
            answer = self._translated(self._raw, "POST", "/automation/v4/sequences/enrollments",
                                query={"userId": str(user_id)},
                                body={"contactId": str(contact_id), "sequenceId": str(sequence_id),
                                      "senderEmail": sender_email})
            return str(answer["id"])

        return self.policy.call(attempt)

    # -- score write-back ----------------------------------------------------------------
    def ensure_company_score_properties(self) -> None:
        """Create the score properties (and their group) on companies unless they exist."""
        props, groups = self.client.crm.properties.core_api, self.client.crm.properties.groups_api
        self._ensure(lambda: groups.get_by_name("companies", SCORE_GROUP),
                     lambda: groups.create("companies", PropertyGroupCreate(
                         name=SCORE_GROUP, label="Community scoring", display_order=-1)))
        for name, (label, type_, field_type, options) in SCORE_PROPERTIES.items():
            definition = PropertyCreate(
                name=name, label=label, type=type_, field_type=field_type, group_name=SCORE_GROUP,
                options=[OptionInput(label=o.title(), value=o, hidden=False, display_order=i)
                         for i, o in enumerate(options)] or None,
                description="Written by prefect-community-scoring.")
            self._ensure(lambda n=name: props.get_by_name("companies", n),
                         lambda d=definition: props.create("companies", d))
        self._score_properties_ready = True

    def write_company_scores(self, rows: Sequence[AccountScoreUpdate]) -> BatchResult:
        """Put score, tier, velocity and last activity on companies, 100 per call.

        Ids HubSpot does not have fail with its reason, the others are done; a row with a
        value HubSpot would refuse fails alone and is not sent. Repeating a write is harmless.
        """
        if not self._score_properties_ready:
            self.ensure_company_score_properties()
        failed: dict[str, str] = {}
        inputs: dict[str, dict[str, str]] = {}
        for row in rows:  # the last row of an account wins
            values = _score_values(row)
            if isinstance(values, str):
                failed[row.account_id] = values
                inputs.pop(row.account_id, None)
            else:
                failed.pop(row.account_id, None)
                inputs[row.account_id] = values
        return self._batch_update(self.client.crm.companies.batch_api.update, BatchInputSimplePublicObjectBatchInput,
                                  SimplePublicObjectBatchInput, inputs, failed)

    # -- attribution ---------------------------------------------------------------------
    def ensure_deal_influence_property(self) -> None:
        """Create the deal property ``community_influenced`` (and its group) unless it exists."""
        props, groups = self.client.crm.properties.core_api, self.client.crm.properties.groups_api
        self._ensure(lambda: groups.get_by_name("deals", SCORE_GROUP),
                     lambda: groups.create("deals", PropertyGroupCreate(
                         name=SCORE_GROUP, label="Community scoring", display_order=-1)))
        definition = PropertyCreate(
            name=INFLUENCED_PROPERTY, label="Community-influenced", type="bool", field_type="booleancheckbox",
            group_name=SCORE_GROUP, description="Won within 90 days after a community Intent alert "
                                                "(prefect-community-scoring).",
            options=[OptionInput(label="Yes", value="true", hidden=False, display_order=0),
                     OptionInput(label="No", value="false", hidden=False, display_order=1)])
        self._ensure(lambda: props.get_by_name("deals", INFLUENCED_PROPERTY),
                     lambda: props.create("deals", definition))
        self._influence_property_ready = True

    def flag_deals(self, deal_ids: Sequence[str]) -> BatchResult:
        """Set ``community_influenced`` on deals, 100 per call; ids HubSpot does not have fail. Repeating is harmless."""
        if not self._influence_property_ready:
            self.ensure_deal_influence_property()
        inputs = {str(i): {INFLUENCED_PROPERTY: "true"} for i in deal_ids}
        return self._batch_update(self.client.crm.deals.batch_api.update,
                                  hubspot_deals.BatchInputSimplePublicObjectBatchInput,
                                  hubspot_deals.SimplePublicObjectBatchInput, inputs, {})

    def _batch_update(self, update: Any, batch_type: Any, item_type: Any, inputs: dict[str, dict[str, str]],
                      failed: dict[str, str]) -> BatchResult:
        """``update`` in batches of 100; a 207 marks exactly the ids HubSpot does not have."""
        done: list[str] = []
        ids = list(inputs)
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            batch = batch_type(inputs=[item_type(id=i, properties=inputs[i]) for i in chunk])
            try:
                answer = self._call(update, batch)
            except InvalidRequestError as err:  # one bad value fails the whole call
                failed.update(dict.fromkeys(chunk, str(err)))
                continue
            chunk_done, chunk_failed = _batch_outcome(answer, chunk)
            done += chunk_done
            failed.update(chunk_failed)
        return BatchResult(done, failed)


def _batch_outcome(answer: Any, sent: list[str]) -> tuple[list[str], dict[str, str]]:
    """Done and failed ids of a batch answer: 200 (all results) or 207 (results + errors)."""
    written = {str(r.id) for r in answer.results or []}
    failed: dict[str, str] = {}
    for error in getattr(answer, "errors", None) or []:
        reason = f"{error.category}: {error.message}"
        for rid in (error.context or {}).get("ids") or []:
            failed[str(rid)] = reason
    for rid in sent:
        if rid not in written and rid not in failed:
            failed[rid] = "HubSpot's answer did not mention it"
    return [rid for rid in sent if rid in written and rid not in failed], failed
