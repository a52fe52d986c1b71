"""Salesforce REST API emulator over TLS: SOQL queries, sObject rows, upserts, collections.

simple-salesforce only ever builds ``https://{instance}/services/data/vXX.X/`` URLs (see
API-NOTES trap 1), so this emulator serves HTTPS with a throwaway CA made by ``trustme``:
``emulator.session()`` is a ``requests.Session`` that trusts it, ``emulator.instance_url``
and ``emulator.session_id`` are what the client needs. Any API version ``vNN.N`` is
accepted (default 59.0).

Served (all under ``/services/data/vNN.N/``):

* ``GET query/?q=SOQL`` (and ``queryAll/``): a SOQL subset — ``SELECT f, Rel.f FROM Obj
  [WHERE …] [ORDER BY f [ASC|DESC], …] [LIMIT n]`` with ``AND``/``OR``/``NOT``,
  parentheses, ``= != < <= > >= IN NOT IN LIKE`` against quoted strings (escapes as
  ``format_soql`` writes them), numbers, ``true/false/null``, dates and datetimes. Paged by
  ``batch_size`` records with ``nextRecordsUrl``; ``GET query/01g…-N`` returns the next page.
* ``GET|PATCH sobjects/{Obj}/{Id}``, ``POST sobjects/{Obj}/`` (201 ``{id, success, errors}``).
* ``GET|PATCH sobjects/{Obj}/{ExternalIdField}/{value}``: upsert by external id — 201 with
  ``created: true``; an update answers 200 with ``created: false`` (API 46.0 and later) or
  204 without a body (earlier versions), like Salesforce.
* ``POST|PATCH composite/sobjects``: create/update up to 200 records (more is a 400
  EXCEEDED_ID_LIMIT for the whole call), processed in order with one result per record
  (a second membership of the same contact in one call is a DUPLICATE_VALUE like any
  other); ``allOrNone`` rolls everything back on one failure.
* ``GET limits/``.

The org validates writes the way Salesforce does: unknown fields, read-only fields
(``Task.IsClosed`` is derived from ``Status``), restricted picklists, references to records
that do not exist (MALFORMED_ID / INVALID_CROSS_REFERENCE_KEY), text longer than the field
(STRING_TOO_LONG), numbers beyond the field's precision (NUMBER_OUTSIDE_VALID_RANGE; values
are rounded to the field's scale when stored), and bodies that are not strict JSON (``NaN``
is JSON_PARSER_ERROR). A URI longer than 16,384 bytes is answered 414 URI Too Long before
anything else, like Salesforce's front door.

Errors are JSON arrays ``[{"message", "errorCode", "fields"}]`` with Salesforce's codes:
400 MALFORMED_QUERY / INVALID_FIELD / DUPLICATE_VALUE (a second CampaignMember of the same
contact and campaign) / REQUIRED_FIELD_MISSING …, 401 INVALID_SESSION_ID
(``expire_session()``), 403 REQUEST_LIMIT_EXCEEDED (``api_limit``), 404 NOT_FOUND. Every
answer carries ``Sforce-Limit-Info: api-usage=n/m``. Injected faults answer in the same
shape.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import unquote, urlencode

import requests
import trustme

from connectors.testing._salesforce_soql import (
    SalesforceApiError,
    SoqlQuery,
    _canonical,
    _compare,
    parse_soql,
)
from connectors.testing.community import Community
from connectors.testing.salesforce_data import (
    FIELDS,
    READ_ONLY,
    RELATIONSHIPS,
    SalesforceData,
    sf_datetime,
)
from connectors.testing.server import Emulator, Fault, Request, Response, json_response

__all__ = ["SalesforceEmulator", "SoqlQuery", "parse_soql"]

API_VERSION = "59.0"
_DATA = r"/services/data/v(?P<version>\d+\.\d+)"

#: External ID fields per object (custom fields an admin marked External ID + Unique).
EXTERNAL_IDS = {"Task": frozenset({"Community_Action_Key__c"})}
NUMBER_FIELDS = frozenset({"AnnualRevenue", "Amount", "Community_Score__c", "Community_Velocity__c"})
#: (precision, scale) of number fields: Number(16, 2) holds 14 digits before the point.
NUMBER_PRECISION = {"AnnualRevenue": (18, 0), "Amount": (16, 2), "Community_Score__c": (16, 2),
                    "Community_Velocity__c": (16, 2)}
#: Maximum length of text fields (STRING_TOO_LONG beyond).
TEXT_LENGTHS = {"Subject": 255, "Description": 32000, "Community_Action_Key__c": 255,
                "Community_Tier__c": 40, "Status": 255}
BOOL_FIELDS = frozenset({"IsActive", "IsDeleted", "IsWon", "IsClosed", "HasResponded",
                         "Community_Influenced__c"})
DATETIME_FIELDS = frozenset({"CreatedDate", "LastModifiedDate", "SystemModstamp",
                             "Community_Last_Activity__c"})
DATE_FIELDS = frozenset({"CloseDate", "StartDate", "ActivityDate", "FirstRespondedDate"})
PICKLISTS = {
    ("Task", "Priority"): ("High", "Normal", "Low"),
    ("Task", "Status"): ("Not Started", "In Progress", "Completed", "Waiting on someone else",
                         "Deferred"),
}
REQUIRED = {"Account": ("Name",), "Contact": ("LastName",),
            "Opportunity": ("Name", "StageName", "CloseDate"), "Campaign": ("Name",),
            "CampaignMember": ("CampaignId",)}
REFERENCES = {"OwnerId": ("User",), "AccountId": ("Account",), "WhatId": ("Account", "Opportunity"),
              "WhoId": ("Contact",), "CampaignId": ("Campaign",), "ContactId": ("Contact",)}
MAX_COLLECTION = 200
#: Longest request URI Salesforce accepts (REST API request size limits): 414 beyond.
MAX_URI_BYTES = 16_384
_SF_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


# -- the emulator ------------------------------------------------------------------------------
@dataclass
class _Cursor:
    rows: list[dict[str, Any]]
    version: str


class SalesforceEmulator(Emulator):
    """Serves a `Community` as a Salesforce org over HTTPS; stores what is written to it."""

    service = "salesforce"

    def __init__(
        self,
        community: Community,
        *,
        session_id: str = "00DDx0000000001!emulator-session",
        batch_size: int = 2000,
        api_limit: int = 100_000,
    ) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        super().__init__(tls=context)
        self.community = community
        self.data = SalesforceData(community)
        self.session_id = session_id
        self.batch_size = batch_size
        self.api_used = 0
        self.api_limit = api_limit
        self._cursors: dict[str, _Cursor] = {}
        self._ca_file: str | None = None
        r = self.route
        r("GET", _DATA + r"/(?:query|queryAll)/?", self.query)
        r("GET", _DATA + r"/(?:query|queryAll)/(?P<locator>01g[A-Za-z0-9]+)-(?P<offset>\d+)", self.query_more)
        r("GET", _DATA + r"/limits/?", self.limits)
        r("POST", _DATA + r"/composite/sobjects/?", self.collection_create)
        r("PATCH", _DATA + r"/composite/sobjects/?", self.collection_update)
        r("PATCH", _DATA + r"/composite/sobjects/(?P<obj>\w+)/(?P<field>\w+)/?", self.collection_upsert)
        r("POST", _DATA + r"/sobjects/(?P<obj>\w+)/?", self.create)
        r("GET", _DATA + r"/sobjects/(?P<obj>\w+)/(?P<id>[^/]+)", self.get)
        r("PATCH", _DATA + r"/sobjects/(?P<obj>\w+)/(?P<id>[^/]+)", self.update)
        r("GET", _DATA + r"/sobjects/(?P<obj>\w+)/(?P<field>\w+)/(?P<value>[^/]+)", self.get_by_external_id)
        r("PATCH", _DATA + r"/sobjects/(?P<obj>\w+)/(?P<field>\w+)/(?P<value>[^/]+)", self.upsert)

    # -- lifecycle and client side ---------------------------------------------------------
    def start(self) -> Self:
        if self._ca_file is None:
            handle, path = tempfile.mkstemp(prefix="salesforce-emulator-ca-", suffix=".pem")
            os.close(handle)
            self.ca.cert_pem.write_to_path(path)
            self._ca_file = path
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._ca_file is not None:
            try:
                os.remove(self._ca_file)
            except FileNotFoundError:
                pass
            self._ca_file = None

    @property
    def ca_file(self) -> str:
        """Path of the CA certificate (PEM) that signed the server's certificate."""
        if self._ca_file is None:
            raise RuntimeError("salesforce emulator is not running")
        return self._ca_file

    @property
    def instance_url(self) -> str:
        return self.base_url

    def session(self) -> requests.Session:
        """A ``requests.Session`` that trusts the emulator's CA (and nothing else).

        ``trust_env`` is off: with it on, requests lets ``REQUESTS_CA_BUNDLE`` /
        ``CURL_CA_BUNDLE`` from the environment override ``Session.verify``, and a proxy
        from the environment would be asked to reach 127.0.0.1.
        """
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        return session

    def client(self, version: str = API_VERSION) -> Any:
        """A simple-salesforce client on this org (direct session auth)."""
        from simple_salesforce import Salesforce

        return Salesforce(instance_url=self.instance_url, session_id=self.session_id,
                          session=self.session(), version=version)

    def expire_session(self) -> str:
        """Invalidate the current session id (401 INVALID_SESSION_ID); returns a new valid one."""
        self.session_id = f"00DDx0000000001!{uuid.uuid4().hex}"
        return self.session_id

    # -- inspection and mutation for tests -------------------------------------------------
    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Copies of all records of an object type, in id order."""
        with self.data.lock:
            return [dict(r) for _, r in sorted(self.data.objects[sobject].items())]

    def touch(self, sobject: str, record_id: str, **fields: Any) -> dict[str, Any]:
        """Modify a record as a user would (bumps SystemModstamp); returns a copy."""
        return dict(self.data.update(sobject, record_id, fields))

    def queries(self) -> list[str]:
        """The SOQL texts received, in order."""
        return [r.query["q"][0] for r in self.requests if "q" in r.query]

    @property
    def nurture_campaign_id(self) -> str:
        """The seeded "Community nurture" campaign (the nurture playbook's target)."""
        return self.data.community_campaigns["nurture"]

    @property
    def newsletter_campaign_id(self) -> str:
        """The seeded "Community newsletter" campaign."""
        return self.data.community_campaigns["newsletter"]

    def complete_task(self, task_id: str, status: str = "Completed") -> dict[str, Any]:
        """The owner closes a task in the UI: Status set, IsClosed derived, stamp bumped."""
        if status not in PICKLISTS[("Task", "Status")]:
            raise ValueError(f"not a Task status: {status!r}")
        return self.touch("Task", task_id, Status=status)

    # -- protocol hooks --------------------------------------------------------------------
    def _limit_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}

    @staticmethod
    def _errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
        return json_response([{"message": message, "errorCode": code, "fields": fields or []}], status)

    def authenticate(self, request: Request) -> Response | None:
        if request.header("Authorization") != f"Bearer {self.session_id}":
            return self._errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        self.api_used += 1
        if self.api_used > self.api_limit:
            return self._errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    def error_response(self, status: int, message: str) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 400: "MALFORMED_QUERY",
                401: "INVALID_SESSION_ID", 403: "REQUEST_LIMIT_EXCEEDED"}.get(status, "UNKNOWN_EXCEPTION")
        if status == 404 and message.startswith("no route"):
            message = "The requested resource does not exist"
        return self._errors(status, code, message)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        messages = {
            400: ("MALFORMED_QUERY", "injected fault: malformed query"),
            401: ("INVALID_SESSION_ID", "Session expired or invalid"),
            403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            404: ("NOT_FOUND", "The requested resource does not exist"),
            429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
            503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later."),
        }
        unexpected = ("An unexpected error occurred. Please include this ErrorId if you "
                      "contact support: 1234567-890 (injected)")
        code, message = messages.get(status, ("UNKNOWN_EXCEPTION", unexpected))
        response = self._errors(status, code, message)
        response.headers.update(self._limit_header())
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def dispatch(self, request: Request) -> Response:
        uri = len(request.path) + 1 + len(urlencode(request.query, doseq=True))
        if uri > MAX_URI_BYTES:
            return Response(414, b"<html><body><h1>414 URI Too Long</h1></body></html>",
                            {"Content-Type": "text/html", **self._limit_header()})
        with self.data.request():
            try:
                response = super().dispatch(request)
            except SalesforceApiError as exc:
                response = self._errors(exc.status, exc.code, exc.message, exc.fields)
            except (ValueError, KeyError, TypeError) as exc:
                response = self._errors(400, "JSON_PARSER_ERROR", f"Invalid input: {exc}")
            response.headers.update(self._limit_header())
            return response

    # -- query -----------------------------------------------------------------------------
    def _render(self, sobject: str, record: dict[str, Any], fields: list[str], version: str) -> dict:
        out: dict[str, Any] = {"attributes": {
            "type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"}}
        for name in fields:
            if "." not in name:
                out[name] = record.get(name)
                continue
            rel, rest = name.split(".", 1)
            id_field, target = RELATIONSHIPS[sobject][rel]
            parent = self.data.get(target, record.get(id_field) or "")
            if parent is None:
                out[rel] = None
                continue
            nested = out.get(rel) or {}
            nested.update(self._render(target, parent, [rest], version))
            out[rel] = nested
        return out

    def _value(self, sobject: str, record: dict[str, Any], name: str) -> Any:
        while "." in name:
            rel, name = name.split(".", 1)
            id_field, sobject = RELATIONSHIPS[sobject][rel]
            record = self.data.get(sobject, record.get(id_field) or "") or {}
        return record.get(name)

    def _matches(self, sobject: str, record: dict[str, Any], cond: Any) -> bool:
        if cond is None:
            return True
        kind = cond[0]
        if kind == "and":
            return all(self._matches(sobject, record, c) for c in cond[1])
        if kind == "or":
            return any(self._matches(sobject, record, c) for c in cond[1])
        if kind == "not":
            return not self._matches(sobject, record, cond[1])
        _, name, op, literal = cond
        return _compare(self._value(sobject, record, name), op, literal)

    def query(self, request: Request) -> Response:
        soql = request.arg("q")
        if not soql:
            raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string is required")
        q = parse_soql(soql)
        version = request.params["version"]
        rows = [r for r in self.data.objects[q.sobject].values()
                if self._matches(q.sobject, r, q.where)]
        for name, desc in reversed(q.order or [("Id", False)]):
            rows.sort(key=lambda r, n=name: _sort_key(self._value(q.sobject, r, n)), reverse=desc)
        if q.limit is not None:
            rows = rows[: q.limit]
        rendered = [self._render(q.sobject, r, q.fields, version) for r in rows]
        locator = f"01gDx{len(self._cursors) + 1:010d}AAA"
        self._cursors[locator] = _Cursor(rendered, version)
        return self._page(locator, 0)

    def query_more(self, request: Request) -> Response:
        cursor = self._cursors.get(request.params["locator"])
        if cursor is None:
            raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request.params["locator"], int(request.params["offset"]))

    def _page(self, locator: str, offset: int) -> Response:
        cursor = self._cursors[locator]
        batch = cursor.rows[offset: offset + self.batch_size]
        end = offset + len(batch)
        body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows),
                                "records": batch}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{cursor.version}/query/{locator}-{end}"
        return json_response(body)

    def limits(self, request: Request) -> Response:
        return json_response({"DailyApiRequests": {
            "Max": self.api_limit, "Remaining": max(self.api_limit - self.api_used, 0)}})

    # -- sObject rows ----------------------------------------------------------------------
    def _sobject(self, request: Request) -> str:
        name = request.params["obj"]
        sobject = next((o for o in FIELDS if o.lower() == name.lower()), None)
        if sobject is None:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return sobject

    def _existing(self, sobject: str, record_id: str) -> dict[str, Any]:
        record = self.data.get(sobject, record_id)
        if record is None:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def get(self, request: Request) -> Response:
        sobject = self._sobject(request)
        record = self._existing(sobject, request.params["id"])
        wanted = [f for raw in request.query.get("fields", []) for f in raw.split(",") if f]
        fields = [_canonical(sobject, f) for f in wanted] or sorted(FIELDS[sobject])
        return json_response(self._render(sobject, record, fields, request.params["version"]))

    def create(self, request: Request) -> Response:
        sobject = self._sobject(request)
        rid = self._insert(sobject, self._body(request))
        return json_response({"id": rid, "success": True, "errors": []}, 201)

    def update(self, request: Request) -> Response:
        sobject = self._sobject(request)
        record = self._existing(sobject, request.params["id"])
        fields = self._validated(sobject, self._body(request), creating=False, current=record)
        self.data.update(sobject, record["Id"], fields)
        return Response(204)

    def _external_field(self, sobject: str, name: str) -> str:
        known = next((f for f in EXTERNAL_IDS.get(sobject, ()) if f.lower() == name.lower()), None)
        if known is None:
            raise SalesforceApiError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {name}")
        return known

    def get_by_external_id(self, request: Request) -> Response:
        sobject = self._sobject(request)
        ext = self._external_field(sobject, request.params["field"])
        found = self.data.find(sobject, ext, unquote(request.params["value"]))
        if not found:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(self._render(sobject, found[0], sorted(FIELDS[sobject]),
                                          request.params["version"]))

    def upsert(self, request: Request) -> Response:
        sobject = self._sobject(request)
        ext = self._external_field(sobject, request.params["field"])
        value = unquote(request.params["value"])
        body = self._body(request)
        if ext in body and body[ext] != value:
            raise SalesforceApiError(400, "INVALID_FIELD",
                                     f"The value of {ext} in the body does not match the URL", [ext])
        found = self.data.find(sobject, ext, value)
        if len(found) > 1:
            return json_response([f"/services/data/v{request.params['version']}/sobjects/{sobject}/{r['Id']}"
                                  for r in found], 300)
        if not found:
            rid = self._insert(sobject, {**body, ext: value})
            return json_response({"id": rid, "success": True, "errors": [], "created": True}, 201)
        record = found[0]
        fields = self._validated(sobject, body, creating=False, current=record)
        self.data.update(sobject, record["Id"], fields)
        if float(request.params["version"]) < 46.0:
            return Response(204)
        return json_response({"id": record["Id"], "success": True, "errors": [], "created": False})

    # -- sObject collections ---------------------------------------------------------------
    def _collection(self, request: Request) -> tuple[bool, list[dict[str, Any]]]:
        body = _strict_json(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SalesforceApiError(400, "JSON_PARSER_ERROR", "records is required")
        if len(records) > MAX_COLLECTION:
            raise SalesforceApiError(400, "EXCEEDED_ID_LIMIT",
                                     "record limit reached. cannot submit more than 200 records into this call")
        return bool(body.get("allOrNone", False)), records

    def _apply_collection(self, all_or_none: bool, records: list[Any], save: Any) -> Response:
        """Save ``records`` one after the other (each sees the ones before it), one result
        each; with ``allOrNone`` a single failure restores the org as it was."""
        snapshot = self.data.snapshot() if all_or_none else None
        results: list[dict[str, Any]] = []
        for raw in records:
            try:
                results.append({"id": save(raw), "success": True, "errors": []})
            except SalesforceApiError as exc:
                results.append({"success": False, "errors": [
                    {"statusCode": exc.code, "message": exc.message, "fields": exc.fields}]})
        if snapshot is not None and not all(r["success"] for r in results):
            self.data.restore(snapshot)
            rolled_back = {"success": False, "errors": [
                {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                 "message": "Record rolled back because not all records were valid and the "
                            "request was using AllOrNone header", "fields": []}]}
            results = [r if not r["success"] else rolled_back for r in results]
        return json_response(results)

    def collection_create(self, request: Request) -> Response:
        all_or_none, records = self._collection(request)

        def save(raw: Any) -> str:
            if isinstance(raw, dict) and raw.get("Id"):
                raise SalesforceApiError(400, "INVALID_FIELD",
                                         "cannot specify Id in an insert call", ["Id"])
            sobject = self._type_of(raw)
            return self._insert_valid(sobject, self._validated(sobject, _strip(raw), creating=True))

        return self._apply_collection(all_or_none, records, save)

    def collection_update(self, request: Request) -> Response:
        all_or_none, records = self._collection(request)

        def save(raw: Any) -> str:
            sobject = self._type_of(raw)
            rid = raw.get("Id") or raw.get("id")
            if not isinstance(rid, str) or not _SF_ID.fullmatch(rid):
                raise SalesforceApiError(400, "MALFORMED_ID", f"malformed id {rid}", ["Id"])
            record = self.data.get(sobject, rid)
            if record is None:
                raise SalesforceApiError(400, "INVALID_CROSS_REFERENCE_KEY",
                                         f"invalid cross reference id: {rid}", ["Id"])
            fields = self._validated(sobject, _strip(raw), creating=False, current=record)
            return str(self.data.update(sobject, rid, fields)["Id"])

        return self._apply_collection(all_or_none, records, save)

    def collection_upsert(self, request: Request) -> Response:
        """``PATCH composite/sobjects/{type}/{external id field}``: insert or update each record by
        its external id, one result each with ``created``."""
        sobject = self._sobject(request)
        ext = self._external_field(sobject, request.params["field"])
        all_or_none, records = self._collection(request)
        created: list[bool] = []

        def save(raw: Any) -> str:
            if self._type_of(raw) != sobject:
                raise SalesforceApiError(400, "INVALID_TYPE", f"records must all be {sobject}")
            value = raw.get(ext) if isinstance(raw, dict) else None
            if not isinstance(value, str) or not value:
                raise SalesforceApiError(400, "MISSING_ARGUMENT", f"{ext} not specified", [ext])
            found = self.data.find(sobject, ext, value)
            if len(found) > 1:
                raise SalesforceApiError(300, "DUPLICATE_EXTERNAL_ID",
                                         f"{ext}: more than one record found for external id field", [ext])
            fields = _strip(raw)
            if not found:
                rid = self._insert_valid(sobject, self._validated(sobject, fields, creating=True))
                created.append(True)
                return rid
            record = found[0]
            valid = self._validated(sobject, {k: v for k, v in fields.items() if k != ext}, creating=False,
                                    current=record)
            rid = str(self.data.update(sobject, record["Id"], valid)["Id"])
            created.append(False)
            return rid

        answer = self._apply_collection(all_or_none, records, save)
        results = json.loads(answer.body)
        flags = iter(created)
        for result in results:
            if result.get("success"):
                result["created"] = next(flags)
        return json_response(results)

    @staticmethod
    def _type_of(raw: Any) -> str:
        name = (raw.get("attributes") or {}).get("type") if isinstance(raw, dict) else None
        sobject = next((o for o in FIELDS if name and o.lower() == name.lower()), None)
        if sobject is None:
            raise SalesforceApiError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return sobject

    # -- writes ----------------------------------------------------------------------------
    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        body = _strict_json(request)
        if not isinstance(body, dict):
            raise SalesforceApiError(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
        return body

    def _insert(self, sobject: str, body: dict[str, Any]) -> str:
        return self._insert_valid(sobject, self._validated(sobject, body, creating=True))

    def _insert_valid(self, sobject: str, fields: dict[str, Any]) -> str:
        if sobject == "Task":
            fields.setdefault("Status", "Not Started")
            fields.setdefault("Priority", "Normal")
        if sobject == "CampaignMember":
            fields.setdefault("Status", "Sent")
            fields["HasResponded"] = fields["Status"] in ("Attended", "Responded")
        return self.data.insert(sobject, fields)

    def _validated(
        self, sobject: str, body: dict[str, Any], *, creating: bool,
        current: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Canonical, type-checked fields of a write; SalesforceApiError explains a refusal."""
        out: dict[str, Any] = {}
        for name, value in body.items():
            if name == "attributes":
                continue
            known = next((f for f in FIELDS[sobject] if f.lower() == name.lower()), None)
            if known is None:
                raise SalesforceApiError(400, "INVALID_FIELD",
                                         f"No such column '{name}' on sobject of type {sobject}", [name])
            if known in READ_ONLY[sobject]:
                raise SalesforceApiError(
                    400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {known}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.", [known])
            out[known] = self._typed(sobject, known, value)
        merged = {**(current or {}), **out}
        if creating:
            missing = [f for f in REQUIRED.get(sobject, ()) if merged.get(f) in (None, "")]
            if missing:
                raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING",
                                         f"Required fields are missing: [{', '.join(missing)}]", missing)
        if sobject == "CampaignMember":
            self._check_campaign_member(merged, current)
        for ext in EXTERNAL_IDS.get(sobject, ()):
            if out.get(ext) is not None:
                clash = [r for r in self.data.find(sobject, ext, out[ext])
                         if current is None or r["Id"] != current["Id"]]
                if clash:
                    raise SalesforceApiError(
                        400, "DUPLICATE_VALUE", f"duplicate value found: {ext} duplicates value "
                        f"on record with id: {clash[0]['Id']}", [ext])
        return out

    def _typed(self, sobject: str, name: str, value: Any) -> Any:
        if value is None:
            return None
        bad = SalesforceApiError(400, "JSON_PARSER_ERROR",
                                 f"Cannot deserialize value {value!r} for field {name}", [name])
        if name in NUMBER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad
            precision, scale = NUMBER_PRECISION.get(name, (18, 2))
            if abs(value) >= 10 ** (precision - scale):
                raise SalesforceApiError(400, "NUMBER_OUTSIDE_VALID_RANGE",
                                         f"{name}: value outside of valid range on numeric "
                                         f"field: {value}", [name])
            return round(float(value), scale)
        if name in BOOL_FIELDS:
            if not isinstance(value, bool):
                raise bad
            return value
        if name in DATETIME_FIELDS:
            try:
                return sf_datetime(datetime.fromisoformat(str(value)).astimezone(UTC))
            except ValueError:
                raise bad from None
        if name in DATE_FIELDS:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise bad
            return value
        if not isinstance(value, str):
            raise bad
        limit = TEXT_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            raise SalesforceApiError(400, "STRING_TOO_LONG", f"{name}: data value too large: "
                                     f"{value[:40]}... (max length={limit})", [name])
        allowed = PICKLISTS.get((sobject, name))
        if allowed is not None and value not in allowed:
            raise SalesforceApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                     f"{name}: bad value for restricted picklist field: {value}", [name])
        targets = REFERENCES.get(name)
        if targets is not None and not any(self.data.get(t, value) for t in targets):
            if not _SF_ID.fullmatch(value):
                raise SalesforceApiError(400, "MALFORMED_ID", f"{name}: id value of incorrect type: {value}", [name])
            raise SalesforceApiError(400, "INVALID_CROSS_REFERENCE_KEY",
                                     f"{name}: invalid cross reference id", [name])
        return value

    def _check_campaign_member(self, merged: dict[str, Any], current: dict[str, Any] | None) -> None:
        if not merged.get("ContactId") and not merged.get("LeadId"):
            raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING",
                                     "Required fields are missing: [ContactId or LeadId]", ["ContactId"])
        for other in self.data.objects["CampaignMember"].values():
            if current is not None and other["Id"] == current["Id"]:
                continue
            if (other["CampaignId"], other.get("ContactId")) == (merged.get("CampaignId"), merged.get("ContactId")):
                raise SalesforceApiError(400, "DUPLICATE_VALUE", "Already a campaign member.")


def _strip(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("attributes", "Id", "id")}


def _strict_json(request: Request) -> Any:
    """The body as JSON as Salesforce's parser reads it: ``NaN``/``Infinity`` are refused."""
    def refuse(token: str) -> Any:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR",
                                 f"Unexpected token ({token}): expected a valid value")
    try:
        return json.loads(request.body.decode("utf-8") or "null", parse_constant=refuse)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", f"Invalid JSON: {exc}") from None


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first (Salesforce's ASC default), then by value."""
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (1, value)
