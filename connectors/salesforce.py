"""Salesforce as the CRM, through simple-salesforce.

Reads are page generators over SOQL, incremental on ``(SystemModstamp, Id)``: each takes
``since`` (a :class:`Watermark` from the previous read, None for everything) and yields
:class:`Page` objects — the page's records plus ``position``, the watermark of its last
record, which the flow stores (``Watermark.encode``) as the next ``since`` once the page is
committed. ``SystemModstamp`` has whole-second resolution and a bulk load or a collection
update gives hundreds of records the same second, so the stamp alone is no cursor: a read
stopped part-way through a second (the daily request limit) would skip the rest of that
second on ``SystemModstamp > since``. Ordering by ``SystemModstamp, Id`` and resuming after
``(stamp, Id)`` loses nothing and repeats nothing. Pages follow ``nextRecordsUrl``
(``query_more``), so a page is one API request (up to 2,000 records).
Every SOQL text is built with ``simple_salesforce.format_soql``: values are quoted and
escaped (``o'brien@example.com`` is a valid email), datetimes rendered in UTC.

Writes are idempotent: a Task is upserted by an external-id field holding our action key,
so re-running an action (also one whose answer was lost) updates the task Salesforce
already has, and never reopens one its owner completed; adding a contact to a campaign
twice is not an error; score write-back and opportunity flags are updates and may be
repeated. Batch writes go through sObject Collections (``composite/sobjects``, 200 records
a call, ``allOrNone`` false) and return a `BatchResult`: the ids done and, for exactly the
records Salesforce refused, id → its reason, so only those are tried again. An error of a
whole call (auth, the org's request limit, a 5xx after the retries) is raised: every
chunk written before it was idempotent, so the whole batch can simply be run again.

Errors are translated into ``connectors.errors`` types and only transient ones are retried
by the one :class:`RetryPolicy` (simple-salesforce retries nothing itself):

=====================================  ===========================================
simple-salesforce                      ours
=====================================  ===========================================
SalesforceExpiredSession (401)         AuthError — renew the block's session
SalesforceRefusedRequest (403)         RequestLimitExceeded when the org's API
                                       requests are used up (REQUEST_LIMIT_EXCEEDED:
                                       stop the sync, keep the cursor), else AuthError
SalesforceMalformedRequest (400)       InvalidRequestError (never retried)
SalesforceResourceNotFound (404)       NotFoundError
SalesforceGeneralError 5xx/429, lost   RetryableError, honouring Retry-After
connection, timeout
=====================================  ===========================================

Custom fields an admin creates in the org (Setup → Object Manager → Fields & Relationships):

* ``Task.Community_Action_Key__c`` — Text(255), **External ID** and **Unique**: holds our
  action key, so a task is never created twice. Required for ``upsert_task``.
* ``Account.Community_Score__c`` — Number(16, 2); ``Account.Community_Tier__c`` — Text(40)
  or a Picklist of awareness/consideration/intent; ``Account.Community_Velocity__c`` —
  Number(16, 2) (may be negative); ``Account.Community_Last_Activity__c`` — Date/Time.
  Required for ``write_account_scores``.
* ``Opportunity.Community_Influenced__c`` — Checkbox (default unchecked). Read by
  ``opportunity_pages`` and set by ``flag_opportunities``.
* ``Account.Plan__c`` — Text or Picklist, only if the org tracks the customer's plan there
  (``plan_field=None`` when it has none; any other field name works too).

The integration user needs API Enabled, read on User/Account/Contact/Opportunity/Campaign/
CampaignMember, create/edit on Task and CampaignMember, edit on the Account and Opportunity
fields above (field-level security!).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar
from urllib.parse import urlsplit

from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest
from simple_salesforce.format import format_external_id

from connectors.batch import BatchResult, TaskBatch, TaskSpec
from connectors.retry import RetryPolicy
from connectors.salesforce_collections import COLLECTION_SIZE, save_collection
from connectors.salesforce_errors import (
    SERVICE,
    RequestLimitExceeded,
    error_codes,
    remember_retry_after,
    translated,
)
from scoring.records import (
    AccountScoreUpdate,
    CrmAccount,
    CrmContact,
    CrmOpportunity,
    CrmOwner,
    Member,
    SourceEvent,
)

__all__ = [
    "SERVICE",
    "BatchResult",
    "CampaignMemberEvent",
    "Page",
    "RequestLimitExceeded",
    "SalesforceCrm",
    "Watermark",
]

#: Ids per ``WHERE Id IN (…)`` query: ~5.6 KB of URL, a third of the 16 KB URI limit.
IDS_PER_QUERY = 200
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
#: Our priorities (HubSpot's vocabulary) → Salesforce's Task.Priority picklist.
PRIORITIES = {"HIGH": "High", "MEDIUM": "Normal", "NORMAL": "Normal", "LOW": "Low"}
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")

R = TypeVar("R")


class Watermark(NamedTuple):
    """Where a read got to: the last record's ``SystemModstamp`` and ``Id``.

    The next read asks for ``SystemModstamp > stamp OR (SystemModstamp = stamp AND Id > id)``.
    An empty ``id`` means "from the start of that second": what a cursor stored before the
    ``Id`` tie-breaker decodes to, so the second it stopped in is read again (the writes
    are idempotent) and whatever the old stamp-only cursor skipped there is picked up.
    """

    stamp: datetime
    id: str = ""

    def encode(self) -> str:
        """``2025-06-01T12:00:00+00:00 003Dx0000000001AAA`` (a stamp alone when no id)."""
        text = self.stamp.astimezone(UTC).isoformat()
        return f"{text} {self.id}" if self.id else text

    @classmethod
    def decode(cls, text: str) -> Watermark:
        """The inverse of `encode`; also reads a plain ISO timestamp (the old cursor format)."""
        stamp, _, record_id = text.strip().partition(" ")
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return cls(parsed, record_id.strip())


#: Where a read starts: after a `Watermark`, after a second (datetime), or from the start.
Since: TypeAlias = "Watermark | datetime | None"


class Page(NamedTuple, Generic[R]):
    """One page of a read: its records, the highest ``SystemModstamp`` so far, and the
    position to resume after (the watermark of the page's last record)."""

    records: list[R]
    high_water: datetime | None
    position: Watermark | None = None


class CampaignMemberEvent(NamedTuple):
    """A campaign membership as a community event, with the contact as a `Member`.

    ``member.key`` is ``"salesforce:{ContactId}"`` and ``member.email`` the contact's
    email: store the member with the other sources' members and identity resolution ties it
    (by email) to the same person's Discourse/Slack accounts; or map ``member.email`` to a
    member key directly and ``dataclasses.replace(event, member_key=...)``.
    """

    member: Member
    event: SourceEvent


class SalesforceCrm:
    """Reads the org's users, accounts, contacts, opportunities and campaign members;
    writes tasks, campaign members, account scores and opportunity flags."""

    def __init__(
        self,
        client: Salesforce,
        *,
        policy: RetryPolicy | None = None,
        plan_field: str | None = "Plan__c",
        value_field: str | None = "AnnualRevenue",
        task_key_field: str = "Community_Action_Key__c",
        score_field: str = "Community_Score__c",
        tier_field: str = "Community_Tier__c",
        last_activity_field: str = "Community_Last_Activity__c",
        influenced_field: str = "Community_Influenced__c",
        sso_field: str | None = None,
        velocity_field: str = "Community_Velocity__c",
    ) -> None:
        for name in (plan_field, value_field, task_key_field, score_field, tier_field,
                     last_activity_field, influenced_field, sso_field, velocity_field):
            if name is not None and not _FIELD_NAME.fullmatch(name):
                raise ValueError(f"not a Salesforce field name: {name!r}")
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self.plan_field = plan_field
        self.value_field = value_field
        self.task_key_field = task_key_field
        self.score_field = score_field
        self.tier_field = tier_field
        self.last_activity_field = last_activity_field
        self.velocity_field = velocity_field
        self.influenced_field = influenced_field
        self.sso_field = sso_field
        remember_retry_after(client.session)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.policy.call(translated, fn, *args, **kwargs)

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """(used, allowed) API requests of the org, from the last response's header."""
        usage = self.client.api_usage.get("api-usage")
        return (usage.used, usage.total) if usage is not None else None

    # -- reads -----------------------------------------------------------------------------
    def _soql(self, sobject: str, fields: Iterable[str | None], since: Since,
              where: str | None = None) -> str:
        """``SELECT … FROM sobject [WHERE … after since] ORDER BY SystemModstamp, Id``.

        ``since`` as a `Watermark` resumes after that record; a bare datetime means
        "changed after that second" (``SystemModstamp > since``).
        """
        stamp = since.stamp if isinstance(since, Watermark) else since
        if stamp is not None and stamp.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        chosen = list(dict.fromkeys(f for f in (*fields, "SystemModstamp", "Id") if f))
        conditions = [f"({where})"] if where else []
        if isinstance(since, Watermark):
            conditions.append(format_soql(
                "(SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > {id}))",
                stamp=since.stamp, id=since.id))
        elif since is not None:
            conditions.append(format_soql("SystemModstamp > {}", since))
        return format_soql(
            "SELECT {:literal} FROM {:literal}{:literal} ORDER BY SystemModstamp ASC, Id ASC",
            ", ".join(chosen), sobject,
            " WHERE " + " AND ".join(conditions) if conditions else "",
        )

    def _pages(
        self, soql: str, since: Since, convert: Callable[[dict[str, Any]], R]
    ) -> Iterator[Page[R]]:
        position = since if isinstance(since, Watermark) else None
        high = since.stamp if isinstance(since, Watermark) else since
        result = self._call(self.client.query, soql)
        while True:
            records = list(result.get("records") or [])
            for record in records:
                stamp = _parse_datetime(record.get("SystemModstamp"))
                if stamp is None:
                    continue
                if high is None or stamp > high:
                    high = stamp
                # Rows come in (SystemModstamp, Id) order: the last one is the position.
                position = Watermark(stamp, str(record.get("Id") or ""))
            yield Page([convert(r) for r in records], high, position)
            next_url = result.get("nextRecordsUrl")
            if result.get("done", True) or not next_url:
                return
            result = self._call(self.client.query_more, next_url, identifier_is_url=True)

    def owner_pages(self, since: Since = None) -> Iterator[Page[CrmOwner]]:
        """Users (the owners of accounts, who receive alerts)."""
        soql = self._soql("User", ("Id", "Email", "Name"), since)
        return self._pages(soql, since, lambda u: CrmOwner(
            id=u["Id"], email=u.get("Email") or None, name=u.get("Name") or None))

    def account_pages(self, since: Since = None) -> Iterator[Page[CrmAccount]]:
        """Accounts changed after ``since``; the domain comes from ``Website``."""
        fields = ("Id", "Name", "Website", "OwnerId", self.plan_field, self.value_field)
        return self._pages(self._soql("Account", fields, since), since, self._account)

    def _account(self, a: dict[str, Any]) -> CrmAccount:
        return CrmAccount(
            id=a["Id"],
            name=a.get("Name") or f"Account {a['Id']}",
            domain=domain_of(a.get("Website")),
            owner_id=a.get("OwnerId") or None,
            plan=str(a[self.plan_field]) if self.plan_field and a.get(self.plan_field) else None,
            value=_number(a.get(self.value_field)) if self.value_field else 0.0,
        )

    def _contact_fields(self) -> tuple[str | None, ...]:
        return ("Id", "Email", "AccountId", "FirstName", "LastName", self.sso_field)

    def contact_pages(self, since: Since = None) -> Iterator[Page[CrmContact]]:
        """Contacts changed after ``since``, with their account."""
        return self._pages(self._soql("Contact", self._contact_fields(), since), since,
                           self._contact)

    def _contact(self, c: dict[str, Any]) -> CrmContact:
        name = " ".join(p for p in (c.get("FirstName"), c.get("LastName")) if p)
        sso = c.get(self.sso_field) if self.sso_field else None
        return CrmContact(id=c["Id"], email=c.get("Email") or None,
                          account_id=c.get("AccountId") or None, name=name or None,
                          sso_id=str(sso) if sso else None)

    def contact_by_email(self, email: str) -> CrmContact | None:
        """The oldest contact with this email (Salesforce compares case-insensitively)."""
        fields = ", ".join(f for f in self._contact_fields() if f)
        soql = format_soql(
            "SELECT {:literal} FROM Contact WHERE Email = {} ORDER BY CreatedDate ASC LIMIT 1",
            fields, email,
        )
        records = self._call(self.client.query, soql).get("records") or []
        return self._contact(records[0]) if records else None

    def opportunity_pages(self, since: Since = None) -> Iterator[Page[CrmOpportunity]]:
        """Opportunities changed after ``since``; a won one is an upgrade for attribution."""
        fields = ("Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "IsWon",
                  self.influenced_field)
        return self._pages(self._soql("Opportunity", fields, since), since, self._opportunity)

    def _opportunity(self, o: dict[str, Any]) -> CrmOpportunity:
        return CrmOpportunity(
            id=o["Id"],
            account_id=o.get("AccountId") or None,
            name=o.get("Name") or None,
            stage=o.get("StageName") or None,
            amount=_number(o.get("Amount")),
            closed_at=_parse_datetime(o.get("CloseDate")),
            is_won=bool(o.get("IsWon")),
            community_influenced=bool(o.get(self.influenced_field)),
        )

    def campaign_member_events(
        self, since: Since = None
    ) -> Iterator[Page[CampaignMemberEvent]]:
        """Campaign memberships of contacts (webinar registrations and attendance).

        ``kind`` is ``campaign_member``, ``category`` the campaign's type and name
        ("Webinar / Scaling flows"), ``tags`` the member status ("Attended", "Sent"):
        classification decides which count as ``webinar_attended``. ``occurred_at`` is the
        day the contact responded, else the campaign's start, else when the membership was
        created. One event per membership (``campaign_member:{Id}``): a status that
        changes later comes back on the next incremental read with the same event id.
        """
        fields = ("Id", "CampaignId", "ContactId", "Status", "FirstRespondedDate",
                  "CreatedDate", "Campaign.Name", "Campaign.Type", "Campaign.StartDate",
                  "Contact.Email", "Contact.FirstName", "Contact.LastName")
        soql = self._soql("CampaignMember", fields, since, where="ContactId != null")
        return self._pages(soql, since, self._campaign_member)

    def _campaign_member(self, m: dict[str, Any]) -> CampaignMemberEvent:
        campaign = m.get("Campaign") or {}
        contact = m.get("Contact") or {}
        contact_id = m["ContactId"]
        email = contact.get("Email") or None
        name = " ".join(p for p in (contact.get("FirstName"), contact.get("LastName")) if p)
        key = f"{SERVICE}:{contact_id}"
        occurred = (_parse_datetime(m.get("FirstRespondedDate"))
                    or _parse_datetime(campaign.get("StartDate"))
                    or _parse_datetime(m.get("CreatedDate"))
                    or _parse_datetime(m.get("SystemModstamp")))
        category = " / ".join(p for p in (campaign.get("Type"), campaign.get("Name")) if p)
        event = SourceEvent(
            source=SERVICE,
            source_event_id=f"campaign_member:{m['Id']}",
            member_key=key,
            kind="campaign_member",
            occurred_at=occurred or datetime.now(UTC),
            url=f"https://{self.client.sf_instance}/{m['Id']}",
            title=campaign.get("Name") or None,
            category=category or None,
            tags=(m["Status"],) if m.get("Status") else (),
        )
        member = Member(key=key, source=SERVICE, external_id=contact_id,
                        username=email or contact_id, email=email, name=name or None)
        return CampaignMemberEvent(member, event)

    # -- writes ----------------------------------------------------------------------------
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
        """Create (or update) the task for action ``key`` on an account; returns its id.

        Upserted by ``task_key_field`` (External ID, Unique), so a re-run finds the same
        task. ``maybe_sent_at`` (when an earlier attempt may have reached Salesforce) is
        accepted for the executor's sake and not needed: the upsert by key settles an
        ambiguous attempt by itself. ``Status`` is left to the org's default on creation
        and never sent again: a re-run does not reopen a task the owner already completed.
        """
        del maybe_sent_at  # the external-id upsert is idempotent whatever happened before
        data = self._task_fields(TaskSpec(key, company_id, subject, body, due, owner_id, priority))
        ref = format_external_id(self.task_key_field, key)
        response = self._call(self.client.Task.upsert, ref, data, raw_response=True)
        if response.status_code != 204 and response.content:
            task_id = response.json().get("id")
            if task_id:
                return str(task_id)
        # Before API 46.0 an update answers 204 without a body: ask for the id.
        return str(self._call(self.client.Task.get, ref)["Id"])

    def create_tasks(self, specs: Sequence[TaskSpec]) -> TaskBatch:
        """Upsert many tasks by their key, 200 a call (sObject Collections with the external id
        field): idempotent, so an ambiguous earlier attempt needs no lookup; each record
        succeeds or fails alone (``allOrNone`` false). ``Status`` is never sent (see `upsert_task`)."""
        ids: dict[str, str] = {}
        failed: dict[str, str] = {}
        for start in range(0, len(specs), COLLECTION_SIZE):
            chunk = list(specs[start:start + COLLECTION_SIZE])
            records = [{"attributes": {"type": "Task"}, self.task_key_field: s.key, **self._task_fields(s)}
                       for s in chunk]
            body = {"allOrNone": False, "records": records}
            path = f"composite/sobjects/Task/{self.task_key_field}"
            results = self._call(self.client.restful, path, method="PATCH", json=body) or []
            for index, spec in enumerate(chunk):
                result = results[index] if index < len(results) else {}
                if result.get("success") and result.get("id"):
                    ids[spec.key] = str(result["id"])
                else:
                    failed[spec.key] = "; ".join(f"{e.get('statusCode')}: {e.get('message')}"
                                                 for e in result.get("errors") or []) or "no result for this record"
        return TaskBatch(ids, failed, {})

    @staticmethod
    def _task_fields(spec: TaskSpec) -> dict[str, Any]:
        """A task's fields but its key and ``Status``: subject, description, account, due date, priority, owner."""
        data: dict[str, Any] = {
            "Subject": spec.subject[:255],
            "Description": spec.body[:32000],
            "WhatId": spec.company_id,
            "ActivityDate": spec.due.astimezone(UTC).date().isoformat(),
            "Priority": PRIORITIES.get(spec.priority.upper(), "Normal"),
        }
        if spec.owner_id:
            data["OwnerId"] = spec.owner_id
        return data

    def tasks_closed(self, task_ids: Iterable[str]) -> dict[str, bool]:
        """Task id → ``IsClosed`` (the owner completed it), for SLA checks.

        Queried ``IDS_PER_QUERY`` ids at a time. Ids Salesforce does not return (deleted,
        never existed, not an id at all) are absent from the answer. Keys are the ids as
        given (a 15-character id is matched to the 18-character one Salesforce returns).
        """
        wanted = [t for t in dict.fromkeys(task_ids) if _RECORD_ID.fullmatch(t or "")]
        closed: dict[str, bool] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            chunk = wanted[start:start + IDS_PER_QUERY]
            asked = {task_id[:15]: task_id for task_id in chunk}
            soql = format_soql("SELECT Id, IsClosed FROM Task WHERE Id IN {}", chunk)
            for record in self._records(soql):
                record_id = str(record["Id"])
                closed[asked.get(record_id[:15], record_id)] = bool(record.get("IsClosed"))
        return closed

    def _records(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record of a query, following ``nextRecordsUrl``."""
        result = self._call(self.client.query, soql)
        while True:
            yield from result.get("records") or []
            next_url = result.get("nextRecordsUrl")
            if result.get("done", True) or not next_url:
                return
            result = self._call(self.client.query_more, next_url, identifier_is_url=True)

    def add_campaign_member(
        self, campaign_id: str, contact_id: str, status: str | None = None
    ) -> str | None:
        """Add a contact to a campaign; returns the membership id. Already a member is not
        an error: the existing membership's id is returned (None if it cannot be seen)."""
        data = {"CampaignId": campaign_id, "ContactId": contact_id}
        if status:
            data["Status"] = status

        def create() -> str | None:
            try:
                return str(self.client.CampaignMember.create(data)["id"])
            except SalesforceMalformedRequest as err:
                if "DUPLICATE_VALUE" in error_codes(err):
                    return None
                raise

        created = self._call(create)
        if created is not None:
            return created
        soql = format_soql(
            "SELECT Id FROM CampaignMember WHERE CampaignId = {} AND ContactId = {} LIMIT 1",
            campaign_id, contact_id,
        )
        records = self._call(self.client.query, soql).get("records") or []
        return str(records[0]["Id"]) if records else None

    def add_campaign_members(
        self, campaign_id: str, contact_ids: Sequence[str], status: str | None = None
    ) -> BatchResult:
        """Add contacts to a campaign (nurture, newsletter), 200 a call; keyed by contact id.

        A contact already in the campaign (DUPLICATE_VALUE) is done: membership is
        idempotent by nature, so a repeated or retried batch (a lost answer included) adds
        nobody twice. Its existing membership keeps its status. Any other refusal (a
        contact that does not exist, a bad status) is in ``failed`` with Salesforce's reason.
        """
        keys = list(dict.fromkeys(contact_ids))
        records = [{"attributes": {"type": "CampaignMember"}, "CampaignId": campaign_id,
                    "ContactId": contact_id, **({"Status": status} if status else {})}
                   for contact_id in keys]
        return self._save_collection("POST", keys, records, already_done=frozenset({"DUPLICATE_VALUE"}))

    def write_account_scores(self, rows: Sequence[AccountScoreUpdate]) -> BatchResult:
        """Write score, tier, velocity and last activity onto accounts, 200 a call.

        Records are independent (``allOrNone`` false): an account deleted meanwhile is
        reported in ``failed`` and does not block the others. A row whose score or velocity
        is not a finite number is failed here without being sent (Salesforce would refuse
        the whole call's JSON). The last row of an account wins. Safe to repeat.
        """
        latest: dict[str, AccountScoreUpdate] = {}
        for row in rows:
            if row.last_activity_at is not None and row.last_activity_at.tzinfo is None:
                raise ValueError(f"last_activity_at of {row.account_id} must be timezone-aware")
            latest[row.account_id] = row
        failed: dict[str, str] = {}
        keys: list[str] = []
        records: list[dict[str, Any]] = []
        for account_id, row in latest.items():
            if not (math.isfinite(row.score) and math.isfinite(row.velocity)):
                failed[account_id] = (f"not written: score {row.score!r} and velocity "
                                      f"{row.velocity!r} must be finite numbers")
                continue
            keys.append(account_id)
            records.append({
                "attributes": {"type": "Account"}, "Id": account_id,
                self.score_field: round(float(row.score), 2), self.tier_field: row.tier,
                self.velocity_field: round(float(row.velocity), 2),
                self.last_activity_field: _iso(row.last_activity_at),
            })
        sent = self._save_collection("PATCH", keys, records)
        return BatchResult(sent.done, {**failed, **sent.failed})

    def flag_opportunities(self, ids: Iterable[str]) -> BatchResult:
        """Tick ``Community_Influenced__c`` on these opportunities. Safe to repeat."""
        keys = list(dict.fromkeys(ids))
        records = [{"attributes": {"type": "Opportunity"}, "Id": oid, self.influenced_field: True}
                   for oid in keys]
        return self._save_collection("PATCH", keys, records)

    def _save_collection(
        self, method: str, keys: list[str], records: list[dict[str, Any]],
        already_done: frozenset[str] = frozenset(),
    ) -> BatchResult:
        def send(verb: str, body: dict[str, Any]) -> Any:
            return self._call(self.client.restful, "composite/sobjects", method=verb, json=body)

        return save_collection(send, method, keys, records, already_done)


# -- helpers ---------------------------------------------------------------------------------
def domain_of(website: str | None) -> str | None:
    """``https://www.Example.com/about`` → ``example.com``; None when there is none."""
    if not website or not website.strip():
        return None
    text = website.strip()
    host = urlsplit(text if "//" in text else f"//{text}").hostname
    if not host:
        return None
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


def _number(value: Any) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _parse_datetime(value: Any) -> datetime | None:
    """A Salesforce datetime (``…T12:00:00.000+0000``) or date (midnight UTC), else None."""
    if not value:
        return None
    text = str(value)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        parsed = datetime.fromisoformat(text)  # also reads "Z" and "+0000" (Python 3.11+)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
