"""HubSpot task storage: unique-value properties, inline associations and a lagging search.

Kept apart from the HTTP layer so the rules read in one place: ``hs_timestamp`` required on
create, ``hs_task_status`` NOT_STARTED unless given, values checked against the property
definitions, unique values refused twice, duplicate ids in one batch refused. The search
index lags writes like HubSpot's: a task created or changed is seen by ``/search`` only
``search_lag`` seconds later (reads by id see it at once). Errors are raised as
`HubSpotError` and turned into HubSpot's error JSON by the emulator.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.testing._hubspot_properties import HubSpotError, PropertyStore, hs_time

__all__ = ["TASK_TO_COMPANY", "TASK_TO_CONTACT", "HubSpotError", "TaskStore", "hs_time"]

TASK_TO_COMPANY, TASK_TO_CONTACT = 192, 204


@dataclass
class Task:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str
    companies: set[str] = field(default_factory=set)
    contacts: set[str] = field(default_factory=set)
    #: (moment the search index shows it, the properties it shows), oldest first.
    indexed: list[tuple[float, dict[str, str]]] = field(default_factory=list)

    def json(self, new: bool | None = None, wanted: list[str] | None = None) -> dict[str, Any]:
        props = self.properties
        if wanted:
            props = {k: props.get(k) for k in {*wanted, "hs_object_id", "hs_createdate", "hs_lastmodifieddate"}}
        data: dict[str, Any] = {"id": self.id, "properties": dict(props),
                                "createdAt": self.created_at, "updatedAt": self.updated_at,
                                "archived": False}
        if new is not None:
            data["new"] = new
        return data


class TaskStore:
    """Tasks of one portal, thread-safe; property rules come from a `PropertyStore`."""

    def __init__(self, properties: PropertyStore | None = None, *, search_lag: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.property_store = properties or PropertyStore()
        self.tasks: dict[str, Task] = {}
        self.search_lag = search_lag
        self.clock = clock
        self._next_id = 90_000_000_001

    @property
    def properties(self) -> dict[str, dict]:
        return self.property_store.of("tasks")

    def _check_unique(self, properties: dict[str, str], except_id: str | None) -> None:
        for name, value in properties.items():
            prop = self.properties.get(name)
            if prop and prop["hasUniqueValue"] and value not in (None, ""):
                for task in self.tasks.values():
                    if task.id != except_id and task.properties.get(name) == value:
                        raise HubSpotError(409, "CONFLICT",
                                           f"A task with {name}={value} already exists (id {task.id}).",
                                           context={"id": [task.id]})

    def _index(self, task: Task) -> None:
        now = self.clock()
        visible = [entry for entry in task.indexed if entry[0] <= now]
        task.indexed = visible[-1:] + [e for e in task.indexed if e[0] > now]
        task.indexed.append((now + self.search_lag, dict(task.properties)))

    def searchable(self, task: Task) -> dict[str, str] | None:
        """The properties ``/search`` sees for ``task`` now (None: not indexed yet)."""
        now = self.clock()
        shown = [props for at, props in task.indexed if at <= now]
        return shown[-1] if shown else None

    def create(self, properties: dict[str, Any], associations: list[dict] | None = None,
               exists: Callable[[int, str], bool] | None = None) -> Task:
        if not properties.get("hs_timestamp"):
            raise HubSpotError(400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required")
        links: list[tuple[int, str]] = []
        for assoc in associations or []:
            to = str((assoc.get("to") or {}).get("id", ""))
            for spec in assoc.get("types") or []:
                type_id = spec.get("associationTypeId")
                if type_id not in (TASK_TO_COMPANY, TASK_TO_CONTACT) or spec.get("associationCategory") != "HUBSPOT_DEFINED":
                    raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid association type {type_id} for a task")
                if exists is not None and not exists(type_id, to):
                    raise HubSpotError(400, "VALIDATION_ERROR",
                                       f"Could not create association: object {to} does not exist",
                                       context={"ids": [to]})
                links.append((type_id, to))
        with self.lock:
            clean = self.property_store.check_values("tasks", properties)
            self._check_unique(clean, None)
            now = hs_time()
            tid = str(self._next_id)
            self._next_id += 1
            props = {"hs_task_status": "NOT_STARTED", **clean,
                     "hs_createdate": now, "hs_lastmodifieddate": now, "hs_object_id": tid}
            task = Task(tid, props, now, now)
            for type_id, to in links:
                (task.companies if type_id == TASK_TO_COMPANY else task.contacts).add(to)
            self.tasks[tid] = task
            self._index(task)
            return task

    def update(self, task: Task, properties: dict[str, Any]) -> Task:
        with self.lock:
            clean = self.property_store.check_values("tasks", properties)
            self._check_unique(clean, task.id)
            now = hs_time()
            task.properties.update(clean)
            task.properties["hs_lastmodifieddate"] = now
            task.updated_at = now
            self._index(task)
            return task

    def complete(self, task_id: str) -> Task:
        """What the owner's click on "complete" in HubSpot does."""
        with self.lock:
            task = self.tasks[task_id]
            now = hs_time()
            task.properties.update(hs_task_status="COMPLETED", hs_task_completion_date=now,
                                   hs_lastmodifieddate=now)
            task.updated_at = now
            self._index(task)
            return task

    def find(self, id_value: str, id_property: str | None = None) -> Task | None:
        with self.lock:
            if id_property in (None, "hs_object_id"):
                return self.tasks.get(id_value)
            prop = self.properties.get(id_property)
            if prop is None or not prop["hasUniqueValue"]:
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"{id_property} is not a unique identifier property for tasks")
            return next((t for t in self.tasks.values()
                         if t.properties.get(id_property) == id_value), None)

    def search(self, match: Callable[[dict[str, str]], bool]) -> list[tuple[Task, dict[str, str]]]:
        """Tasks whose indexed properties match, by id, as the (lagging) index shows them."""
        with self.lock:
            hits = []
            for task in self.tasks.values():
                shown = self.searchable(task)
                if shown is not None and match(shown):
                    hits.append((task, shown))
            return sorted(hits, key=lambda hit: int(hit[0].id))

    def batch_read(self, inputs: list[dict[str, Any]], id_property: str | None,
                   wanted: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """Found tasks as JSON, and the ids not found."""
        with self.lock:
            found, missing = [], []
            for item in inputs:
                task = self.find(str(item["id"]), id_property)
                if task is None:
                    missing.append(str(item["id"]))
                else:
                    found.append(task.json(wanted=wanted))
            return found, missing

    def upsert(self, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Batch upsert by a unique-value property: all inputs valid or nothing written."""
        with self.lock:
            seen: set[tuple[str, str]] = set()
            for item in inputs:
                id_prop = item.get("idProperty") or "hs_object_id"
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
                self.property_store.check_values("tasks", item.get("properties") or {})
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
