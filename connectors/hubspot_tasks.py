"""HubSpot tasks created exactly once, whether or not the portal has unique task keys.

Every task carries our action key in the task property ``community_action_key``. Where
the portal accepts it as a unique-value property, the key is looked up by id
(``GET /crm/v3/objects/tasks/{key}?idProperty=...``, consistent at once) and HubSpot itself
refuses a second task with the same key. HubSpot documents unique values for contacts,
companies, deals, tickets and custom objects only, so a portal may refuse it on tasks: then
the key is a plain property and only search finds it, and search lags writes. A task that
an earlier attempt may have created is then looked for until ``search_settle`` seconds
after that attempt; while the index may still be behind, the answer is `Unsettled` (leave
the action pending, never guess), after that a miss means nothing was created.

By hand, if the token may not create it: Settings → Properties → Task properties, a
single-line text property named ``community_action_key``, with unique values if offered.

A create is never repeated blindly: every retry after a failure that may have reached
HubSpot (a timeout, a 5xx, a lost answer) looks the key up first. A task that exists is
returned as it is, never updated: its owner may have completed it, and we do not reopen it.

Task bodies arrive as plain text. ``hs_task_body`` is an HTML field, so the text is escaped
(``html.escape``) with line breaks as ``<br>``: a ``<script>`` or ``<img onerror>`` a member
typed is shown as text in HubSpot, never run. Escaping comes first and the cut to HubSpot's
value limit second, never inside an entity or a ``<br>``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from hubspot.crm.association_type import AssociationType
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectId,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate

from connectors.batch import TaskBatch, TaskSpec
from connectors.errors import (
    InvalidRequestError,
    NotFoundError,
    RetryableError,
    Unsettled,
)
from connectors.hubspot_base import SERVICE, HubSpotBase

__all__ = ["BATCH_SIZE", "TASK_KEY_PROPERTY", "TaskWrites", "task_body_html"]

TASK_KEY_PROPERTY = "community_action_key"
#: Inputs per batch call, as HubSpot allows.
BATCH_SIZE = 100
#: HubSpot stores at most this many characters in a text property value.
VALUE_LIMIT = 65_536
log = logging.getLogger("connectors.hubspot")


def task_body_html(text: str, limit: int = VALUE_LIMIT) -> str:
    """Plain text as HTML that shows it literally: escaped, line breaks as ``<br>``, cut to ``limit``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "<br>".join(html.escape(line) for line in lines)
    if len(body) <= limit:
        return body
    end = limit - 1
    opener = max(body.rfind("&", 0, end), body.rfind("<", 0, end))
    if opener >= 0 and body.find(";" if body[opener] == "&" else ">", opener, end) < 0:
        end = opener  # do not split an entity or a <br>
    return body[:end] + "…"


def _key_property(unique: bool) -> PropertyCreate:
    return PropertyCreate(
        name=TASK_KEY_PROPERTY, label="Community action key", type="string", field_type="text",
        group_name="task_information", has_unique_value=unique,
        description="Set by prefect-community-scoring so a task is never created twice.",
    )


def _task_input(spec: TaskSpec, model: type[Any] = SimplePublicObjectInputForCreate) -> Any:
    """A new task: our key, escaped body, due time, owner, and its company association inline."""
    properties = {
        TASK_KEY_PROPERTY: spec.key,
        "hs_task_subject": spec.subject,
        "hs_task_body": task_body_html(spec.body),
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": spec.priority,
        "hs_task_type": "TODO",
        "hs_timestamp": spec.due.isoformat().replace("+00:00", "Z"),
    }
    if spec.owner_id:
        properties["hubspot_owner_id"] = spec.owner_id
    return model(properties=properties, associations=[{
        "to": {"id": spec.company_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": AssociationType.TASK_TO_COMPANY}]}])


class TaskWrites(HubSpotBase):
    """Tasks for a company, exactly once per action key; which ones their owners closed."""

    #: Whether the key property has unique values (None: not known yet).
    task_keys_unique: bool | None = None
    #: Seconds after a write within which a search may still miss it.
    search_settle: float = 120.0

    def ensure_task_key_property(self) -> bool:
        """Create the task property holding our keys, unique if the portal allows; returns
        whether it is unique (also kept in ``task_keys_unique``). A portal refusing unique
        values on tasks gets a plain property: never an error."""
        core = self.client.crm.properties.core_api

        def existing() -> bool:
            return bool(self._translated(core.get_by_name, "tasks", TASK_KEY_PROPERTY).has_unique_value)

        def attempt() -> bool:
            try:
                return existing()
            except NotFoundError:
                pass
            for unique in (True, False):
                try:
                    self._translated(core.create, "tasks", _key_property(unique))
                    return unique
                except InvalidRequestError as err:
                    if err.status == 409:  # made meanwhile (a lost answer, another run)
                        return existing()
                    if not unique:
                        raise
                    log.warning("HubSpot refused a unique task property (%s); task keys are looked "
                                "up by search instead", err)
            raise AssertionError("unreachable")

        self.task_keys_unique = self.policy.call(attempt)
        return self.task_keys_unique

    def upsert_task(
        self,
        *,
        key: str,
        company_id: str,
        subject: str,
        body: str,
        due: datetime,
        owner_id: str | None = None,
        priority: str = "HIGH",
        maybe_sent_at: datetime | None = None,
    ) -> str:
        """The id of the task for action ``key`` on a company, created if HubSpot has none.

        ``maybe_sent_at``: the latest moment an earlier attempt for this key may have reached
        HubSpot (None: there was none). ``body`` is plain text, stored as escaped HTML
        (`task_body_html`). An existing task is returned unchanged (never reopened).
        Raises `Unsettled` when keys are not unique and a search cannot tell yet.
        """
        if self.task_keys_unique is None:
            self.ensure_task_key_property()
        new_task = _task_input(TaskSpec(key, company_id, subject, body, due, owner_id, priority))
        api = self.client.crm.objects.tasks.basic_api
        state = {"sent_at": maybe_sent_at}

        def attempt() -> str:
            found = self._existing_task(key, state["sent_at"])
            if found is not None:
                return found
            try:
                return str(self._translated(api.create, new_task).id)
            except RetryableError as err:
                if err.status != 429:  # a 429 is refused unread; anything else may have acted
                    state["sent_at"] = self.clock()
                raise
            except InvalidRequestError:
                if self.task_keys_unique:  # e.g. 409: another attempt or run holds the key
                    found = self._task_by_key(key)
                    if found is not None:
                        return found
                raise

        return self.policy.call(attempt)

    def create_tasks(self, specs: Sequence[TaskSpec]) -> TaskBatch:
        """Tasks for many action keys, 100 a call with their company association inline.

        Keys an earlier attempt may have sent (``maybe_sent_at``) are looked up first, 100 a
        call (by the unique key, else by a search that may say `Unsettled` for a key); the
        rest are created in one batch call per 100. HubSpot creates a batch all or nothing;
        a batch it refuses (a key it already has, an invalid item) is done one task at a time
        (`upsert_task`), so one bad task never holds up the others.
        """
        if self.task_keys_unique is None:
            self.ensure_task_key_property()
        result = TaskBatch({}, {}, {})
        for start in range(0, len(specs), BATCH_SIZE):
            self._create_batch(list(specs[start:start + BATCH_SIZE]), result)
        return result

    def _create_batch(self, specs: list[TaskSpec], result: TaskBatch) -> None:
        pending = {s.key: s for s in specs}
        sent_at = {s.key: s.maybe_sent_at for s in specs}
        api = self.client.crm.objects.tasks.batch_api

        def attempt() -> None:
            maybe = [k for k in pending if sent_at[k] is not None]
            found = self._tasks_by_keys(maybe) if maybe else {}
            for key in maybe:
                if key in found:
                    result.ids[key] = found[key]
                    del pending[key]
                elif not self.task_keys_unique and self.clock() < sent_at[key] + timedelta(seconds=self.search_settle):
                    result.unsettled[key] = (f"task {key!r} may have been created at {sent_at[key].isoformat()} "
                                             f"and search may not show it yet: look again later")
                    del pending[key]
            if not pending:
                return
            inputs = BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[_task_input(s, SimplePublicObjectBatchInputForCreate) for s in pending.values()])
            try:
                answer = self._translated(api.create, inputs)
            except RetryableError as err:
                if err.status != 429:  # a 429 is refused unread; anything else may have acted
                    now = self.clock()
                    sent_at.update((key, now) for key in pending)
                raise
            for task in answer.results or []:
                key = (task.properties or {}).get(TASK_KEY_PROPERTY)
                if key in pending:
                    result.ids[key] = str(task.id)
                    del pending[key]

        try:
            self.policy.call(attempt)
        except InvalidRequestError:
            for key, spec in list(pending.items()):  # one at a time: only the bad ones fail
                try:
                    result.ids[key] = self.upsert_task(
                        key=key, company_id=spec.company_id, subject=spec.subject, body=spec.body, due=spec.due,
                        owner_id=spec.owner_id, priority=spec.priority, maybe_sent_at=sent_at[key])
                except Unsettled as err:
                    result.unsettled[key] = str(err)
                except InvalidRequestError as err:
                    result.failed[key] = str(err)
            return
        for key in pending:  # answered without them: never guessed as created
            result.failed[key] = "HubSpot's batch answer did not include this task"

    def _tasks_by_keys(self, keys: list[str]) -> dict[str, str]:
        """key → task id of the tasks HubSpot has for ``keys`` (by the unique key, else search)."""
        if self.task_keys_unique:
            batch = BatchReadInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=k) for k in keys],
                                                       id_property=TASK_KEY_PROPERTY, properties=[TASK_KEY_PROPERTY],
                                                       properties_with_history=[])
            answer = self._call(self.client.crm.objects.tasks.batch_api.read, batch, archived=False)
            return {(t.properties or {}).get(TASK_KEY_PROPERTY): str(t.id) for t in answer.results or []}
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": TASK_KEY_PROPERTY, "operator": "IN", "values": keys}]}],
            properties=[TASK_KEY_PROPERTY], limit=200)
        found = self._translated(self.client.crm.objects.tasks.search_api.do_search, request)
        oldest: dict[str, str] = {}
        for task in sorted(found.results or [], key=lambda t: int(t.id)):  # an old duplicate never wins
            oldest.setdefault((task.properties or {}).get(TASK_KEY_PROPERTY), str(task.id))
        return oldest

    def _existing_task(self, key: str, sent_at: datetime | None) -> str | None:
        if self.task_keys_unique:
            return self._task_by_key(key)
        if sent_at is None:
            return None
        found = self._search_task(key)
        if found is None and self.clock() < sent_at + timedelta(seconds=self.search_settle):
            raise Unsettled(SERVICE, f"task {key!r} may have been created at {sent_at.isoformat()} and "
                                     f"search may not show it for {self.search_settle:g}s: look again later")
        return found

    def _task_by_key(self, key: str) -> str | None:
        api = self.client.crm.objects.tasks.basic_api
        try:
            task = self._translated(api.get_by_id, key, id_property=TASK_KEY_PROPERTY,
                              properties=[TASK_KEY_PROPERTY])
        except NotFoundError:
            return None
        return str(task.id)

    def _search_task(self, key: str) -> str | None:
        """The oldest task search shows with this key (an old duplicate never wins over it)."""
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": TASK_KEY_PROPERTY, "operator": "EQ", "value": key}]}],
            properties=[TASK_KEY_PROPERTY], limit=100)
        found = self._translated(self.client.crm.objects.tasks.search_api.do_search, request)
        ids = [str(t.id) for t in found.results or []
               if (t.properties or {}).get(TASK_KEY_PROPERTY) == key]
        return min(ids, key=int) if ids else None

    def tasks_closed(self, task_ids: Iterable[str]) -> dict[str, bool]:
        """Task id → whether its owner completed it; ids HubSpot no longer has are left out."""
        ids = list(dict.fromkeys(str(t) for t in task_ids))
        closed: dict[str, bool] = {}
        for start in range(0, len(ids), BATCH_SIZE):
            batch = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in ids[start:start + BATCH_SIZE]],
                properties=["hs_task_status"], properties_with_history=[])
            answer = self._call(self.client.crm.objects.tasks.batch_api.read, batch, archived=False)
            for task in answer.results or []:
                closed[str(task.id)] = (task.properties or {}).get("hs_task_status") == "COMPLETED"
        return closed
