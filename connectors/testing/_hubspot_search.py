"""Search of contacts and companies and the v4 batch association read, as HubSpot serves them.

``POST /crm/v3/objects/{contacts|companies|deals}/search``: filters (``EQ``, ``GT``, ``GTE``, ``LT``,
``LTE`` on a property, datetimes as epoch milliseconds or ISO 8601), one sort, ``limit`` up to
200, ``after`` as an offset, and HubSpot's cap: no more than 10,000 results per query (an
``after`` at or past it is refused with 400). Results carry no associations.
``POST /crm/v4/associations/{contacts|deals}/companies/batch/read``: each contact's (deal's)
companies; one with none is named in a 207's errors (``NO_ASSOCIATIONS_FOUND``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from connectors.testing._hubspot_properties import HubSpotError, hs_time, parse_hs_datetime

__all__ = ["SEARCH_CAP", "association_batch", "matches", "search"]

SEARCH_CAP = 10_000
#: HubSpot-defined association type ids to companies, by the object they start from.
TO_COMPANY = {"contacts": ("contact", 279), "deals": ("deal", 341)}


def _value(raw: Any) -> Any:
    """A comparable form of a property value: datetimes as datetimes, else the text."""
    when = parse_hs_datetime(str(raw)) if raw not in (None, "") else None
    return when if when is not None else str(raw)


#: The comparisons of HubSpot's search filters, on datetimes where both sides are one.
_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b, "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b}


def matches(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    """Whether a record's properties pass one search filter (tasks, contacts, companies)."""
    have, op = props.get(flt.get("propertyName", "")), flt.get("operator")
    if op == "HAS_PROPERTY":
        return have not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return have in (None, "")
    if op == "EQ":
        return have == str(flt.get("value"))
    if op == "NEQ":
        return have != str(flt.get("value"))
    if op == "IN":
        return have in [str(v) for v in flt.get("values", [])]
    if op not in _ORDERED:
        raise HubSpotError(400, "VALIDATION_ERROR", f"operator {op} is not supported here")
    if have in (None, ""):
        return False
    left, right = _value(have), _value(flt.get("value"))
    if type(left) is not type(right):
        left, right = str(have), str(flt.get("value"))
    return _ORDERED[op](left, right)


def search(body: dict[str, Any], records: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Answer one search over ``(id, properties)`` records."""
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= 200:
        raise HubSpotError(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
    offset = int(body.get("after") or 0)
    if offset + limit > SEARCH_CAP:
        raise HubSpotError(400, "VALIDATION_ERROR",
                           f"Search results are limited to {SEARCH_CAP} records; page past it with a new filter")
    groups = body.get("filterGroups") or []
    hits = [(oid, props) for oid, props in records
            if not groups or any(all(matches(props, f) for f in g.get("filters") or []) for g in groups)]
    for sort in reversed(body.get("sorts") or []):
        name = sort.get("propertyName") if isinstance(sort, dict) else str(sort)
        descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
        hits.sort(key=lambda hit: (str(_value(hit[1].get(name) or "")), int(hit[0])), reverse=descending)
    if not body.get("sorts"):
        hits.sort(key=lambda hit: int(hit[0]))
    wanted = list(body.get("properties") or [])
    results = []
    for oid, props in hits[offset:offset + limit]:
        shown = {k: props.get(k) for k in {*wanted, "hs_object_id", "createdate", "lastmodifieddate",
                                           "hs_lastmodifieddate"} if k in props or k in wanted}
        results.append({"id": oid, "properties": shown, "createdAt": props.get("createdate"),
                        "updatedAt": props.get("lastmodifieddate") or props.get("hs_lastmodifieddate"),
                        "archived": False})
    answer: dict[str, Any] = {"total": len(hits), "results": results}
    if offset + limit < len(hits):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return answer


def association_batch(inputs: Any, companies_of: Callable[[str], list[str] | None],
                      from_type: str = "contacts") -> tuple[int, dict[str, Any]]:
    """(status, body) of the v4 batch read of contacts' (deals') companies; ``companies_of`` None: no such record."""
    singular, type_id = TO_COMPANY[from_type]
    if not isinstance(inputs, list) or not 0 < len(inputs) <= 1000:
        raise HubSpotError(400, "VALIDATION_ERROR", "inputs must be a list of 1 to 1000 objects")
    started = hs_time()
    results, errors = [], []
    for item in inputs:
        record_id = str((item or {}).get("id", ""))
        companies = companies_of(record_id)
        if not companies:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND" if companies is None else
                           "VALIDATION_ERROR", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                           "message": f"No {singular} to company association found for {record_id}",
                           "context": {"fromObjectId": [record_id]}})
            continue
        results.append({"from": {"id": record_id}, "to": [
            {"toObjectId": int(cid), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]} for cid in companies]})
    body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": hs_time()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return (207 if errors else 200), body
