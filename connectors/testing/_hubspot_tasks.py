"""HubSpot task storage with unique-value properties: the heart of idempotent upserts.

Kept apart from the HTTP layer so the rules (unique values, ``hs_timestamp`` required on
create, duplicate ids in one batch) read in one place. Errors are raised as `HubSpotError`
and turned into HubSpot's error JSON by the emulator.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["BUILTIN_TASK_PROPERTIES", "HubSpotError", "TaskStore", "hs_time"]

TASK_TO_COMPANY, TASK_TO_CONTACT = 192, 204


def hs_time(when: datetime | None = None) -> str:
    """HubSpot's ISO 8601: UTC, milliseconds, Z."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class HubSpotError(Exception):
    """An error HubSpot would report: status, category and message."""

    def __init__(self, status: int, category: str, message: str) -> None:
        super().__init__(message)
        self.status, self.category, self.message = status, category, message


def _prop(name: str, label: str, type_: str = "string", field_type: str = "text") -> dict:
    return {"name": name, "label": label, "type": type_, "fieldType": field_type,
            "groupName": "taskinformation", "description": "", "options": [],
            "hasUniqueValue": False, "hidden": False, "hubspotDefined": True,
            "formField": False, "calculated": False, "externalOptions": False,
            "displayOrder": -1, "archived": False, "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True,
                                     "readOnlyValue": False}}


BUILTIN_TASK_PROPERTIES = {p["name"]: p for p in (
    _prop("hs_timestamp", "Due date", "datetime", "date"),
    _prop("hs_task_subject", "Task Title"),
    _prop("hs_task_body", "Notes", "string", "html"),
    _prop("hs_task_status", "Task Status", "enumeration", "select"),
    _prop("hs_task_priority", "Priority", "enumeration", "select"),
    _prop("hs_task_type", "Task Type", "enumeration", "select"),
    _prop("hubspot_owner_id", "Task owner", "enumeration", "select"),
    _prop("hs_object_id", "Record ID", "number", "number"),
)}


@dataclass
class Task:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str
    companies: set[str] = field(default_factory=set)
    contacts: set[str] = field(default_factory=set)

    def json(self, new: bool | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "properties": dict(self.properties),
                                "createdAt": self.created_at, "updatedAt": self.updated_at,
                                "archived": False}
        if new is not None:
            data["new"] = new
        return data


class TaskStore:
    """Tasks and task property definitions, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.properties: dict[str, dict] = {k: dict(v) for k, v in BUILTIN_TASK_PROPERTIES.items()}
        self.tasks: dict[str, Task] = {}
        self._next_id = 90_000_000_001

    def create_property(self, body: dict[str, Any]) -> dict:
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        with self.lock:
            if body["name"] in self.properties:
                raise HubSpotError(409, "OBJECT_ALREADY_EXISTS",
                                   f"A property named '{body['name']}' already exists.")
            now = hs_time()
            prop = {**_prop(body["name"], body["label"], body["type"], body["fieldType"]),
                    "groupName": body["groupName"], "description": body.get("description", ""),
                    "options": body.get("options", []),
                    "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
                    "hubspotDefined": False, "formField": bool(body.get("formField", False)),
                    "createdAt": now, "updatedAt": now,
                    "modificationMetadata": {"archivable": True, "readOnlyDefinition": False,
                                             "readOnlyValue": False}}
            self.properties[prop["name"]] = prop
            return prop

    def _check_unique(self, properties: dict[str, str], except_id: str | None) -> None:
        for name, value in properties.items():
            prop = self.properties.get(name)
            if prop and prop["hasUniqueValue"] and value not in (None, ""):
                for task in self.tasks.values():
                    if task.id != except_id and task.properties.get(name) == value:
                        raise HubSpotError(409, "CONFLICT", f"A task with {name}={value} already exists (id {task.id}).")

    def create(self, properties: dict[str, str], associations: list[dict] | None = None) -> Task:
        if not properties.get("hs_timestamp"):
            raise HubSpotError(400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required")
        with self.lock:
            self._check_unique(properties, None)
            now = hs_time()
            tid = str(self._next_id)
            self._next_id += 1
            props = {"hs_createdate": now, "hs_lastmodifieddate": now, "hs_object_id": tid,
                     "hs_task_status": "NOT_STARTED", **{k: str(v) for k, v in properties.items()}}
            task = Task(tid, props, now, now)
            for assoc in associations or []:
                to = str(assoc.get("to", {}).get("id", ""))
                for spec in assoc.get("types", []):
                    if spec.get("associationTypeId") == TASK_TO_COMPANY:
                        task.companies.add(to)
                    elif spec.get("associationTypeId") == TASK_TO_CONTACT:
                        task.contacts.add(to)
            self.tasks[tid] = task
            return task

    def update(self, task: Task, properties: dict[str, str]) -> Task:
        with self.lock:
            self._check_unique(properties, task.id)
            now = hs_time()
            task.properties.update({k: str(v) for k, v in properties.items()})
            task.properties["hs_lastmodifieddate"] = now
            task.updated_at = now
            return task

    def find(self, id_value: str, id_property: str | None = None) -> Task | None:
        with self.lock:
            if id_property in (None, "hs_object_id"):
                return self.tasks.get(id_value)
            return next((t for t in self.tasks.values()
                         if t.properties.get(id_property) == id_value), None)

    def upsert(self, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Batch upsert by a unique-value property: all inputs valid or nothing written."""
        with self.lock:
            seen: set[tuple[str, str]] = set()
            for item in inputs:
                id_prop = item.get("idProperty") or "hs_object_id"
                prop = self.properties.get(id_prop)
                if id_prop != "hs_object_id" and (prop is None or not prop["hasUniqueValue"]):
                    raise HubSpotError(400, "VALIDATION_ERROR",
                                       f"{id_prop} is not a unique identifier property for tasks")
                key = (id_prop, str(item.get("id")))
                if key in seen:
                    raise HubSpotError(400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {key[1]}")
                seen.add(key)
                if self.find(key[1], id_prop) is None:
                    if id_prop == "hs_object_id":
                        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"No task with id {key[1]}")
                    if not (item.get("properties") or {}).get("hs_timestamp"):
                        raise HubSpotError(400, "VALIDATION_ERROR",
                                           "Property values were not valid: hs_timestamp is required")
            results = []
            for item in inputs:
                id_prop = item.get("idProperty") or "hs_object_id"
                properties = dict(item.get("properties") or {})
                task = self.find(str(item["id"]), id_prop)
                if task is None:
                    properties[id_prop] = str(item["id"])
                    results.append(self.create(properties).json(new=True))
                else:
                    results.append(self.update(task, properties).json(new=False))
            return results
