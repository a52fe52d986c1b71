"""HubSpot lists (v3) with their memberships: static lists take records by API, dynamic ones do not.

Adding is idempotent as on HubSpot: records already in the list and ids the portal does not
have are ignored; the answer names the ones added (``recordsIdsAdded``, HubSpot's spelling)
and the missing ones. Errors are raised as `HubSpotError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.testing._hubspot_properties import HubSpotError, hs_time

__all__ = ["HubSpotList", "ListStore"]

CONTACTS = "0-1"


@dataclass
class HubSpotList:
    list_id: str
    name: str
    processing_type: str  # MANUAL | SNAPSHOT | DYNAMIC
    object_type_id: str = CONTACTS
    members: dict[str, str] = field(default_factory=dict)  # record id -> when added

    def json(self) -> dict[str, Any]:
        return {"listId": self.list_id, "name": self.name, "listVersion": 1,
                "objectTypeId": self.object_type_id, "processingStatus": "COMPLETE",
                "processingType": self.processing_type, "size": len(self.members)}


class ListStore:
    """The portal's lists, thread-safe.

    ``record_exists(object_type_id, record_id)`` tells which ids the portal has;
    ``add_limit``, when set, refuses a request with more ids than that (HubSpot's v3
    reference states no limit; a test may set one to check a client's chunking).
    """

    def __init__(self, record_exists: Callable[[str, str], bool], add_limit: int | None = None) -> None:
        self.lock = threading.RLock()
        self.record_exists = record_exists
        self.add_limit = add_limit
        self.lists: dict[str, HubSpotList] = {}
        for list_id, name, kind in (("101", "Community nurture", "MANUAL"),
                                    ("102", "Community newsletter", "MANUAL"),
                                    ("103", "Active customers", "DYNAMIC")):
            self.lists[list_id] = HubSpotList(list_id, name, kind)

    def by_name(self, name: str) -> HubSpotList:
        return next(x for x in self.lists.values() if x.name == name)

    def get(self, list_id: str) -> HubSpotList:
        found = self.lists.get(list_id)
        if found is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"List {list_id} does not exist.")
        return found

    def add(self, list_id: str, record_ids: Any) -> dict[str, list[str]]:
        if not isinstance(record_ids, list) or not all(isinstance(r, (str, int)) for r in record_ids):
            raise HubSpotError(400, "VALIDATION_ERROR", "The request body must be a JSON array of record ids.")
        if self.add_limit is not None and len(record_ids) > self.add_limit:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"Too many record ids: {len(record_ids)} (at most {self.add_limit} per request)")
        with self.lock:
            target = self.get(list_id)
            if target.processing_type not in ("MANUAL", "SNAPSHOT"):
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"List {list_id} has processingType {target.processing_type}: records can "
                                   "only be added to MANUAL or SNAPSHOT lists.")
            added, missing, now = [], [], hs_time()
            for raw in dict.fromkeys(str(r) for r in record_ids):
                if not self.record_exists(target.object_type_id, raw):
                    missing.append(raw)
                elif raw not in target.members:
                    target.members[raw] = now
                    added.append(raw)
            return {"recordIdsMissing": missing, "recordIdsRemoved": [], "recordsIdsAdded": added}

    def page(self, list_id: str, after: str | None, limit: int) -> dict[str, Any]:
        """Memberships by ascending record id; ``after`` is the last record id of the previous page."""
        if not 1 <= limit <= 250:
            raise HubSpotError(400, "VALIDATION_ERROR", "limit must be between 1 and 250")
        with self.lock:
            members = sorted(self.get(list_id).members.items(), key=lambda m: int(m[0]))
        if after:
            members = [m for m in members if int(m[0]) > int(after)]
        body: dict[str, Any] = {"results": [{"recordId": rid, "membershipTimestamp": at}
                                            for rid, at in members[:limit]],
                                "total": len(members)}
        if len(members) > limit:
            body["paging"] = {"next": {"after": members[limit - 1][0]}}
        return body
