"""HubSpot CRM emulator: companies, contacts, owners, deals, tasks, properties, associations,
lists and sequences.

Answers what hubspot-api-client's generated models require (they reject responses missing
required fields) and what HubSpot's own OpenAPI documents describe. Paging uses an ``after``
cursor that is the next object id, so a page boundary survives inserts like on HubSpot.

Switches a test sets (constructor keywords or attributes):

* ``refuse_unique_task_property``: the portal refuses ``hasUniqueValue`` on task
  properties (400 VALIDATION_ERROR), as HubSpot documents unique values only for contacts,
  companies, deals, tickets and custom objects.
* ``search_lag``: seconds before a created or changed task shows in ``/search`` (reads by id
  see it at once), like HubSpot's search index. 0 makes search immediate.
* ``list_add_limit``: refuse list additions with more ids than this (None: no limit).

Seeded for tests and the demo: static lists `nurture_list_id` and `newsletter_list_id`, a
dynamic `customers_list_id`, sequences `nurture_sequence_id` and `champion_sequence_id`
(owned by the first owner, whose ``user_id`` and email enroll), and `deals`.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any
from urllib.parse import unquote

from connectors.testing._hubspot_lists import ListStore
from connectors.testing._hubspot_marketing import MarketingRoutes
from connectors.testing._hubspot_objects import (
    BATCH_LIMIT,
    ObjectValues,
    Deal,
    check_batch,
    not_found_error,
    seed_deals,
)
from connectors.testing._hubspot_properties import PropertyStore
from connectors.testing._hubspot_sequences import SequenceStore
from connectors.testing._hubspot_search import association_batch, matches, search
from connectors.testing._hubspot_tasks import (
    TASK_TO_COMPANY,
    TASK_TO_CONTACT,
    HubSpotError,
    TaskStore,
    hs_time,
)
from connectors.testing.community import Community, Company, Person
from connectors.testing.server import Emulator, Fault, Request, Response, WindowBudget, json_response

__all__ = ["HubSpotEmulator"]

OBJECT_TYPES = {"tasks": "tasks", "task": "tasks", "0-27": "tasks",
                "companies": "companies", "company": "companies", "0-2": "companies",
                "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
                "deals": "deals", "deal": "deals", "0-3": "deals"}
COMPANY_TO_TASK, CONTACT_TO_TASK = 191, 203
_OT = r"(?P<ot>tasks|task|0-27|companies|company|0-2|deals|deal|0-3)"


def _multi(request: Request, name: str) -> list[str]:
    """A list parameter sent as repeated keys and/or comma-separated values."""
    return [v for raw in request.query.get(name, []) for v in raw.split(",") if v]


def _object_type(request: Request) -> str:
    return OBJECT_TYPES[request.params["ot"]]


class HubSpotEmulator(MarketingRoutes, Emulator):
    """Serves a `Community`'s companies, contacts, owners and deals; stores what is written to it."""

    service = "hubspot"

    def __init__(self, community: Community, access_token: str = "pat-test", *,
                 refuse_unique_task_property: bool = False, search_lag: float = 1.0,
                 list_add_limit: int | None = None) -> None:
        super().__init__()
        self.community = community
        self.access_token = access_token
        self.property_store = PropertyStore()
        self.store = TaskStore(self.property_store, search_lag=search_lag)
        #: The private app's burst limit when set (`limit_burst`).
        self.burst_limit: WindowBudget | None = None
        self.company_store = ObjectValues(self.property_store,
                                          lambda cid: community.company_by_id(cid) is not None)
        self.lists = ListStore(self._record_exists, list_add_limit)
        owner = community.owners[0]
        self.sequences = SequenceStore(self._contact_email, self._user_email, str(owner.user_id))
        self.deals: list[Deal] = seed_deals(community)
        self.deal_store = ObjectValues(self.property_store, lambda did: any(d.id == did for d in self.deals), "deals")
        self.refuse_unique_task_property = refuse_unique_task_property
        #: contact id → when it was last edited (`update_contact`); else its creation.
        self.contact_modified: dict[str, str] = {}
        self.nurture_list_id = self.lists.by_name("Community nurture").list_id
        self.newsletter_list_id = self.lists.by_name("Community newsletter").list_id
        self.customers_list_id = self.lists.by_name("Active customers").list_id
        self.nurture_sequence_id = self.sequences.by_name("Community nurture follow-up").id
        self.champion_sequence_id = self.sequences.by_name("Champion outreach").id
        r = self.route
        r("GET", r"/crm/v3/objects/companies", self.list_companies)
        r("POST", r"/crm/v3/objects/companies/batch/update", self.update_companies)
        r("GET", r"/crm/v3/objects/contacts", self.list_contacts)
        r("POST", r"/crm/v3/objects/contacts/search", self.search_contacts)
        r("POST", r"/crm/v3/objects/companies/search", self.search_companies)
        r("POST", r"/crm/v4/associations/contacts/companies/batch/read", self.contact_companies)
        r("GET", r"/crm/v3/objects/deals", self.list_deals)
        r("POST", r"/crm/v3/objects/deals/search", self.search_deals)
        r("POST", r"/crm/v4/associations/deals/companies/batch/read", self.deal_companies)
        r("POST", r"/crm/v3/objects/deals/batch/update", self.update_deals)
        r("GET", r"/crm/v3/owners/?", self.list_owners)
        r("GET", rf"/crm/v3/properties/{_OT}/groups", self.list_groups)
        r("POST", rf"/crm/v3/properties/{_OT}/groups", self.create_group)
        r("GET", rf"/crm/v3/properties/{_OT}/groups/(?P<name>[A-Za-z0-9_]+)", self.get_group)
        r("GET", rf"/crm/v3/properties/{_OT}", self.list_properties)
        r("POST", rf"/crm/v3/properties/{_OT}", self.create_property)
        r("GET", rf"/crm/v3/properties/{_OT}/(?P<name>[A-Za-z0-9_]+)", self.get_property)
        r("POST", r"/crm/v3/objects/tasks/batch/upsert", self.upsert_tasks)
        r("POST", r"/crm/v3/objects/tasks/batch/create", self.create_tasks)
        r("POST", r"/crm/v3/objects/tasks/batch/read", self.read_tasks)
        r("POST", r"/crm/v3/objects/tasks/search", self.search_tasks)
        r("GET", r"/crm/v3/objects/tasks", self.list_tasks)
        r("POST", r"/crm/v3/objects/tasks", self.create_task)
        r("GET", r"/crm/v3/objects/tasks/(?P<id>[^/]+)", self.get_task)
        r("PUT", r"/crm/v4/objects/(?P<ft>[^/]+)/(?P<fid>\d+)/associations/default/"
                 r"(?P<tt>[^/]+)/(?P<tid>\d+)", self.associate_default)
        self.add_marketing_routes()

    @property
    def refuse_unique_task_property(self) -> bool:
        return self.property_store.refuse_unique_tasks

    @refuse_unique_task_property.setter
    def refuse_unique_task_property(self, value: bool) -> None:
        self.property_store.refuse_unique_tasks = value

    @property
    def search_lag(self) -> float:
        return self.store.search_lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.store.search_lag = seconds

    # -- lookups the stores share ------------------------------------------------------------
    def _person_of_contact(self, contact_id: str) -> Person | None:
        return next((p for p in self.community.people if p.contact_id == contact_id), None)

    def _contact_email(self, contact_id: str) -> str | None:
        person = self._person_of_contact(contact_id)
        return person.email if person else None

    def _user_email(self, user_id: str) -> str | None:
        return next((o.email for o in self.community.owners if str(o.user_id) == str(user_id)), None)

    def _record_exists(self, object_type_id: str, record_id: str) -> bool:
        if object_type_id == "0-1":
            return self._person_of_contact(record_id) is not None
        if object_type_id == "0-2":
            return self.community.company_by_id(record_id) is not None
        return False

    # -- protocol hooks --------------------------------------------------------------------
    def authenticate(self, request: Request) -> Response | None:
        if request.header("Authorization") != f"Bearer {self.access_token}":
            return self._error(401, "INVALID_AUTHENTICATION",
                               "Authentication credentials not found. This API supports OAuth 2.0 "
                               "authentication and you can find more details at "
                               "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
        wait = self.burst_limit.take() if self.burst_limit is not None else None
        return None if wait is None else self.fault_response(Fault(path="", status=429, retry_after=wait))

    def limit_burst(self, requests_per_window: int = 100, window_seconds: float = 10.0) -> None:
        """Enforce the private app's burst limit (100 per 10 s on Free and Starter, 190 above):
        a request beyond it is answered 429 ``TEN_SECONDLY_ROLLING`` with the seconds to wait."""
        self.burst_limit = WindowBudget(requests_per_window, window_seconds)

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
            return self._error(exc.status, exc.category, exc.message, **exc.extra)
        except (ValueError, KeyError, TypeError) as exc:
            return self._error(400, "VALIDATION_ERROR", f"Invalid input: {exc}")

    # -- paging ----------------------------------------------------------------------------
    def _page(self, request: Request, rows: list[tuple[int, Any]], path: str) -> dict[str, Any]:
        """Rows sorted by numeric id; ``after`` is the next id to return.

        A row's data may be a function that builds it: only the page's rows are built.
        """
        limit = max(1, min(100, int(request.arg("limit", "10") or 10)))
        after = int(request.arg("after", "0") or 0)
        rows = [row for row in rows if row[0] >= after]
        body: dict[str, Any] = {"results": [data() if callable(data) else data for _, data in rows[:limit]]}
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
                "createdate": created, "hs_object_id": company.id,
                "hs_lastmodifieddate": self.company_store.updated_at.get(company.id, created),
                **self.company_store.values.get(company.id, {})}

    def update_companies(self, request: Request) -> Response:
        """Batch update: unknown ids come back in a 207's errors, the others are written."""
        started = hs_time()
        results, missing = self.company_store.batch_update((request.json() or {}).get("inputs"))
        return self._batch_answer(started, results, missing, "COMPANY")

    def update_deals(self, request: Request) -> Response:
        """Batch update of deal properties (``community_influenced``); unknown ids in a 207."""
        started = hs_time()
        results, missing = self.deal_store.batch_update((request.json() or {}).get("inputs"))
        return self._batch_answer(started, results, missing, "DEAL")

    def deal_values(self, deal_id: str) -> dict[str, str]:
        """The properties clients wrote to a deal."""
        with self.deal_store.lock:
            return dict(self.deal_store.values.get(deal_id, {}))

    def deal_properties(self, deal: Deal) -> dict[str, Any]:
        """A deal's properties as HubSpot has them now: seeded, then what clients wrote."""
        props = deal.properties()
        props.update(self.deal_store.values.get(deal.id, {}))
        modified = self.deal_store.updated_at.get(deal.id)
        if modified:
            props["hs_lastmodifieddate"] = modified
        return props

    def search_deals(self, request: Request) -> Response:
        return json_response(search(request.json() or {}, [(d.id, self.deal_properties(d)) for d in self.deals]))

    def deal_companies(self, request: Request) -> Response:
        deals = {d.id: d for d in self.deals}

        def companies_of(deal_id: str) -> list[str] | None:
            deal = deals.get(deal_id)
            return None if deal is None else ([deal.company_id] if deal.company_id else [])

        status, body = association_batch((request.json() or {}).get("inputs"), companies_of, "deals")
        return json_response(body, status)

    def list_deals(self, request: Request) -> Response:
        wanted = _multi(request, "properties")
        with_companies = "companies" in _multi(request, "associations")

        def build(deal: Deal) -> dict[str, Any]:
            props = self.deal_properties(deal)
            modified = self.deal_store.updated_at.get(deal.id)
            if not wanted:
                props = {k: props[k] for k in ("dealname", "amount", "closedate", "dealstage", "pipeline",
                                               "createdate", "hs_lastmodifieddate", "hs_object_id")}
            obj = self._object(deal.id, props, wanted, hs_time(deal.created_at))
            obj["updatedAt"] = modified or hs_time(deal.modified_at)
            if with_companies and deal.company_id:
                obj["associations"] = {"companies": {"results": [
                    {"id": deal.company_id, "type": "deal_to_company"},
                    {"id": deal.company_id, "type": "deal_to_company_unlabeled"}]}}
            return obj

        rows = sorted(((int(deal.id), partial(build, deal)) for deal in self.deals), key=lambda row: row[0])
        return json_response(self._page(request, rows, request.path))

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
                "createdate": created, "lastmodifieddate": self.contact_modified.get(person.contact_id or "", created),
                "hs_object_id": person.contact_id}

    def update_contact(self, contact_id: str, **changes: Any) -> None:
        """What an edit in HubSpot does: the person's fields change, ``lastmodifieddate`` moves."""
        with self.community.lock:
            person = next(p for p in self.community.people if p.contact_id == contact_id)
            for name, value in changes.items():
                setattr(person, name, value)
            self.contact_modified[contact_id] = hs_time()

    def search_contacts(self, request: Request) -> Response:
        with self.community.lock:
            records = [(p.contact_id, self.contact_properties(p)) for p in self.community.people if p.contact_id]
        return json_response(search(request.json() or {}, records))

    def search_companies(self, request: Request) -> Response:
        with self.community.lock:
            records = [(c.id, self.company_properties(c)) for c in self.community.companies]
        return json_response(search(request.json() or {}, records))

    def contact_companies(self, request: Request) -> Response:
        def companies_of(contact_id: str) -> list[str] | None:
            person = next((p for p in self.community.people if p.contact_id == contact_id), None)
            return None if person is None else ([person.company_id] if person.company_id else [])

        with self.community.lock:
            status, body = association_batch((request.json() or {}).get("inputs"), companies_of)
        return json_response(body, status)

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
    def list_properties(self, request: Request) -> Response:
        props = self.property_store.of(_object_type(request))
        return json_response({"results": list(props.values())})

    def get_property(self, request: Request) -> Response:
        return json_response(self.property_store.get(_object_type(request), request.params["name"]))

    def create_property(self, request: Request) -> Response:
        return json_response(self.property_store.create(_object_type(request), request.json()), 201)

    def list_groups(self, request: Request) -> Response:
        groups = self.property_store.groups.get(_object_type(request), {})
        return json_response({"results": list(groups.values())})

    def get_group(self, request: Request) -> Response:
        return json_response(self.property_store.group(_object_type(request), request.params["name"]))

    def create_group(self, request: Request) -> Response:
        return json_response(self.property_store.create_group(_object_type(request), request.json()), 201)

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
        task = self.store.create(body.get("properties") or {}, body.get("associations") or [],
                                 exists=self._association_target_exists)
        return json_response(task.json(), 201)

    def create_tasks(self, request: Request) -> Response:
        """Batch create, associations inline: all inputs valid or nothing created (a duplicate
        unique value anywhere in the batch or in HubSpot refuses the whole batch with 409)."""
        inputs = (request.json() or {}).get("inputs")
        if not isinstance(inputs, list) or not inputs or len(inputs) > BATCH_LIMIT:
            raise HubSpotError(400, "VALIDATION_ERROR", f"inputs must be a list of 1 to {BATCH_LIMIT} objects")
        started = hs_time()
        with self.store.lock:
            for item in inputs:  # validate everything first: HubSpot writes all or none
                properties = (item or {}).get("properties") or {}
                if not properties.get("hs_timestamp"):
                    raise HubSpotError(400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required")
                self.store._check_unique(self.store.property_store.check_values("tasks", properties), None)
                for assoc in item.get("associations") or []:
                    to = str((assoc.get("to") or {}).get("id", ""))
                    for spec in assoc.get("types") or []:
                        if not self._association_target_exists(spec.get("associationTypeId"), to):
                            raise HubSpotError(400, "VALIDATION_ERROR",
                                               f"Could not create association: object {to} does not exist",
                                               context={"ids": [to]})
            for name in {n for item in inputs for n, p in self.store.properties.items()
                         if p["hasUniqueValue"] and (item.get("properties") or {}).get(n)}:
                values = [(item.get("properties") or {}).get(name) for item in inputs]
                twice = sorted({v for v in values if v and values.count(v) > 1})
                if twice:
                    raise HubSpotError(409, "CONFLICT", f"Duplicate values for {name} in batch input: {twice}")
            created = [self.store.create(item.get("properties") or {}, item.get("associations") or [],
                                         exists=self._association_target_exists).json(new=True) for item in inputs]
        return json_response({"status": "COMPLETE", "results": created, "startedAt": started,
                              "completedAt": hs_time()}, 201)

    def _association_target_exists(self, type_id: int, record_id: str) -> bool:
        return self._record_exists("0-2" if type_id == TASK_TO_COMPANY else "0-1", record_id)

    def read_tasks(self, request: Request) -> Response:
        """Batch read by id (or a unique property): 207 naming the ids HubSpot does not have."""
        body = request.json() or {}
        started = hs_time()
        found, missing = self.store.batch_read(check_batch(body.get("inputs")), body.get("idProperty"),
                                               list(body.get("properties") or []))
        return self._batch_answer(started, found, missing, "TASK")

    @staticmethod
    def _batch_answer(started: str, results: list[dict], missing: list[str], object_name: str) -> Response:
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                                  "completedAt": hs_time()}
        if not missing:
            return json_response(answer)
        return json_response({**answer, "numErrors": 1, "errors": [not_found_error(object_name, missing)]}, 207)

    def list_tasks(self, request: Request) -> Response:
        with self.store.lock:
            rows = [(int(tid), self._task_json(tid, request)) for tid in self.store.tasks]
        return json_response(self._page(request, sorted(rows, key=lambda r: r[0]), request.path))

    def get_task(self, request: Request) -> Response:
        task = self.store.find(unquote(request.params["id"]), request.arg("idProperty"))
        if task is None:
            return self._error(404, "OBJECT_NOT_FOUND", "resource not found")
        return json_response(self._task_json(task.id, request))

    def search_tasks(self, request: Request) -> Response:
        """Search as HubSpot's index shows tasks: writes appear ``search_lag`` seconds late."""
        body = request.json() or {}
        groups = body.get("filterGroups") or []
        limit = max(1, min(200, int(body.get("limit") or 10)))
        offset = int(body.get("after") or 0)

        def match(props: dict[str, str]) -> bool:
            return not groups or any(all(matches(props, f) for f in g.get("filters", []))
                                     for g in groups)

        hits = self.store.search(match)
        wanted = body.get("properties") or []
        results = []
        for task, shown in hits[offset:offset + limit]:
            data = task.json()
            data["properties"] = ({k: shown.get(k) for k in
                                   {*wanted, "hs_object_id", "hs_createdate", "hs_lastmodifieddate"}}
                                  if wanted else dict(shown))
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
        forward = TASK_TO_COMPANY if other == "companies" else TASK_TO_CONTACT
        backward = COMPANY_TO_TASK if other == "companies" else CONTACT_TO_TASK
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

    def complete_task(self, task_id: str) -> None:
        """The task's owner marks it complete in HubSpot."""
        self.store.complete(task_id)

    def company_values(self, company_id: str) -> dict[str, str]:
        """What clients wrote to this company (custom and standard properties)."""
        with self.company_store.lock:
            return dict(self.company_store.values.get(company_id, {}))

    def list_members(self, list_id: str) -> list[str]:
        """Record ids in a list, ascending."""
        with self.lists.lock:
            return sorted(self.lists.get(list_id).members, key=int)

    def enrollments(self) -> list[dict[str, Any]]:
        """Every enrollment so far: id, sequence, contact, state."""
        with self.sequences.lock:
            return [{"id": e.id, "sequence_id": e.sequence_id, "contact_id": e.contact_id,
                     "state": e.state} for e in self.sequences.enrollments.values()]

    def finish_enrollment(self, contact_id: str) -> None:
        """The contact's active sequence ends (every step sent)."""
        self.sequences.finish(contact_id)
