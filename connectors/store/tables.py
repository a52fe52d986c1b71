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
    Table,
    UniqueConstraint,
    false,
    func,
    text,
)

from .coltypes import CleanString, CleanText, JSONDocument, UTCDateTime

__all__ = [
    "LEDGER_STATUSES",
    "action_ledger",
    "activities",
    "crm_accounts",
    "crm_contacts",
    "crm_opportunities",
    "crm_owners",
    "crm_writeback",
    "held_events",
    "identity_matches",
    "identity_overrides",
    "identity_people",
    "identity_unmatched",
    "inbound_events",
    "members",
    "metadata",
    "privacy_opt_outs",
    "quarantine",
    "signal_state",
    "sync_cursors",
    "thread_owners",
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
    Column("key", CleanString, primary_key=True),
    Column("source", CleanString, nullable=False),
    Column("external_id", CleanString, nullable=False),
    Column("username", CleanString, nullable=False),
    Column("email", CleanString),
    Column("name", CleanString),
    Column("company", CleanString),
    Column("is_staff", Boolean, nullable=False, server_default=false()),
    Column("is_bot", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sso_id", CleanString),
    Index("ix_members_sso_id", "sso_id"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("source", CleanString, nullable=False),
    Column("source_event_id", CleanString, nullable=False),
    Column("member_key", CleanString, nullable=False),
    Column("type", CleanString, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("url", CleanText),
    Column("title", CleanText),
    Column("excerpt", CleanText),
    Column("ingested_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "source_event_id", name="uq_activities_source_event"),
    Index("ix_activities_member_key", "member_key"),
    Index("ix_activities_occurred_at", "occurred_at"),
)

crm_owners = Table(
    "crm_owners",
    metadata,
    Column("crm", CleanString, primary_key=True),
    Column("id", CleanString, primary_key=True),
    Column("email", CleanString),
    Column("name", CleanString),
    Column("updated_at", UTCDateTime, nullable=False),
)

crm_accounts = Table(
    "crm_accounts",
    metadata,
    Column("crm", CleanString, primary_key=True),
    Column("id", CleanString, primary_key=True),
    Column("name", CleanString, nullable=False),
    Column("domain", CleanString),
    Column("owner_id", CleanString),
    Column("plan", CleanString),
    Column("value", Float, nullable=False, server_default=text("0")),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_crm_accounts_domain", "domain"),
)

crm_opportunities = Table(
    "crm_opportunities",
    metadata,
    Column("crm", CleanString, primary_key=True),
    Column("id", CleanString, primary_key=True),
    Column("account_id", CleanString),
    Column("name", CleanString),
    Column("stage", CleanString),
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
    Column("source", CleanString, primary_key=True),
    Column("event_id", CleanString, primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
)

crm_contacts = Table(
    "crm_contacts",
    metadata,
    Column("crm", CleanString, primary_key=True),
    Column("id", CleanString, primary_key=True),
    Column("email", CleanString),
    Column("account_id", CleanString),
    Column("name", CleanString),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sso_id", CleanString),
    Index("ix_crm_contacts_sso_id", "sso_id"),
)
Index("ix_crm_contacts_email_lower", func.lower(crm_contacts.c.email))

identity_matches = Table(
    "identity_matches",
    metadata,
    Column("member_key", CleanString, primary_key=True),
    Column("account_id", CleanString, nullable=False),
    Column("contact_id", CleanString),
    Column("method", CleanString, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

identity_unmatched = Table(
    "identity_unmatched",
    metadata,
    Column("member_key", CleanString, primary_key=True),
    Column("reason", CleanText, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: The operator's word: member_key → account_id, NULL meaning "never match this member".
identity_overrides = Table(
    "identity_overrides",
    metadata,
    Column("member_key", CleanString, primary_key=True),
    Column("account_id", CleanString),
    Column("note", CleanText, nullable=False, server_default=text("''")),
    Column("created_at", UTCDateTime, nullable=False),
)

#: member_key → person_key of the last resolution (one person across sources).
identity_people = Table(
    "identity_people",
    metadata,
    Column("member_key", CleanString, primary_key=True),
    Column("person_key", CleanString, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_identity_people_person_key", "person_key"),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("name", CleanString, primary_key=True),
    Column("value", CleanText, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: What score write-back last put on each CRM account (migration 0008, `connectors.store.writeback`).
crm_writeback = Table(
    "crm_writeback",
    metadata,
    Column("crm", CleanString, primary_key=True),
    Column("account_id", CleanString, primary_key=True),
    Column("score", Float, nullable=False),
    Column("tier", CleanString),
    Column("velocity", Float, nullable=False),
    Column("last_activity_at", UTCDateTime),
    Column("written_at", UTCDateTime, nullable=False),
)

#: Who started each thread (a Discourse topic), learned once ever (migration 0009, `connectors.store.threads`).
thread_owners = Table(
    "thread_owners",
    metadata,
    Column("source", CleanString, primary_key=True),
    Column("thread_id", CleanString, primary_key=True),
    Column("owner_key", CleanString),
    Column("learned_at", UTCDateTime, nullable=False),
)

#: Replies read before their thread's starter is known, held until it is (migration 0009).
held_events = Table(
    "held_events",
    metadata,
    Column("source", CleanString, primary_key=True),
    Column("source_event_id", CleanString, primary_key=True),
    Column("thread_id", CleanString, nullable=False),
    Column("member_key", CleanString, nullable=False),
    Column("event", JSONDocument, nullable=False),
    Column("held_at", UTCDateTime, nullable=False),
    Index("ix_held_events_thread", "source", "thread_id"),
)

signal_state = Table(
    "signal_state",
    metadata,
    Column("signal", CleanString, primary_key=True),
    Column("entity_id", CleanString, primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
)

tier_state = Table(
    "tier_state",
    metadata,
    Column("kind", CleanString, primary_key=True),
    Column("entity_id", CleanString, primary_key=True),
    Column("tier", CleanString),
    Column("score", Float, nullable=False),
    Column("episode", Integer, nullable=False, server_default=text("0")),
    Column("since", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

action_ledger = Table(
    "action_ledger",
    metadata,
    Column("key", CleanString, primary_key=True),
    Column("kind", CleanString, nullable=False),
    Column("status", CleanString, nullable=False),
    Column("payload", JSONDocument, nullable=False),
    Column("external_id", CleanString),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", CleanText),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The run performing the action and until when it may (migration 0004).
    Column("claimed_by", CleanString),
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
    Column("source", CleanString, nullable=False),
    Column("ref", CleanText),
    Column("reason", CleanText, nullable=False),
    Column("payload", CleanText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # sha256 of the ref, or of the payload when there is none: one row per bad record (0005).
    Column("fingerprint", CleanString, nullable=False),
    Index("uq_quarantine_source_fingerprint", "source", "fingerprint", unique=True),
)

#: Forgotten people (migration 0006): SHA-256 digests of emails, member keys and thread titles,
#: never the values, so keeping someone out stores nothing about them (`connectors.store.privacy`).
privacy_opt_outs = Table(
    "privacy_opt_outs",
    metadata,
    Column("digest", CleanString, primary_key=True),
    Column("kind", CleanString, nullable=False),
    Column("reason", CleanText, nullable=False, server_default=text("''")),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('email', 'member', 'title')", name="ck_privacy_opt_outs_kind"),
)
