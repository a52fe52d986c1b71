"""`Store`: the one door to the state database for flows and playbooks.

It speaks the records of `scoring.records` and hides SQL, dialects and transactions. Every
method is one transaction; `save_page` exists so that a page of pulled data and the cursor
that points past it are committed together (a crash never advances a cursor over data that
was not stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.pool import StaticPool

from scoring.frame import ActivityFrame
from scoring.records import (
    AccountScoreUpdate,
    Activity,
    CrmAccount,
    CrmContact,
    CrmOpportunity,
    CrmOwner,
    Match,
    Member,
    Resolution,
    SourceEvent,
    TierState,
)

from . import identity as _identity
from . import ledger as _ledger
from . import locks as _locks
from . import privacy as _privacy
from . import quarantine as _quarantine
from . import signal_states as _signals
from . import threads as _threads
from . import writeback as _writeback
from .columns import read_activities, read_activity_frame
from .rows import from_row, to_row
from . import tables as t
from .dml import insert_ignore, upsert
from .engine import WRITE_OPTION, default_database_url, make_engine, translate_errors
from .errors import StoreError
from .ledger import LedgerClaim, LedgerEntry
from .migrate import upgrade
from .quarantine import QuarantineEntry
from .threads import ThreadChanges

__all__ = ["SCORE_STEP", "Store"]

#: Stored tier-state scores are within this many points of the latest run's.
SCORE_STEP = 0.1


def _now() -> datetime:
    return datetime.now(timezone.utc)


R = TypeVar("R")

#: The CRM cache: one table per record type, each keyed by (crm, id).
_CRM_TABLES: dict[type, Any] = {
    CrmOwner: t.crm_owners,
    CrmAccount: t.crm_accounts,
    CrmContact: t.crm_contacts,
    CrmOpportunity: t.crm_opportunities,
}


class Store:
    """The state database: open with `Store.open`, use, then `close` (or ``with``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Connect to ``url`` (default: `default_database_url`) and migrate it to the head."""
        engine = make_engine(url or default_database_url())
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for tools and tests that need to look underneath."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL without its password, fit for logs."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def concurrent_reads(self) -> bool:
        """Whether two threads may read at once: not on one shared in-memory SQLite connection."""
        return not isinstance(self._engine.pool, StaticPool)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with translate_errors(self._engine):
            with self._engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
                with conn.begin():
                    yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with translate_errors(self._engine):
            with self._engine.connect() as conn:
                yield conn

    # -- members and activities ---------------------------------------------------------

    def upsert_members(self, members: Iterable[Member]) -> int:
        """Insert or update members by key; returns how many were written."""
        now = _now()
        with self._write() as conn:
            members = _privacy.admit_members(conn, members, now)
            return upsert(conn, t.members, (to_row(m, updated_at=now) for m in members))

    def members(self) -> list[Member]:
        """Every member, by key."""
        with self._read() as conn:
            rows = conn.execute(select(t.members).order_by(t.members.c.key))
            return [from_row(Member, r) for r in rows]

    def add_activities(self, activities: Iterable[Activity]) -> int:
        """Store new activities, skipping ones already stored; returns how many were new."""
        with self._write() as conn:
            return self._add_activities(conn, activities)

    @staticmethod
    def _add_activities(conn: Connection, activities: Iterable[Activity]) -> int:
        now = _now()
        activities = _privacy.admit_activities(conn, activities)
        rows = (to_row(a, ingested_at=now) for a in activities)
        return insert_ignore(conn, t.activities, rows, conflict=["source", "source_event_id"])

    def activities(self, since: datetime | None = None, member_keys: Iterable[str] | None = None, *,
                   types: Iterable[str] | None = None, latest: int | None = None) -> list[Activity]:
        """Activities in time order: all, or those at or after ``since``, of ``member_keys``, of ``types``.

        ``latest`` keeps each member's most recent ones only (with ``member_keys``): what a
        brief shows, without reading a busy member's whole history.
        """
        with self._read() as conn:
            return read_activities(conn, since, member_keys, types=types, latest=latest)

    def activity_frame(self) -> ActivityFrame:
        """Every activity as columns (who, what, when) for scoring: no record objects."""
        with self._read() as conn:
            return read_activity_frame(conn)

    def count_activities(self) -> int:
        """How many activities are stored."""
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(t.activities)).scalar_one()

    def save_page(
        self,
        *,
        members: Iterable[Member] = (),
        activities: Iterable[Activity] = (),
        cursor: tuple[str, str] | None = None,
        threads: ThreadChanges | None = None,
    ) -> int:
        """Store one pulled page and advance its cursor atomically; returns new activities.

        ``threads`` (starters learned, replies held or released) goes in the same transaction.
        """
        with self._write() as conn:
            now = _now()
            members = _privacy.admit_members(conn, members, now)
            upsert(conn, t.members, (to_row(m, updated_at=now) for m in members))
            inserted = self._add_activities(conn, activities)
            if threads is not None:
                self._apply_threads(conn, threads, now)
            if cursor is not None:
                self._set_cursor(conn, *cursor)
            return inserted

    @staticmethod
    def _apply_threads(conn: Connection, threads: ThreadChanges, now: datetime) -> None:
        """Apply thread changes; a forgotten member starts no thread and has no reply held."""
        keys = {o for o in threads.owners.values() if o} | {e.member_key for _, e in threads.hold}
        out = _privacy.opted_out_keys(conn, keys)
        if out:
            threads = replace(threads, owners={k: (None if v in out else v) for k, v in threads.owners.items()},
                              hold=[(k, e) for k, e in threads.hold if e.member_key not in out])
        _threads.apply(conn, threads, now)

    def thread_owners(self, source: str, thread_ids: Iterable[str]) -> dict[str, str | None]:
        """thread id → its starter's member key, for the threads whose starter is known."""
        with self._read() as conn:
            return _threads.owners(conn, source, thread_ids)

    def held_events(self, source: str, thread_ids: Iterable[str] | None = None) -> list[tuple[str, SourceEvent]]:
        """(thread id, reply) held until the thread's starter is known (all, or of ``thread_ids``)."""
        with self._read() as conn:
            return _threads.held(conn, source, thread_ids)

    # -- CRM cache ----------------------------------------------------------------------

    def upsert_owners(self, crm: str, owners: Iterable[CrmOwner]) -> int:
        """Insert or update ``crm``'s owners by id."""
        return self._upsert_crm(crm, CrmOwner, owners)

    def owners(self, crm: str) -> list[CrmOwner]:
        """``crm``'s owners, by id."""
        return self._crm_list(crm, CrmOwner)

    def upsert_accounts(self, crm: str, accounts: Iterable[CrmAccount]) -> int:
        """Insert or update ``crm``'s accounts by id."""
        return self._upsert_crm(crm, CrmAccount, accounts)

    def accounts(self, crm: str) -> list[CrmAccount]:
        """``crm``'s accounts, by id."""
        return self._crm_list(crm, CrmAccount)

    def upsert_contacts(self, crm: str, contacts: Iterable[CrmContact]) -> int:
        """Insert or update ``crm``'s contacts by id."""
        return self._upsert_crm(crm, CrmContact, contacts)

    def contacts(self, crm: str) -> list[CrmContact]:
        """``crm``'s contacts, by id."""
        return self._crm_list(crm, CrmContact)

    def upsert_opportunities(self, crm: str, opportunities: Iterable[CrmOpportunity]) -> int:
        """Insert or update ``crm``'s opportunities by id."""
        return self._upsert_crm(crm, CrmOpportunity, opportunities)

    def opportunities(self, crm: str) -> list[CrmOpportunity]:
        """``crm``'s opportunities, by id."""
        return self._crm_list(crm, CrmOpportunity)

    def mark_influenced(self, crm: str, ids: Iterable[str]) -> int:
        """Remember that ``crm`` accepted the community-influenced flag on these opportunities."""
        wanted = set(ids)
        flagged = [replace(o, community_influenced=True) for o in self.opportunities(crm)
                   if o.id in wanted and not o.community_influenced]
        return self.upsert_opportunities(crm, flagged) if flagged else 0

    def _upsert_crm(self, crm: str, record_type: type, records: Iterable[Any]) -> int:
        now = _now()
        with self._write() as conn:
            if record_type is CrmContact:
                records = _privacy.admit_contacts(conn, records)
            rows = (to_row(r, crm=crm, updated_at=now) for r in records)
            return upsert(conn, _CRM_TABLES[record_type], rows)

    def _crm_list(self, crm: str, record_type: type[R]) -> list[R]:
        table = _CRM_TABLES[record_type]
        query = select(table).where(table.c.crm == crm).order_by(table.c.id)
        with self._read() as conn:
            return [from_row(record_type, r) for r in conn.execute(query)]

    # -- inbound events -------------------------------------------------------------------

    def save_inbound_event(self, source: str, event_id: str, activities: Iterable[Activity] = (),
                           threads: ThreadChanges | None = None) -> int | None:
        """Store a delivered event's activities once: None when the event id was seen before.

        The id, the activities and ``threads`` (a reply held for its thread's starter) go in
        one transaction, so a failure stores none and the sender's retry is processed in full.
        """
        with self._write() as conn:
            row = {"source": source, "event_id": event_id, "received_at": _now()}
            if insert_ignore(conn, t.inbound_events, [row], conflict=("source", "event_id")) == 0:
                return None
            if threads is not None:
                self._apply_threads(conn, threads, _now())
            return self._add_activities(conn, activities)

    # -- identity -----------------------------------------------------------------------

    def save_resolution(self, resolution: Resolution) -> None:
        """Make the stored matches, unmatched reasons and people ``resolution``'s.

        Only what changed is written (a run with no new member rewrites nothing), in one
        transaction: readers see the old resolution or the new one.
        """
        with self._write() as conn:
            _identity.save_resolution(conn, resolution, _now())

    def identity_inputs(self, crm: str) -> str:
        """A fingerprint of what identity resolution reads (members, the CRM's contacts and accounts, overrides).

        It changes whenever one of them is written or removed (row counts and latest write
        times), so a run can skip a resolution that would come out the same.
        """
        with self._read() as conn:
            return _identity.inputs_fingerprint(conn, crm)

    def matches(self) -> dict[str, Match]:
        """member_key → how it was matched to a CRM account."""
        with self._read() as conn:
            query = select(t.identity_matches).order_by(t.identity_matches.c.member_key)
            return {r.member_key: from_row(Match, r) for r in conn.execute(query)}

    def unmatched(self) -> dict[str, str]:
        """member_key → why it could not be matched."""
        with self._read() as conn:
            query = select(t.identity_unmatched).order_by(t.identity_unmatched.c.member_key)
            return {r.member_key: r.reason for r in conn.execute(query)}

    def people(self) -> dict[str, str]:
        """member_key → person_key from the last resolution (`Resolution.person_of`)."""
        with self._read() as conn:
            query = select(t.identity_people).order_by(t.identity_people.c.member_key)
            return {r.member_key: r.person_key for r in conn.execute(query)}

    def set_override(self, member_key: str, account_id: str | None, note: str = "") -> None:
        """Tie ``member_key`` to ``account_id`` by hand, or with None never match it.

        Replaces an earlier override of the member (``created_at`` becomes now); `resolve`
        takes the result of `overrides` as its ``overrides`` option.
        """
        row = {"member_key": member_key, "account_id": account_id, "note": note}
        with self._write() as conn:
            row["created_at"] = _now()
            upsert(conn, t.identity_overrides, [row])

    def remove_override(self, member_key: str) -> None:
        """Forget ``member_key``'s override (a no-op if it has none)."""
        with self._write() as conn:
            overrides = t.identity_overrides
            conn.execute(delete(overrides).where(overrides.c.member_key == member_key))

    def overrides(self) -> dict[str, str | None]:
        """member_key → account_id (None: never match), the manual layer of `resolve`."""
        with self._read() as conn:
            query = select(t.identity_overrides).order_by(t.identity_overrides.c.member_key)
            return {r.member_key: r.account_id for r in conn.execute(query)}

    # -- cursors and tier state ---------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        """The stored position of sync ``name`` (None before the first run)."""
        query = select(t.sync_cursors.c.value).where(t.sync_cursors.c.name == name)
        with self._read() as conn:
            return conn.execute(query).scalar_one_or_none()

    def set_cursor(self, name: str, value: str) -> None:
        """Move sync ``name`` to ``value`` (prefer `save_page` when data comes with it)."""
        with self._write() as conn:
            self._set_cursor(conn, name, value)

    @staticmethod
    def _set_cursor(conn: Connection, name: str, value: str) -> None:
        if not isinstance(value, str):
            raise StoreError(f"cursor {name!r} must be a string, got {type(value).__name__}")
        upsert(conn, t.sync_cursors, [{"name": name, "value": value, "updated_at": _now()}])

    def tier_states(self, kind: str) -> dict[str, TierState]:
        """entity_id → current tier state, for entities of ``kind`` (e.g. "account")."""
        query = select(t.tier_state).where(t.tier_state.c.kind == kind)
        with self._read() as conn:
            return {r.entity_id: from_row(TierState, r) for r in conn.execute(query)}

    def save_tier_states(self, kind: str, states: Iterable[TierState],
                         stored: dict[str, TierState] | None = None) -> int:
        """Insert or update tier states of ``kind`` by entity id; returns how many were written.

        With ``stored`` (what `tier_states` returned before), a state is written only when its
        tier, since or episode changed or its score moved by `SCORE_STEP` or more: the stored
        score stays that close to the latest, and a run where little happened writes little.
        """
        now = _now()
        if stored is not None:
            states = [s for s in states if (old := stored.get(s.entity_id)) is None
                      or (old.tier, old.since, old.episode) != (s.tier, s.since, s.episode)
                      or abs(old.score - s.score) >= SCORE_STEP]
        rows = (to_row(s, kind=kind, updated_at=now) for s in states)
        with self._write() as conn:
            return upsert(conn, t.tier_state, rows)

    def try_lease(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Take or renew the named lease for ``owner``; False while another owner holds it."""
        with self._write() as conn:
            return _locks.acquire(conn, name, owner, ttl, _now())

    def release_lease(self, name: str, owner: str) -> None:
        """Give the named lease back (no-op if ``owner`` no longer holds it)."""
        with self._write() as conn:
            _locks.release(conn, name, owner)

    def lease_holder(self, name: str) -> str | None:
        """The owner holding the named lease now, if any."""
        with self._read() as conn:
            return _locks.holder(conn, name, _now())

    def start_signals(self, current: Iterable[tuple[str, str]], now: datetime | None = None) -> set[tuple[str, str]]:
        """Record the (signal, entity) pairs holding at ``now`` (default: the clock); return those that just started."""
        with self._write() as conn:
            return _signals.replace_active(conn, current, now or _now())

    def signal_starts(self, signal: str) -> dict[str, datetime]:
        """entity → when ``signal`` started holding for it: what names a churn episode."""
        with self._read() as conn:
            return _signals.starts(conn, signal)

    def written_scores(self, crm: str) -> dict[str, AccountScoreUpdate]:
        """The score values write-back last put on each account of ``crm``."""
        with self._read() as conn:
            return _writeback.written(conn, crm)

    def save_written_scores(self, crm: str, rows: Iterable[AccountScoreUpdate]) -> int:
        """Remember values the CRM accepted, so the next write-back sends only changes."""
        with self._write() as conn:
            return _writeback.save_written(conn, crm, rows, _now())

    # -- action ledger ------------------------------------------------------------------

    def ledger_begin(self, key: str, kind: str, payload: dict[str, Any]) -> LedgerEntry:
        """Record action ``key`` as pending unless known; returns the entry as stored."""
        with self._write() as conn:
            return _ledger.begin(conn, key, kind, payload, _now())

    def ledger_record(self, key: str, kind: str, payload: dict[str, Any], external_id: str | None,
                      at: datetime) -> LedgerEntry:
        """Record action ``key`` as done at ``at`` (a play carried out elsewhere: an import or a replay).

        A key the ledger already holds keeps its state; the entry as stored is returned.
        """
        with self._write() as conn:
            entry = _ledger.begin(conn, key, kind, payload, at)
            if entry.status == "pending":
                _ledger.mark_done(conn, key, external_id, at, None)
        return self.ledger_entry(key) or entry

    def ledger_claim(
        self,
        key: str,
        owner: str,
        *,
        lease: timedelta,
        max_attempts: int | None = None,
        now: datetime | None = None,
    ) -> LedgerClaim | None:
        """Take action ``key`` for run ``owner`` for ``lease``; None if another run holds it.

        Only the run that gets a `LedgerClaim` may perform the action (see `ledger`).
        ``now`` is for tests that need a lease to have run out.
        """
        if lease <= timedelta(0):
            raise StoreError(f"a ledger lease must be positive, got {lease}")
        at = now or _now()
        with self._write() as conn:
            return _ledger.claim(conn, key, owner, at, at + lease, max_attempts=max_attempts)

    def ledger_done(self, key: str, external_id: str | None, *, owner: str | None = None) -> bool:
        """Mark action ``key`` carried out, with the id the external system gave it.

        With ``owner`` (the run that claimed it): False when the entry was already done.
        """
        with self._write() as conn:
            return _ledger.mark_done(conn, key, external_id, _now(), owner)

    def ledger_unsettled(self, key: str, error: str, *, owner: str) -> bool:
        """Leave action ``key`` open to be looked up again: an attempt may have acted, unknown yet."""
        with self._write() as conn:
            return _ledger.mark_unsettled(conn, key, error, _now(), owner)

    def ledger_failed(self, key: str, error: str, *, owner: str | None = None) -> bool:
        """Mark action ``key`` failed, counting the attempt.

        With ``owner``: only while that run still holds the claim, else False.
        """
        with self._write() as conn:
            return _ledger.mark_failed(conn, key, error, _now(), owner)

    def ledger_entry(self, key: str) -> LedgerEntry | None:
        """The ledger entry for ``key``, if any."""
        with self._read() as conn:
            return _ledger.entry(conn, key)

    def ledger(self, status: str | None = None, kind: str | None = None) -> list[LedgerEntry]:
        """Ledger entries, oldest first, optionally filtered by status and/or kind."""
        with self._read() as conn:
            return _ledger.entries(conn, status=status, kind=kind)

    def done_keys(self) -> set[str]:
        """Keys of all actions already carried out."""
        with self._read() as conn:
            return _ledger.done_keys(conn)

    # -- privacy (connectors/store/privacy.py) ---------------------------------------------

    def forget(self, *, member_key: str | None = None, email: str | None = None,
               reason: str = "") -> _privacy.ForgetReport:
        """Erase a member, or every member with ``email``, and keep them out of later writes."""
        with self._write() as conn:
            return _privacy.forget(conn, member_keys=[member_key] if member_key else [],
                                   emails=[email] if email else [], reason=reason, now=_now())

    def opted_out(self, member_keys: Iterable[str]) -> set[str]:
        """Which of ``member_keys`` were forgotten (planners leave them out)."""
        with self._read() as conn:
            return _privacy.opted_out_keys(conn, member_keys)

    def opt_outs(self) -> list[_privacy.OptOut]:
        """The opt-out list: digests only, oldest first."""
        with self._read() as conn:
            return _privacy.opt_outs(conn)

    def purge_raw_text(self, before: datetime) -> dict[str, int]:
        """Blank activity titles/excerpts and quarantined payloads older than ``before``."""
        with self._write() as conn:
            return _privacy.purge_raw_text(conn, before)

    # -- quarantine ---------------------------------------------------------------------

    def quarantine(self, source: str, ref: str | None, reason: str, payload: Any) -> bool:
        """Keep a record that could not be used, whole, with the reason, once.

        The same record (same ``ref``, or same payload when ``ref`` is None) quarantined
        again is ignored: returns True only when a new row was added.
        """
        with self._write() as conn:
            return _quarantine.add(conn, source, ref, reason, payload, _now())

    def quarantined(self) -> list[QuarantineEntry]:
        """Every quarantined record, oldest first."""
        with self._read() as conn:
            return _quarantine.entries(conn)

