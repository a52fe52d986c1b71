"""HubSpot property definitions and groups per object type, and the values they accept.

One place for the rules a portal applies to properties: the required fields and the
type/fieldType pairs of a new property, groups that must exist, unique values only where
HubSpot offers them, and the values a write may carry (numbers, datetimes, options).
Errors are raised as `HubSpotError`; the emulator turns them into HubSpot's error JSON.
"""

from __future__ import annotations

import json
import math
import re
import threading
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELD_TYPES", "HubSpotError", "PropertyStore", "hs_time", "parse_hs_datetime"]

#: The fieldTypes HubSpot accepts for each property type (properties API guide).
FIELD_TYPES: dict[str, frozenset[str]] = {
    "bool": frozenset({"booleancheckbox", "calculation_equation"}),
    "enumeration": frozenset({"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "string": frozenset({"file", "text", "textarea", "calculation_equation", "html", "phonenumber"}),
    "number": frozenset({"number", "calculation_equation"}),
    "phone_number": frozenset({"phonenumber"}),
}
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def hs_time(when: datetime | None = None) -> str:
    """HubSpot's ISO 8601: UTC, milliseconds, Z."""
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_hs_datetime(value: str) -> datetime | None:
    """A datetime value as HubSpot accepts it (ISO 8601 or epoch milliseconds), else None."""
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class HubSpotError(Exception):
    """An error HubSpot would report: status, category, message and optional context."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


def _prop(name: str, label: str, type_: str = "string", field_type: str = "text", *,
          group: str, options: tuple[str, ...] = (), external: bool = False,
          read_only: bool = False) -> dict:
    return {"name": name, "label": label, "type": type_, "fieldType": field_type,
            "groupName": group, "description": "",
            "options": [{"label": o.title(), "value": o, "hidden": False, "displayOrder": i}
                        for i, o in enumerate(options)],
            "hasUniqueValue": False, "hidden": False, "hubspotDefined": True,
            "formField": False, "calculated": False, "externalOptions": external,
            "displayOrder": -1, "archived": False, "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True,
                                     "readOnlyValue": read_only}}


def _builtins() -> dict[str, dict[str, dict]]:
    t, c, d = "task_information", "companyinformation", "dealinformation"
    common = (("hs_object_id", "Record ID", "number", "number"),
              ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"))
    tasks = [
        _prop("hs_timestamp", "Due date", "datetime", "date", group=t),
        _prop("hs_task_subject", "Task Title", group=t),
        _prop("hs_task_body", "Notes", "string", "html", group=t),
        _prop("hs_task_status", "Task Status", "enumeration", "select", group=t,
              options=("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        _prop("hs_task_priority", "Priority", "enumeration", "select", group=t,
              options=("NONE", "LOW", "MEDIUM", "HIGH")),
        _prop("hs_task_type", "Task Type", "enumeration", "select", group=t,
              options=("TODO", "CALL", "EMAIL", "LINKED_IN", "MEETING")),
        _prop("hubspot_owner_id", "Task owner", "enumeration", "select", group=t, external=True),
        _prop("hs_task_completion_date", "Completed at", "datetime", "date", group=t, read_only=True),
        _prop("hs_createdate", "Create date", "datetime", "date", group=t, read_only=True),
    ]
    companies = [
        _prop("name", "Company name", group=c),
        _prop("domain", "Company Domain Name", group=c),
        _prop("annualrevenue", "Annual Revenue", "number", "number", group=c),
        _prop("plan", "Plan", group=c),
        _prop("hubspot_owner_id", "Company owner", "enumeration", "select", group=c, external=True),
        _prop("createdate", "Create Date", "datetime", "date", group=c, read_only=True),
    ]
    deals = [
        _prop("dealname", "Deal Name", group=d),
        _prop("dealstage", "Deal Stage", "enumeration", "radio", group=d, external=True),
        _prop("amount", "Amount", "number", "number", group=d),
        _prop("closedate", "Close Date", "datetime", "date", group=d),
        _prop("pipeline", "Pipeline", "enumeration", "select", group=d, external=True),
        _prop("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", group=d, read_only=True),
        _prop("createdate", "Create Date", "datetime", "date", group=d, read_only=True),
    ]
    out: dict[str, dict[str, dict]] = {}
    for kind, props, group in (("tasks", tasks, t), ("companies", companies, c), ("deals", deals, d)):
        props += [_prop(n, label, ty, ft, group=group, read_only=True) for n, label, ty, ft in common]
        out[kind] = {p["name"]: p for p in props}
    return out


class PropertyStore:
    """Property definitions and groups of tasks, companies and deals, thread-safe.

    ``refuse_unique_tasks``: the portal refuses ``hasUniqueValue`` on task properties, as
    HubSpot documents unique values only for contacts, companies, deals, tickets and
    custom objects.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.properties = _builtins()
        self.groups: dict[str, dict[str, dict]] = {
            kind: {name: {"name": name, "label": label, "displayOrder": -1, "archived": False}}
            for kind, name, label in (("tasks", "task_information", "Task information"),
                                      ("companies", "companyinformation", "Company information"),
                                      ("deals", "dealinformation", "Deal information"))}
        self.refuse_unique_tasks = False

    def of(self, object_type: str) -> dict[str, dict]:
        return self.properties[object_type]

    def get(self, object_type: str, name: str) -> dict:
        prop = self.properties.get(object_type, {}).get(name)
        if prop is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND",
                               f"Unable to find property {name} for object type {object_type}")
        return prop

    def group(self, object_type: str, name: str) -> dict:
        group = self.groups.get(object_type, {}).get(name)
        if group is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name}")
        return group

    def create_group(self, object_type: str, body: dict[str, Any]) -> dict:
        missing = [k for k in ("name", "label") if not body.get(k)]
        if missing:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        if not _NAME.fullmatch(body["name"]):
            raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid property group name {body['name']!r}")
        with self.lock:
            groups = self.groups.setdefault(object_type, {})
            if body["name"] in groups:
                raise HubSpotError(409, "OBJECT_ALREADY_EXISTS",
                                   f"A property group named '{body['name']}' already exists.")
            groups[body["name"]] = {"name": body["name"], "label": body["label"],
                                    "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
            return groups[body["name"]]

    def create(self, object_type: str, body: dict[str, Any]) -> dict:
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        name, type_, field_type = body["name"], body["type"], body["fieldType"]
        if not _NAME.fullmatch(name):
            raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid property name {name!r}")
        if field_type not in FIELD_TYPES.get(type_, ()):
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"fieldType {field_type!r} is not valid for a property of type {type_!r}",
                               subCategory="PropertyValidationError.INVALID_FIELD_TYPE")
        options = body.get("options") or []
        if type_ == "enumeration" and not options and not body.get("externalOptions"):
            raise HubSpotError(400, "VALIDATION_ERROR", "options are required for enumeration properties")
        if body.get("hasUniqueValue") and object_type == "tasks" and self.refuse_unique_tasks:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               "Unique value properties are not supported for object type TASK",
                               subCategory="PropertyValidationError.UNIQUE_VALUE_NOT_SUPPORTED")
        with self.lock:
            if body["groupName"] not in self.groups.get(object_type, {}):
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"Property group {body['groupName']} does not exist",
                                   subCategory="PropertyValidationError.GROUP_NOT_FOUND")
            props = self.properties.setdefault(object_type, {})
            if name in props:
                raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists.")
            now = hs_time()
            prop = {**_prop(name, body["label"], type_, field_type, group=body["groupName"]),
                    "description": body.get("description", ""),
                    "options": [{"hidden": False, "displayOrder": i, **o} for i, o in enumerate(options)],
                    "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
                    "hubspotDefined": False, "formField": bool(body.get("formField", False)),
                    "createdAt": now, "updatedAt": now,
                    "modificationMetadata": {"archivable": True, "readOnlyDefinition": False,
                                             "readOnlyValue": False}}
            props[name] = prop
            return prop

    def check_values(self, object_type: str, values: dict[str, Any]) -> dict[str, str]:
        """The values as HubSpot stores them (strings); a 400 naming every invalid one."""
        props = self.properties.get(object_type, {})
        problems, clean = [], {}
        for name, value in values.items():
            prop = props.get(name)
            if prop is None:
                problems.append({"isValid": False, "message": f'Property "{name}" does not exist',
                                 "error": "PROPERTY_DOESNT_EXIST", "name": name})
                continue
            text = "" if value is None else str(value)
            error = self._invalid(prop, text)
            if error:
                problems.append({"isValid": False, "message": error, "error": "INVALID_VALUE",
                                 "name": name})
            clean[name] = text
        if problems:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"Property values were not valid: {json.dumps(problems)}")
        return clean

    @staticmethod
    def _invalid(prop: dict, text: str) -> str | None:
        if text == "":
            return None  # clears the value
        if prop["modificationMetadata"]["readOnlyValue"]:
            return f"{prop['name']} is a read only property; its value cannot be set."
        kind = prop["type"]
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            return None if math.isfinite(number) else f"{text!r} is not a valid number"
        if kind in ("datetime", "date"):
            return None if parse_hs_datetime(text) else f"{text!r} is not a valid datetime"
        if kind == "bool":
            return None if text in ("true", "false") else f"{text!r} is not a valid boolean"
        if kind == "enumeration" and not prop.get("externalOptions"):
            allowed = {o["value"] for o in prop.get("options", [])}
            values = text.split(";") if prop["fieldType"] == "checkbox" else [text]
            bad = [v for v in values if v not in allowed]
            return f"{bad[0]!r} was not one of the allowed options: {sorted(allowed)}" if bad else None
        return None
