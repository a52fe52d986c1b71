"""The state database's tables, as SQLAlchemy Core `Table` objects.

This is the runtime view the store queries through; the schema itself is created by the
hand-written Alembic revisions in ``migrations/versions`` and must be kept in step with it
(``tests/connectors/store`` compares the two).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)

from .coltypes import JSONDocument, UTCDateTime

__all__ = [
    "LEDGER_STATUSES",
    "action_ledger",
    "activities",
    "crm_accounts",
    "crm_contacts",
    "crm_opportunities",
    "crm_owners",
    "identity_matches",
    "identity_overrides",
    "identity_people",
    "identity_unmatched",
    "inbound_events",
    "members",
    "metadata",
    "quarantine",
    "sync_cursors",
    "tier_state",
]

#: The life of an action: recorded before it is attempted, claimed by one run
#: (``in_flight``, with an owner and a lease) while it is performed, then done or failed.
LEDGER_STATUSES: tuple[str, ...] = ("pending", "in_flight", "done", "failed")

metadata = MetaData()

#: SQLite only autoincrements an ``INTEGER PRIMARY KEY``; PostgreSQL gets 64 bits.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

members = Table(
    "members",
    metadata,
    Column("key", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("external_id", String, nullable=False),
    Column("username", String, nullable=False),
    Column("email", String),
    Column("name", String),
    Column("company", String),
    Column("is_staff", Boolean, nullable=False, server_default=false()),
    Column("is_bot", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sso_id", String),
    Index("ix_members_sso_id", "sso_id"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("source_event_id", String, nullable=False),
    Column("member_key", String, nullable=False),
    Column("type", String, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("url", Text),
    Column("title", Text),
    Column("excerpt", Text),
    Column("ingested_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "source_event_id", name="uq_activities_source_event"),
    Index("ix_activities_member_key", "member_key"),
    Index("ix_activities_occurred_at", "occurred_at"),
)

crm_owners = Table(
    "crm_owners",
    metadata,
    Column("crm", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("email", String),
    Column("name", String),
    Column("updated_at", UTCDateTime, nullable=False),
)

crm_accounts = Table(
    "crm_accounts",
    metadata,
    Column("crm", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("domain", String),
    Column("owner_id", String),
    Column("plan", String),
    Column("value", Float, nullable=False, server_default=text("0")),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_crm_accounts_domain", "domain"),
)

crm_opportunities = Table(
    "crm_opportunities",
    metadata,
    Column("crm", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("account_id", String),
    Column("name", String),
    Column("stage", String),
    Column("amount", Float, nullable=False, server_default=text("0")),
    Column("closed_at", UTCDateTime),
    Column("is_won", Boolean, nullable=False, server_default=false()),
    Column("community_influenced", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_crm_opportunities_account_id", "account_id"),
)

inbound_events = Table(
    "inbound_events",
    metadata,
    Column("source", String, primary_key=True),
    Column("event_id", String, primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
)

crm_contacts = Table(
    "crm_contacts",
    metadata,
    Column("crm", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("email", String),
    Column("account_id", String),
    Column("name", String),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sso_id", String),
    Index("ix_crm_contacts_sso_id", "sso_id"),
)
Index("ix_crm_contacts_email_lower", func.lower(crm_contacts.c.email))

identity_matches = Table(
    "identity_matches",
    metadata,
    Column("member_key", String, primary_key=True),
    Column("account_id", String, nullable=False),
    Column("contact_id", String),
    Column("method", String, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

identity_unmatched = Table(
    "identity_unmatched",
    metadata,
    Column("member_key", String, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: The operator's word: member_key → account_id, NULL meaning "never match this member".
identity_overrides = Table(
    "identity_overrides",
    metadata,
    Column("member_key", String, primary_key=True),
    Column("account_id", String),
    Column("note", Text, nullable=False, server_default=text("''")),
    Column("created_at", UTCDateTime, nullable=False),
)

#: member_key → person_key of the last resolution (one person across sources).
identity_people = Table(
    "identity_people",
    metadata,
    Column("member_key", String, primary_key=True),
    Column("person_key", String, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_identity_people_person_key", "person_key"),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

tier_state = Table(
    "tier_state",
    metadata,
    Column("kind", String, primary_key=True),
    Column("entity_id", String, primary_key=True),
    Column("tier", String),
    Column("score", Float, nullable=False),
    Column("episode", Integer, nullable=False, server_default=text("0")),
    Column("since", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

action_ledger = Table(
    "action_ledger",
    metadata,
    Column("key", String, primary_key=True),
    Column("kind", String, nullable=False),
    Column("status", String, nullable=False),
    Column("payload", JSONDocument, nullable=False),
    Column("external_id", String),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The run performing the action and until when it may (migration 0004).
    Column("claimed_by", String),
    Column("lease_until", UTCDateTime),
    CheckConstraint(
        "status IN ('pending', 'in_flight', 'done', 'failed')", name="ck_action_ledger_status"
    ),
    Index("ix_action_ledger_status", "status"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("ref", Text),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
