"""HubSpot as the CRM, through hubspot-api-client.

Reads owners, companies and contacts a page at a time. Tasks are written by batch upsert
on a unique-value task property holding our action key, so re-sending a task updates the
one HubSpot already has instead of creating a second. urllib3's own retries are off (see
``HubSpotCredentials``): our policy is the only one.

Task bodies arrive as plain text. ``hs_task_body`` is an HTML field, so the text is escaped
(``html.escape``) with line breaks as ``<br>``: a ``<script>`` or ``<img onerror>`` a member
typed is shown as text in HubSpot, never run. Escaping comes first and the cut to HubSpot's
value limit second, never inside an entity or a ``<br>``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import urllib3
from hubspot import HubSpot
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInputUpsert,
)
from hubspot.crm.properties import PropertyCreate

from connectors.errors import ConnectorError, NotFoundError, RetryableError, error_for_status
from connectors.retry import RetryPolicy
from scoring.records import CrmAccount, CrmContact, CrmOwner

__all__ = ["HubSpotCrm", "TASK_KEY_PROPERTY", "task_body_html"]

SERVICE = "hubspot"
TASK_KEY_PROPERTY = "community_action_key"
PAGE_SIZE = 100
#: HubSpot stores at most this many characters in a text property value.
VALUE_LIMIT = 65_536


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


class HubSpotCrm:
    """Reads the CRM's companies, contacts and owners; writes tasks."""

    def __init__(
        self,
        client: HubSpot,
        *,
        policy: RetryPolicy | None = None,
        plan_property: str = "plan",
        value_property: str = "annualrevenue",
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self.plan_property = plan_property
        self.value_property = value_property

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.policy.call(_translated, fn, *args, **kwargs)

    def _pages(self, get_page: Callable[..., Any], **kwargs: Any) -> Iterator[list[Any]]:
        after = None
        while True:
            page = self._call(get_page, limit=PAGE_SIZE, after=after, **kwargs)
            yield list(page.results or [])
            nxt = page.paging.next if page.paging else None
            if nxt is None or not nxt.after:
                return
            after = nxt.after

    # -- reads -------------------------------------------------------------------------
    def owner_pages(self) -> Iterator[list[CrmOwner]]:
        for owners in self._pages(self.client.crm.owners.owners_api.get_page):
            yield [
                CrmOwner(
                    id=str(o.id),
                    email=o.email,
                    name=" ".join(p for p in (o.first_name, o.last_name) if p) or None,
                )
                for o in owners
            ]

    def account_pages(self) -> Iterator[list[CrmAccount]]:
        properties = ["name", "domain", "hubspot_owner_id", self.plan_property, self.value_property]
        for companies in self._pages(self.client.crm.companies.basic_api.get_page, properties=properties):
            yield [self._account(c.id, c.properties or {}) for c in companies]

    def _account(self, company_id: str, props: dict[str, Any]) -> CrmAccount:
        try:
            value = float(props.get(self.value_property) or 0)
        except ValueError:
            value = 0.0
        return CrmAccount(
            id=str(company_id),
            name=props.get("name") or f"Company {company_id}",
            domain=props.get("domain") or None,
            owner_id=props.get("hubspot_owner_id") or None,
            plan=props.get(self.plan_property) or None,
            value=value,
        )

    def contact_pages(self) -> Iterator[list[CrmContact]]:
        get_page = self.client.crm.contacts.basic_api.get_page
        properties = ["email", "firstname", "lastname"]
        for contacts in self._pages(get_page, properties=properties, associations=["companies"]):
            yield [self._contact(c) for c in contacts]

    @staticmethod
    def _contact(contact: Any) -> CrmContact:
        props = contact.properties or {}
        companies = (contact.associations or {}).get("companies")
        results = companies.results if companies is not None else []
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return CrmContact(
            id=str(contact.id),
            email=props.get("email") or None,
            account_id=str(results[0].id) if results else None,
            name=name or None,
        )

    # -- writes ------------------------------------------------------------------------
    def ensure_task_key_property(self) -> None:
        """Create the unique task property holding our action keys, once per portal."""
        core = self.client.crm.properties.core_api
        try:
            self._call(core.get_by_name, "tasks", TASK_KEY_PROPERTY)
        except NotFoundError:
            self._call(
                core.create,
                "tasks",
                PropertyCreate(
                    name=TASK_KEY_PROPERTY,
                    label="Community action key",
                    type="string",
                    field_type="text",
                    group_name="task_information",
                    has_unique_value=True,
                    description="Set by prefect-community-scoring so a task is never created twice.",
                ),
            )

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
    ) -> str:
        """Create (or update) the task for action ``key`` on a company; returns its id.

        ``body`` is plain text; it is stored as escaped HTML (`task_body_html`).
        """
        properties = {
            TASK_KEY_PROPERTY: key,
            "hs_task_subject": subject,
            "hs_task_body": task_body_html(body),
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": priority,
            "hs_task_type": "TODO",
            "hs_timestamp": due.isoformat().replace("+00:00", "Z"),
        }
        if owner_id:
            properties["hubspot_owner_id"] = owner_id
        batch = BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[SimplePublicObjectBatchInputUpsert(id_property=TASK_KEY_PROPERTY, id=key, properties=properties)]
        )
        result = self._call(self.client.crm.objects.tasks.batch_api.upsert, batch)
        task_id = str(result.results[0].id)
        self._call(
            self.client.crm.associations.v4.basic_api.create_default,
            "tasks", task_id, "companies", company_id,
        )
        return task_id


def _translated(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call hubspot-api-client and turn its errors into ours."""
    try:
        return fn(*args, **kwargs)
    except urllib3.exceptions.HTTPError as err:
        raise RetryableError(SERVICE, f"connection failed: {err}") from err
    except Exception as err:  # each hubspot sub-package has its own ApiException class
        status = getattr(err, "status", None)
        is_api_error = any(cls.__name__ == "ApiException" for cls in type(err).__mro__)
        if not is_api_error or status is None:
            raise
        raise _translate(err, status) from err


def _translate(err: Any, status: int) -> ConnectorError:
    headers = getattr(err, "headers", None) or {}
    retry_after = headers.get("Retry-After") if hasattr(headers, "get") else None
    body = (getattr(err, "body", "") or "")[:300]
    return error_for_status(SERVICE, status, f"HTTP {status}: {body}", retry_after)
