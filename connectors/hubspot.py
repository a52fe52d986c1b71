"""HubSpot as the CRM, through hubspot-api-client.

Reads owners, companies, contacts and won deals a page at a time. Writes, each exactly once
or harmless to repeat: tasks keyed by our action key (`connectors.hubspot_tasks`), list
memberships, sequence enrollments, company score write-back and the deals' community-influenced
flag (`connectors.hubspot_writes`). urllib3's own retries are off (see ``HubSpotCredentials``):
our policy is the only one, and a create is never retried without looking first.

What the private app needs (scopes as HubSpot's specs list them): tasks
``crm.objects.contacts.read`` and ``.write`` (HubSpot files tasks under contacts), companies
``crm.objects.companies.read`` and ``.write``, ``crm.schemas.companies.write`` (the score
properties, created on first use), ``crm.objects.deals.read`` and ``.write`` and
``crm.schemas.deals.write`` (the deal flag, created on first use), ``crm.objects.owners.read``,
``crm.lists.read`` and ``crm.lists.write``, ``automation.sequences.read`` and
``automation.sequences.enrollments.write``. The task key property is created on first use
too; if the token may not create task properties, create it once by hand (see
`connectors.hubspot_tasks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from hubspot import HubSpot

from connectors.hubspot_base import SERVICE
from connectors.hubspot_tasks import TASK_KEY_PROPERTY, TaskWrites, task_body_html
from connectors.hubspot_writes import INFLUENCED_PROPERTY, SCORE_PROPERTIES, EngagementWrites
from connectors.retry import Pacer, RetryPolicy
from scoring.records import CrmAccount, CrmContact, CrmOpportunity, CrmOwner

__all__ = ["SCORE_PROPERTIES", "TASK_KEY_PROPERTY", "HubSpotCrm", "task_body_html"]

PAGE_SIZE = 100
#: Search: results per call, and the most one query returns (HubSpot's limits).
SEARCH_PAGE = 200
SEARCH_CAP = 10_000
#: Deal stages that mean won: the default pipeline's; a portal with its own pipelines names its own.
WON_STAGES = frozenset({"closedwon"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HubSpotCrm(TaskWrites, EngagementWrites):
    """Reads the CRM's companies, contacts, owners and won deals; writes tasks, list
    memberships, sequence enrollments and company scores.

    ``search_settle``: seconds after a task create within which HubSpot's search may not
    show it yet (only used where the portal refuses unique task keys). ``clock`` tells the
    time for that wait (tests move it). ``timeout``: seconds per request the client does
    not wrap (sequences). ``pacer`` is waited on before every request (each retry too).
    """

    def __init__(
        self,
        client: HubSpot,
        *,
        policy: RetryPolicy | None = None,
        plan_property: str = "plan",
        value_property: str = "annualrevenue",
        search_settle: float = 120.0,
        clock: Callable[[], datetime] = _utcnow,
        won_stages: frozenset[str] = WON_STAGES,
        timeout: float = 30.0,
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self.pacer = pacer or Pacer()
        self.plan_property = plan_property
        self.value_property = value_property
        self.search_settle = search_settle
        self.clock = clock
        self.won_stages = won_stages
        self.timeout = timeout

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

    def account_pages(self, since: datetime | None = None) -> Iterator[list[CrmAccount]]:
        """Every company, or with ``since`` those modified at or after it (search, 200 a call)."""
        properties = ["name", "domain", "hubspot_owner_id", self.plan_property, self.value_property]
        if since is None:
            pages = self._pages(self.client.crm.companies.basic_api.get_page, properties=properties)
        else:
            pages = self._changed(self.client.crm.companies.search_api.do_search, "hs_lastmodifieddate", since,
                                  properties)
        for companies in pages:
            yield [self._account(c.id, c.properties or {}) for c in companies]

    def _changed(self, do_search: Callable[..., Any], modified: str, since: datetime,
                 properties: list[str], filters: Sequence[dict[str, Any]] = ()) -> Iterator[list[Any]]:
        """Records whose ``modified`` property is at or after ``since``, oldest change first.

        HubSpot returns at most 10,000 results per query: past that, the query starts again
        from the last change seen (at or after it, so a record sharing that time is not lost).
        """
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        start, after = since, 0
        while True:
            request = {"filterGroups": [{"filters": [
                {"propertyName": modified, "operator": "GTE", "value": str(int(start.timestamp() * 1000))},
                *filters]}],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": properties, "limit": SEARCH_PAGE, "after": str(after)}
            page = self._call(do_search, public_object_search_request=request)
            rows = list(page.results or [])
            yield rows
            nxt = page.paging.next if page.paging else None
            if nxt is None or not nxt.after:
                return
            after = int(nxt.after)
            if after + SEARCH_PAGE > SEARCH_CAP:
                last = _modified_at(rows[-1], modified) if rows else None
                if last is None or last <= start:
                    raise RuntimeError(f"more than {SEARCH_CAP} HubSpot records changed at {start.isoformat()}")
                start, after = last, 0

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

    def contact_pages(self, since: datetime | None = None) -> Iterator[list[CrmContact]]:
        """Every contact with its company, or with ``since`` those modified at or after it (search,
        200 a call, and their companies in one batch association read per page)."""
        properties = ["email", "firstname", "lastname"]
        if since is None:
            get_page = self.client.crm.contacts.basic_api.get_page
            for contacts in self._pages(get_page, properties=properties, associations=["companies"]):
                yield [self._contact(c, _first_company(c)) for c in contacts]
            return
        for contacts in self._changed(self.client.crm.contacts.search_api.do_search, "lastmodifieddate", since,
                                      properties):
            companies = self._companies_of("contacts", [str(c.id) for c in contacts])
            yield [self._contact(c, companies.get(str(c.id))) for c in contacts]

    def _companies_of(self, object_type: str, ids: list[str]) -> dict[str, str]:
        """id → its first company, for the contacts (deals) that have one (v4 batch read)."""
        if not ids:
            return {}
        from hubspot.crm.associations.v4 import (
            BatchInputPublicFetchAssociationsBatchRequest,
            PublicFetchAssociationsBatchRequest,
        )

        request = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in ids])
        answer = self._call(self.client.crm.associations.v4.batch_api.get_page, object_type, "companies", request)
        return {str(r._from.id): str(r.to[0].to_object_id) for r in answer.results or [] if r.to}

    @staticmethod
    def _contact(contact: Any, account_id: str | None) -> CrmContact:
        props = contact.properties or {}
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return CrmContact(
            id=str(contact.id),
            email=props.get("email") or None,
            account_id=account_id,
            name=name or None,
        )


    def closed_won_deals(self, since: datetime | None = None) -> Iterator[list[CrmOpportunity]]:
        """Won deals (``dealstage`` in ``won_stages``) with their company, a page at a time.

        Every won deal from the deals list, or with ``since`` those modified at or after it
        (search on ``hs_lastmodifieddate``, 200 a call, and their companies in one batch
        association read per page): a deal that is won moves that date.
        """
        properties = ["dealname", "dealstage", "amount", "closedate", "hs_lastmodifieddate", INFLUENCED_PROPERTY]
        if since is not None:
            won = {"propertyName": "dealstage", "operator": "IN", "values": sorted(self.won_stages)}
            for deals in self._changed(self.client.crm.deals.search_api.do_search, "hs_lastmodifieddate", since,
                                       properties, [won]):
                companies = self._companies_of("deals", [str(d.id) for d in deals])
                if deals:
                    yield [self._deal(d, companies.get(str(d.id))) for d in deals]
            return
        get_page = self.client.crm.deals.basic_api.get_page
        for deals in self._pages(get_page, properties=properties, associations=["companies"]):
            won = [self._deal(d, _primary_company(d)) for d in deals
                   if (d.properties or {}).get("dealstage") in self.won_stages]
            if won:
                yield won

    @staticmethod
    def _deal(deal: Any, account_id: str | None) -> CrmOpportunity:
        props = deal.properties or {}
        try:
            amount = float(props.get("amount") or 0)
        except ValueError:
            amount = 0.0
        return CrmOpportunity(
            id=str(deal.id),
            account_id=account_id,
            name=props.get("dealname") or None,
            stage=props.get("dealstage") or None,
            amount=amount,
            closed_at=_parse_time(props.get("closedate")),
            is_won=True,
            community_influenced=props.get(INFLUENCED_PROPERTY) == "true",
        )


def _parse_time(value: str | None) -> datetime | None:
    """HubSpot's ISO 8601 datetimes (or epoch milliseconds); None when absent or unreadable."""
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _primary_company(deal: Any) -> str | None:
    """The primary company of a deal of the list API (``deal_to_company``), else its first."""
    companies = (deal.associations or {}).get("companies")
    results = list(companies.results) if companies is not None else []
    primary = [r for r in results if r.type == "deal_to_company"] or results
    return str(primary[0].id) if primary else None


def _first_company(contact: Any) -> str | None:
    """The first company a contact of the list API is associated with."""
    companies = (contact.associations or {}).get("companies")
    results = companies.results if companies is not None else []
    return str(results[0].id) if results else None


def _modified_at(record: Any, prop: str) -> datetime | None:
    """A record's ``prop`` datetime (ISO 8601 or epoch milliseconds), else None."""
    value = (record.properties or {}).get(prop)
    if not value:
        return None
    text = str(value)
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
