"""HubSpot companies' written values and deals, over the synthetic community.

Companies come from the `Community`; what a client writes to them (score write-back) is kept
here, checked against the property definitions. A batch update names the ids HubSpot does
not have in a 207 multi-status answer and updates the others, like HubSpot. Deals are seeded
from the community's companies (a third of them have one; a quarter of those are won).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.testing._hubspot_properties import HubSpotError, PropertyStore, hs_time
from connectors.testing.community import Community

__all__ = ["BATCH_LIMIT", "Deal", "ObjectValues", "seed_deals"]

#: Inputs per batch call (read, create, update, upsert), as HubSpot documents.
BATCH_LIMIT = 100


def check_batch(inputs: Any) -> list[dict[str, Any]]:
    """A batch's inputs: a list of at most `BATCH_LIMIT` objects with an id, no id twice."""
    if not isinstance(inputs, list) or not all(isinstance(i, dict) and i.get("id") for i in inputs):
        raise HubSpotError(400, "VALIDATION_ERROR", "inputs must be a list of objects with an id")
    if len(inputs) > BATCH_LIMIT:
        raise HubSpotError(400, "VALIDATION_ERROR",
                           f"Batch input size {len(inputs)} exceeds the limit of {BATCH_LIMIT}")
    ids = [str(i["id"]) for i in inputs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise HubSpotError(400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {dupes}",
                           context={"ids": dupes})
    return inputs


def not_found_error(object_name: str, ids: list[str]) -> dict[str, Any]:
    """One entry of a 207 answer's ``errors`` for ids the portal does not have."""
    return {"status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some {object_name} objects, they may be deleted or not exist. "
                       "Check that ids are valid.",
            "context": {"ids": ids}, "errors": [], "links": {}}


class ObjectValues:
    """Property values clients wrote to one object type (companies, deals), thread-safe."""

    def __init__(self, properties: PropertyStore, exists: Callable[[str], bool], object_type: str = "companies") -> None:
        self.lock = threading.RLock()
        self.properties = properties
        self.exists = exists
        self.object_type = object_type
        self.values: dict[str, dict[str, str]] = {}
        self.updated_at: dict[str, str] = {}

    def batch_update(self, inputs: Any) -> tuple[list[dict[str, Any]], list[str]]:
        """Updated objects as JSON and the ids not found; an invalid value fails them all."""
        inputs = check_batch(inputs)
        for item in inputs:
            if item.get("idProperty") not in (None, "hs_object_id"):
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"{item['idProperty']} is not a unique identifier property for {self.object_type}")
            self.properties.check_values(self.object_type, item.get("properties") or {})
        results, missing = [], []
        with self.lock:
            for item in inputs:
                oid = str(item["id"])
                if not self.exists(oid):
                    missing.append(oid)
                    continue
                clean = self.properties.check_values(self.object_type, item.get("properties") or {})
                now = hs_time()
                self.values.setdefault(oid, {}).update(clean)
                self.updated_at[oid] = now
                props = {**clean, "hs_object_id": oid, "hs_lastmodifieddate": now}
                results.append({"id": oid, "properties": props, "createdAt": now, "updatedAt": now,
                                "archived": False})
        return results, missing


@dataclass
class Deal:
    id: str
    name: str
    stage: str
    amount: float
    close_date: datetime
    company_id: str | None
    created_at: datetime
    modified_at: datetime

    def properties(self) -> dict[str, Any]:
        return {"dealname": self.name, "dealstage": self.stage, "amount": f"{self.amount:.2f}",
                "closedate": hs_time(self.close_date), "pipeline": "default",
                "hs_is_closed_won": "true" if self.stage == "closedwon" else "false",
                "createdate": hs_time(self.created_at), "hs_lastmodifieddate": hs_time(self.modified_at),
                "hs_object_id": self.id}


#: Stages of HubSpot's default sales pipeline (internal values).
STAGES = ("closedwon", "appointmentscheduled", "closedlost", "contractsent")


def seed_deals(community: Community) -> list[Deal]:
    """Deterministic deals: one for every third company, stages in turn, closed in the last 90 days."""
    now = community.now
    deals = []
    for i, company in enumerate(community.companies[::3]):
        close = now - timedelta(days=5 + (i * 7) % 90)
        deals.append(Deal(id=str(7_700_000_000 + i * 13), name=f"{company.name} — {company.plan} upgrade",
                          stage=STAGES[i % len(STAGES)], amount=float(5000 + (i * 3779) % 95000),
                          close_date=close, company_id=company.id,
                          created_at=now - timedelta(days=100 + i), modified_at=close))
    return deals
