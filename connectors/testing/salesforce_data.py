"""Salesforce records derived deterministically from a `Community`, plus the org's schema.

The same people and companies the other emulators serve, as a Salesforce org sees them:
Users (the CRM owners), Accounts (companies, ``Website`` instead of a domain), Contacts
(people with a CRM contact id), Opportunities, two webinar Campaigns with their
CampaignMembers, the two email campaigns the playbooks enroll contacts in ("Community
nurture" and "Community newsletter", no members yet: ``community_campaigns``), and Tasks
(empty until the connector writes some). One extra contact has an apostrophe in its email
(``o'brien@…``) so SOQL escaping is exercised. ``Task.IsClosed`` is derived from
``Status`` on every write, as the org's TaskStatus settings do (only "Completed" closes).

Records are plain dicts keyed by API field name, datetimes rendered the way the REST API
renders them (``2025-06-01T12:00:00.000+0000``). ``SystemModstamp`` has whole-second
resolution and, as in a real org, many records share a second: every contact was last
touched by one bulk update (the second the newest contact was created), the members of a
campaign were loaded together, and all records one API request writes (a collection of
200) get the same stamp. The write clock starts at ``community.now`` and ticks one second
per request that writes, so a record written during a test is newer than everything
generated.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.testing.community import Community

__all__ = [
    "CLOSED_TASK_STATUSES",
    "COMMUNITY_CAMPAIGNS",
    "FIELDS",
    "ID_PREFIXES",
    "READ_ONLY",
    "RELATIONSHIPS",
    "SalesforceData",
    "sf_datetime",
]

#: Key prefixes of the standard objects we serve.
ID_PREFIXES = {
    "User": "005", "Account": "001", "Contact": "003", "Opportunity": "006",
    "Campaign": "701", "CampaignMember": "00v", "Task": "00T",
}

_COMMON = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")

#: Queryable/writable fields per object (the org's schema incl. the custom fields an admin
#: creates for this integration). Anything else is INVALID_FIELD.
FIELDS: dict[str, frozenset[str]] = {
    "User": frozenset(_COMMON + ("Email", "Name", "FirstName", "LastName", "Username",
                                 "IsActive", "UserType")),
    "Account": frozenset(_COMMON + ("Name", "Website", "OwnerId", "Plan__c", "AnnualRevenue",
                                    "Industry", "Community_Score__c", "Community_Tier__c",
                                    "Community_Velocity__c", "Community_Last_Activity__c")),
    "Contact": frozenset(_COMMON + ("Email", "AccountId", "FirstName", "LastName", "Name",
                                    "OwnerId")),
    "Opportunity": frozenset(_COMMON + ("AccountId", "Name", "StageName", "Amount", "CloseDate",
                                        "IsWon", "IsClosed", "OwnerId",
                                        "Community_Influenced__c")),
    "Campaign": frozenset(_COMMON + ("Name", "Type", "Status", "StartDate", "IsActive")),
    "CampaignMember": frozenset(_COMMON + ("CampaignId", "ContactId", "LeadId", "Status",
                                           "HasResponded", "FirstRespondedDate")),
    "Task": frozenset(_COMMON + ("Subject", "Description", "WhatId", "WhoId", "OwnerId",
                                 "ActivityDate", "Status", "Priority", "IsClosed",
                                 "Community_Action_Key__c")),
}

#: Relationship name → (lookup field, target object), per object, for ``Campaign.Name``.
RELATIONSHIPS: dict[str, dict[str, tuple[str, str]]] = {
    "Account": {"Owner": ("OwnerId", "User")},
    "Contact": {"Account": ("AccountId", "Account"), "Owner": ("OwnerId", "User")},
    "Opportunity": {"Account": ("AccountId", "Account"), "Owner": ("OwnerId", "User")},
    "CampaignMember": {"Campaign": ("CampaignId", "Campaign"), "Contact": ("ContactId", "Contact")},
    "Task": {"What": ("WhatId", "Account"), "Who": ("WhoId", "Contact"), "Owner": ("OwnerId", "User")},
}

#: Fields the server maintains (or derives); a write that sets them is refused.
READ_ONLY: dict[str, frozenset[str]] = {
    name: frozenset({"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"})
    | extra
    for name, extra in {
        "User": frozenset({"Name"}), "Account": frozenset(), "Contact": frozenset({"Name"}),
        "Opportunity": frozenset({"IsWon", "IsClosed"}), "Campaign": frozenset(),
        "CampaignMember": frozenset({"HasResponded", "FirstRespondedDate"}),
        "Task": frozenset({"IsClosed"}),
    }.items()
}

WEBINARS = (
    ("Webinar: Scaling flows to millions of tasks", "Webinar", 30),
    ("Webinar: Event-driven automations", "Webinar", 9),
)
#: The campaigns the nurture and newsletter playbooks add contacts to: key → (Name, Type).
COMMUNITY_CAMPAIGNS = {
    "nurture": ("Community nurture", "Email"),
    "newsletter": ("Community newsletter", "Email"),
}
#: Task statuses the org's TaskStatus settings mark closed (the default org: Completed).
CLOSED_TASK_STATUSES = frozenset({"Completed"})


def sf_datetime(value: datetime) -> str:
    """A datetime as Salesforce renders it: ``2025-06-01T12:00:00.000+0000`` (UTC, whole
    seconds: the org stores datetimes to the second)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _sf_id(prefix: str, n: int) -> str:
    return f"{prefix}Dx{n:010d}AAA"


class SalesforceData:
    """An org's records in memory: ``objects[sobject][id] -> fields``; thread-safe writes."""

    def __init__(self, community: Community) -> None:
        self.community = community
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FIELDS}
        self._counters = {name: 0 for name in FIELDS}
        self._clock = community.now
        self._request_stamp: str | None = None
        self._in_request = False
        self.user_of_owner: dict[str, str] = {}
        self.account_of_company: dict[str, str] = {}
        self.contact_of_person: dict[int, str] = {}
        #: "nurture"/"newsletter" → the id of that seeded campaign (see COMMUNITY_CAMPAIGNS).
        self.community_campaigns: dict[str, str] = {}
        self._derive()

    # -- derivation ------------------------------------------------------------------------
    def _derive(self) -> None:
        c = self.community
        now = c.now
        with c.lock:
            for i, owner in enumerate(c.owners):
                uid = self._add("User", now - timedelta(days=900 - i), {
                    "Email": owner.email, "FirstName": owner.first_name,
                    "LastName": owner.last_name, "Name": f"{owner.first_name} {owner.last_name}",
                    "Username": owner.email, "IsActive": True, "UserType": "Standard"})
                self.user_of_owner[owner.id] = uid
            for company in c.companies:
                aid = self._add("Account", company.created_at or now - timedelta(days=400), {
                    "Name": company.name, "Website": f"https://www.{company.domain}",
                    "OwnerId": self.user_of_owner.get(company.owner_id),
                    "Plan__c": company.plan, "AnnualRevenue": company.annual_revenue,
                    "Industry": None, "Community_Score__c": None, "Community_Tier__c": None,
                    "Community_Velocity__c": None, "Community_Last_Activity__c": None})
                self.account_of_company[company.id] = aid
            for person in c.people:
                if not person.contact_id:
                    continue
                first, _, last = person.name.partition(" ")
                account = self.account_of_company.get(person.company_id or "")
                cid = self._add("Contact", person.created_at, {
                    "Email": person.email, "AccountId": account, "FirstName": first or None,
                    "LastName": last or first, "Name": person.name,
                    "OwnerId": self.objects["Account"][account]["OwnerId"] if account else None})
                self.contact_of_person[person.id] = cid
            self._bulk_touch("Contact")
            if c.companies:
                company = c.companies[0]
                account = self.account_of_company[company.id]
                self.apostrophe_contact_id = self._add("Contact", now - timedelta(days=50), {
                    "Email": f"o'brien@{company.domain}", "AccountId": account,
                    "FirstName": "Siobhán", "LastName": "O'Brien", "Name": "Siobhán O'Brien",
                    "OwnerId": self.objects["Account"][account]["OwnerId"]})
            stages = (("Closed Won", True, True), ("Prospecting", False, False),
                      ("Closed Lost", True, False), ("Negotiation/Review", False, False))
            for i, company in enumerate(c.companies[::3]):
                stage, closed, won = stages[i % len(stages)]
                account = self.account_of_company[company.id]
                close = (now - timedelta(days=5 + (i * 7) % 90)).date()
                self._add("Opportunity", now - timedelta(days=100 + i), {
                    "AccountId": account, "Name": f"{company.name} — {company.plan} upgrade",
                    "StageName": stage, "Amount": float(5000 + (i * 3779) % 95000),
                    "CloseDate": close.isoformat(), "IsClosed": closed, "IsWon": won,
                    "OwnerId": self.objects["Account"][account]["OwnerId"],
                    "Community_Influenced__c": False})
            campaigns = []
            for name, kind, days_ago in WEBINARS:
                start = (now - timedelta(days=days_ago)).date()
                campaigns.append((self._add("Campaign", now - timedelta(days=days_ago + 20), {
                    "Name": name, "Type": kind, "Status": "Completed",
                    "StartDate": start.isoformat(), "IsActive": True}), start))
            contacts = sorted(self.objects["Contact"])
            for i, contact_id in enumerate(contacts[: 3 * len(contacts) // 10]):
                campaign_id, start = campaigns[i % len(campaigns)]
                attended = i % 3 != 2
                self._add("CampaignMember", datetime.combine(
                    start, datetime.min.time(), UTC) + timedelta(hours=2), {
                    "CampaignId": campaign_id, "ContactId": contact_id, "LeadId": None,
                    "Status": "Attended" if attended else "Sent", "HasResponded": attended,
                    "FirstRespondedDate": start.isoformat() if attended else None})
            for key, (name, kind) in COMMUNITY_CAMPAIGNS.items():
                self.community_campaigns[key] = self._add("Campaign", now - timedelta(days=120), {
                    "Name": name, "Type": kind, "Status": "In Progress",
                    "StartDate": (now - timedelta(days=90)).date().isoformat(), "IsActive": True})

    def _add(self, sobject: str, when: datetime, fields: dict[str, Any]) -> str:
        """A generated record, stamped ``when`` (in the past)."""
        self._counters[sobject] += 1
        rid = _sf_id(ID_PREFIXES[sobject], self._counters[sobject])
        stamp = sf_datetime(when)
        self.objects[sobject][rid] = {"Id": rid, "CreatedDate": stamp, "LastModifiedDate": stamp,
                                      "SystemModstamp": stamp, "IsDeleted": False, **fields}
        return rid

    def _bulk_touch(self, sobject: str) -> None:
        """One bulk update of every record of ``sobject``: they all share its second."""
        records = self.objects[sobject].values()
        if records:
            stamp = max(r["CreatedDate"] for r in records)
            for record in records:
                record["LastModifiedDate"] = record["SystemModstamp"] = stamp

    # -- the org at run time ---------------------------------------------------------------
    def tick(self) -> str:
        """The next write time (one second after the previous), rendered."""
        with self.lock:
            self._clock += timedelta(seconds=1)
            return sf_datetime(self._clock)

    @contextmanager
    def request(self) -> Iterator[None]:
        """One API request: every record it writes gets the same ``SystemModstamp``."""
        with self.lock:
            self._in_request, self._request_stamp = True, None
            try:
                yield
            finally:
                self._in_request, self._request_stamp = False, None

    def _write_stamp(self) -> str:
        if not self._in_request:
            return self.tick()
        if self._request_stamp is None:
            self._request_stamp = self.tick()
        return self._request_stamp

    def get(self, sobject: str, rid: str) -> dict[str, Any] | None:
        return self.objects.get(sobject, {}).get(rid)

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create a record now; returns its id."""
        with self.lock:
            self._counters[sobject] += 1
            rid = _sf_id(ID_PREFIXES[sobject], self._counters[sobject])
            stamp = self._write_stamp()
            record = {name: None for name in FIELDS[sobject]}
            record.update({"Id": rid, "CreatedDate": stamp, "LastModifiedDate": stamp,
                           "SystemModstamp": stamp, "IsDeleted": False, **fields})
            _derive_fields(sobject, record)
            self.objects[sobject][rid] = record
            return rid

    def update(self, sobject: str, rid: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change a record now (bumps SystemModstamp); KeyError when it does not exist."""
        with self.lock:
            record = self.objects[sobject][rid]
            stamp = self._write_stamp()
            record.update(fields)
            _derive_fields(sobject, record)
            record["LastModifiedDate"] = record["SystemModstamp"] = stamp
            return record

    def snapshot(self) -> Any:
        """The org's records as they are now, for `restore` (an all-or-none rollback)."""
        with self.lock:
            return copy.deepcopy((self.objects, self._counters))

    def restore(self, snapshot: Any) -> None:
        with self.lock:
            objects, counters = copy.deepcopy(snapshot)
            self.objects.clear()
            self.objects.update(objects)
            self._counters = counters

    def find(self, sobject: str, field: str, value: Any) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.objects[sobject].values() if r.get(field) == value]


def _derive_fields(sobject: str, record: dict[str, Any]) -> None:
    """Fields the org computes from others on every save (read-only to the API)."""
    if sobject == "Task":
        record["IsClosed"] = record.get("Status") in CLOSED_TASK_STATUSES
