"""HubSpot CRM emulator: companies, contacts, owners, tasks, task properties, associations.

Answers what hubspot-api-client's generated models require (they reject responses missing
required fields) and what HubSpot's own OpenAPI documents describe. Paging uses an ``after``
cursor that is the next object id, so a page boundary survives inserts like on HubSpot.
"""

from __future__ import annotations

import uuid
from typing import Any

from connectors.testing._hubspot_tasks import TASK_TO_COMPANY, HubSpotError, TaskStore, hs_time
from connectors.testing.community import Community, Company, Person
from connectors.testing.server import Emulator, Fault, Request, Response, json_response

__all__ = ["HubSpotEmulator"]

OBJECT_TYPES = {"tasks": "tasks", "task": "tasks", "0-27": "tasks",
                "companies": "companies", "company": "companies", "0-2": "companies",
                "contacts": "contacts", "contact": "contacts", "0-1": "contacts"}
COMPANY_TO_TASK = 191


def _multi(request: Request, name: str) -> list[str]:
    """A list parameter sent as repeated keys and/or comma-separated values."""
    return [v for raw in request.query.get(name, []) for v in raw.split(",") if v]


class HubSpotEmulator(Emulator):
    """Serves a `Community`'s companies, contacts and owners; stores tasks written to it."""

    service = "hubspot"

    def __init__(self, community: Community, access_token: str = "pat-test") -> None:
        super().__init__()
        self.community = community
        self.access_token = access_token
        self.store = TaskStore()
        r = self.route
        r("GET", r"/crm/v3/objects/companies", self.list_companies)
        r("GET", r"/crm/v3/objects/contacts", self.list_contacts)
        r("GET", r"/crm/v3/owners/?", self.list_owners)
        r("GET", r"/crm/v3/properties/tasks/(?P<name>[A-Za-z0-9_]+)", self.get_property)
        r("POST", r"/crm/v3/properties/tasks", self.create_property)
        r("POST", r"/crm/v3/objects/tasks/batch/upsert", self.upsert_tasks)
        r("POST", r"/crm/v3/objects/tasks/search", self.search_tasks)
        r("GET", r"/crm/v3/objects/tasks", self.list_tasks)
        r("POST", r"/crm/v3/objects/tasks", self.create_task)
        r("GET", r"/crm/v3/objects/tasks/(?P<id>[^/]+)", self.get_task)
        r("PUT", r"/crm/v4/objects/(?P<ft>[^/]+)/(?P<fid>\d+)/associations/default/"
                 r"(?P<tt>[^/]+)/(?P<tid>\d+)", self.associate_default)

    # -- protocol hooks --------------------------------------------------------------------
    def authenticate(self, request: Request) -> Response | None:
        if request.header("Authorization") != f"Bearer {self.access_token}":
            return self._error(401, "INVALID_AUTHENTICATION",
                               "Authentication credentials not found. This API supports OAuth 2.0 "
                               "authentication and you can find more details at "
                               "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
        return None

    @staticmethod
    def _error(status: int, category: str, message: str, **extra: Any) -> Response:
        body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                "category": category, **extra}
        return json_response(body, status)

    def error_response(self, status: int, message: str) -> Response:
        category = {404: "OBJECT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "INTERNAL_ERROR")
        return self._error(status, category, message)

    def fault_response(self, fault: Fault) -> Response:
        if fault.status == 429:
            response = self._error(429, "RATE_LIMITS",
                                   "You have reached your ten_secondly_rolling limit.",
                                   errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")
        else:
            response = self._error(fault.status or 500, "INTERNAL_ERROR", "internal error")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def dispatch(self, request: Request) -> Response:
        try:
            return super().dispatch(request)
        except HubSpotError as exc:
            return self._error(exc.status, exc.category, exc.message)
        except (ValueError, KeyError, TypeError) as exc:
            return self._error(400, "VALIDATION_ERROR", f"Invalid input: {exc}")

    # -- paging ----------------------------------------------------------------------------
    def _page(self, request: Request, rows: list[tuple[int, dict]], path: str) -> dict[str, Any]:
        """Rows sorted by numeric id; ``after`` is the next id to return."""
        limit = max(1, min(100, int(request.arg("limit", "10") or 10)))
        after = int(request.arg("after", "0") or 0)
        rows = [row for row in rows if row[0] >= after]
        body: dict[str, Any] = {"results": [data for _, data in rows[:limit]]}
        if len(rows) > limit:
            nxt = str(rows[limit][0])
            body["paging"] = {"next": {"after": nxt, "link": f"{self.base_url}{path}?after={nxt}"}}
        return body

    @staticmethod
    def _object(oid: str, props: dict[str, Any], wanted: list[str], created: str) -> dict:
        chosen = {k: props.get(k) for k in wanted} if wanted else props
        chosen.setdefault("hs_object_id", oid)
        chosen.setdefault("createdate", created)
        chosen.setdefault("hs_lastmodifieddate", created)
        return {"id": oid, "properties": chosen, "createdAt": created, "updatedAt": created,
                "archived": False}

    def company_properties(self, company: Company) -> dict[str, Any]:
        created = hs_time(company.created_at)
        return {"name": company.name, "domain": company.domain,
                "hubspot_owner_id": company.owner_id,
                "annualrevenue": f"{company.annual_revenue:.0f}", "plan": company.plan,
                "createdate": created, "hs_lastmodifieddate": created, "hs_object_id": company.id}

    def list_companies(self, request: Request) -> Response:
        wanted = _multi(request, "properties")
        with self.community.lock:
            rows = []
            for company in self.community.companies:
                props = self.company_properties(company)
                if not wanted:
                    props = {k: props[k] for k in ("name", "domain", "createdate",
                                                   "hs_lastmodifieddate", "hs_object_id")}
                rows.append((int(company.id), self._object(
                    company.id, props, wanted, props.get("createdate") or hs_time(company.created_at))))
        rows.sort(key=lambda row: row[0])
        return json_response(self._page(request, rows, request.path))

    def contact_properties(self, person: Person) -> dict[str, Any]:
        first, _, last = person.name.partition(" ")
        company = self.community.company_by_id(person.company_id) if person.company_id else None
        created = hs_time(person.created_at)
        return {"email": person.email, "firstname": first, "lastname": last,
                "company": company.name if company else None,
                "associatedcompanyid": company.id if company else None,
                "createdate": created, "lastmodifieddate": created, "hs_object_id": person.contact_id}

    def list_contacts(self, request: Request) -> Response:
        wanted = _multi(request, "properties")
        with_companies = "companies" in _multi(request, "associations")
        rows = []
        with self.community.lock:
            for person in self.community.people:
                if person.contact_id is None:
                    continue
                props = self.contact_properties(person)
                if not wanted:
                    props = {k: props[k] for k in ("email", "firstname", "lastname", "createdate",
                                                   "lastmodifieddate", "hs_object_id")}
                obj = self._object(person.contact_id, props, wanted, hs_time(person.created_at))
                if with_companies and person.company_id:
                    obj["associations"] = {"companies": {"results": [
                        {"id": person.company_id, "type": "contact_to_company"},
                        {"id": person.company_id, "type": "contact_to_company_unlabeled"}]}}
                rows.append((int(person.contact_id), obj))
        rows.sort(key=lambda row: row[0])
        return json_response(self._page(request, rows, request.path))

    def list_owners(self, request: Request) -> Response:
        email = (request.arg("email") or "").lower()
        rows = []
        for owner in self.community.owners:
            if email and owner.email.lower() != email:
                continue
            rows.append((int(owner.id), {
                "id": owner.id, "email": owner.email, "type": "PERSON",
                "firstName": owner.first_name, "lastName": owner.last_name,
                "userId": owner.user_id, "userIdIncludingInactive": owner.user_id,
                "createdAt": "2022-01-01T00:00:00.000Z", "updatedAt": "2022-01-01T00:00:00.000Z",
                "archived": False, "teams": []}))
        return json_response(self._page(request, sorted(rows, key=lambda r: r[0]), "/crm/v3/owners/"))

    # -- properties ------------------------------------------------------------------------
    def get_property(self, request: Request) -> Response:
        prop = self.store.properties.get(request.params["name"])
        if prop is None:
            return self._error(404, "OBJECT_NOT_FOUND",
                               f"Unable to find property {request.params['name']} for object type tasks")
        return json_response(prop)

    def create_property(self, request: Request) -> Response:
        return json_response(self.store.create_property(request.json()), 201)

    # -- tasks -----------------------------------------------------------------------------
    def _task_json(self, task_id: str, request: Request | None = None) -> dict[str, Any]:
        task = self.store.tasks[task_id]
        data = task.json()
        if request is not None and "companies" in _multi(request, "associations") and task.companies:
            data["associations"] = {"companies": {"results": [
                {"id": cid, "type": "task_to_company"} for cid in sorted(task.companies)]}}
        return data

    def upsert_tasks(self, request: Request) -> Response:
        started = hs_time()
        results = self.store.upsert(request.json()["inputs"])
        return json_response({"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": hs_time()})

    def create_task(self, request: Request) -> Response:
        body = request.json()
        task = self.store.create(body.get("properties") or {}, body.get("associations") or [])
        return json_response(task.json(), 201)

    def list_tasks(self, request: Request) -> Response:
        with self.store.lock:
            rows = [(int(tid), self._task_json(tid, request)) for tid in self.store.tasks]
        return json_response(self._page(request, sorted(rows, key=lambda r: r[0]), request.path))

    def get_task(self, request: Request) -> Response:
        task = self.store.find(request.params["id"], request.arg("idProperty"))
        if task is None:
            return self._error(404, "OBJECT_NOT_FOUND", "resource not found")
        return json_response(self._task_json(task.id, request))

    @staticmethod
    def _matches(props: dict[str, str], flt: dict[str, Any]) -> bool:
        value, op = props.get(flt["propertyName"]), flt["operator"]
        if op == "EQ":
            return value == str(flt.get("value"))
        if op == "NEQ":
            return value != str(flt.get("value"))
        if op == "IN":
            return value in [str(v) for v in flt.get("values", [])]
        if op == "HAS_PROPERTY":
            return value not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return value in (None, "")
        raise HubSpotError(400, "VALIDATION_ERROR", f"operator {op} is not supported here")

    def search_tasks(self, request: Request) -> Response:
        body = request.json() or {}
        groups = body.get("filterGroups") or []
        limit = max(1, min(200, int(body.get("limit") or 10)))
        offset = int(body.get("after") or 0)
        with self.store.lock:
            hits = [t for t in self.store.tasks.values()
                    if not groups or any(all(self._matches(t.properties, f) for f in g.get("filters", []))
                                         for g in groups)]
            wanted = body.get("properties") or []
            results = []
            for task in hits[offset:offset + limit]:
                data = task.json()
                if wanted:
                    data["properties"] = {k: task.properties.get(k) for k in
                                          {*wanted, "hs_object_id", "hs_createdate", "hs_lastmodifieddate"}}
                results.append(data)
        out: dict[str, Any] = {"total": len(hits), "results": results}
        if offset + limit < len(hits):
            out["paging"] = {"next": {"after": str(offset + limit)}}
        return json_response(out)

    def associate_default(self, request: Request) -> Response:
        p = request.params
        ft, tt = OBJECT_TYPES.get(p["ft"]), OBJECT_TYPES.get(p["tt"])
        if {ft, tt} not in ({"tasks", "companies"}, {"tasks", "contacts"}):
            return self._error(400, "VALIDATION_ERROR", f"No default association {p['ft']} -> {p['tt']}")
        task_id, other_id = (p["fid"], p["tid"]) if ft == "tasks" else (p["tid"], p["fid"])
        other = tt if ft == "tasks" else ft
        with self.store.lock:
            task = self.store.tasks.get(task_id)
            exists = (self.community.company_by_id(other_id) is not None if other == "companies"
                      else any(x.contact_id == other_id for x in self.community.people))
            if task is None or not exists:
                return self._error(404, "OBJECT_NOT_FOUND", "One or more objects do not exist")
            (task.companies if other == "companies" else task.contacts).add(other_id)
        forward = TASK_TO_COMPANY if other == "companies" else 204
        backward = COMPANY_TO_TASK if other == "companies" else 203
        if ft != "tasks":
            forward, backward = backward, forward
        started = hs_time()
        results = [
            {"from": {"id": p["fid"]}, "to": {"id": p["tid"]},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": forward}},
            {"from": {"id": p["tid"]}, "to": {"id": p["fid"]},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": backward}},
        ]
        return json_response({"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": hs_time()})

    # -- for tests -------------------------------------------------------------------------
    def tasks(self) -> list[dict[str, Any]]:
        """Every task written so far: id, properties, associated company and contact ids."""
        with self.store.lock:
            return [{**t.json(), "company_ids": sorted(t.companies),
                     "contact_ids": sorted(t.contacts)} for t in self.store.tasks.values()]
