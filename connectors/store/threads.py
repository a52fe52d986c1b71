"""Who started each thread, learned once ever, and the replies held until that is known.

Discourse's feed runs newest first, so a reply is read before its topic's first post. The
reply is held here, in the same transaction as its page, and classified when the starter
shows up (a later page, or a topic read for a topic that began before anything we read).
A starter learned once is never asked for again: a second backfill reads no topic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_

from scoring.records import SourceEvent

from .dml import insert_ignore
from .tables import held_events, thread_owners

__all__ = ["ThreadChanges", "apply", "forget", "held", "owners"]

_CHUNK = 500


@dataclass
class ThreadChanges:
    """What a page teaches about threads: starters learned, replies to hold, replies released."""

    source: str
    owners: Mapping[str, str | None] = field(default_factory=dict)
    hold: Sequence[tuple[str, SourceEvent]] = ()  # (thread id, reply)
    release: Collection[str] = ()  # event ids of held replies now classified


def owners(connection: Connection, source: str, thread_ids: Iterable[str]) -> dict[str, str | None]:
    """thread id → its starter's member key (None: known to have none), for the known ones."""
    found: dict[str, str | None] = {}
    ids = sorted(set(thread_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(select(thread_owners.c.thread_id, thread_owners.c.owner_key).where(
            thread_owners.c.source == source, thread_owners.c.thread_id.in_(ids[start:start + _CHUNK])))
        found.update({r.thread_id: r.owner_key for r in rows})
    return found


def held(connection: Connection, source: str, thread_ids: Iterable[str] | None = None) -> list[tuple[str, SourceEvent]]:
    """(thread id, event) of the replies held for ``source`` (for ``thread_ids`` only, when given)."""
    query = select(held_events.c.thread_id, held_events.c.event).where(held_events.c.source == source)
    if thread_ids is None:
        return [(r.thread_id, _event(r.event)) for r in connection.execute(query.order_by(held_events.c.thread_id))]
    ids = sorted(set(thread_ids))
    found: list[tuple[str, SourceEvent]] = []
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(query.where(held_events.c.thread_id.in_(ids[start:start + _CHUNK])))
        found.extend((r.thread_id, _event(r.event)) for r in rows)
    return found


def apply(connection: Connection, changes: ThreadChanges, now: datetime) -> None:
    """Learn the starters (a starter once learned stays), hold and release replies."""
    insert_ignore(connection, thread_owners,
                  [{"source": changes.source, "thread_id": k, "owner_key": v, "learned_at": now}
                   for k, v in changes.owners.items()], conflict=["source", "thread_id"])
    released = sorted(set(changes.release))
    for start in range(0, len(released), _CHUNK):
        connection.execute(delete(held_events).where(tuple_(held_events.c.source, held_events.c.source_event_id).in_(
            [(changes.source, e) for e in released[start:start + _CHUNK]])))
    insert_ignore(connection, held_events,
                  [{"source": changes.source, "source_event_id": e.source_event_id,
                    "thread_id": thread, "member_key": e.member_key, "event": _document(e),
                    "held_at": now} for thread, e in changes.hold],
                  conflict=["source", "source_event_id"])


def forget(connection: Connection, member_keys: Collection[str]) -> int:
    """Drop held replies of erased members and unlink them from the threads they started."""
    keys = list(member_keys)
    dropped = connection.execute(delete(held_events).where(held_events.c.member_key.in_(keys))).rowcount
    connection.execute(thread_owners.update().where(thread_owners.c.owner_key.in_(keys)).values(owner_key=None))
    return dropped


def _document(event: SourceEvent) -> dict[str, object]:
    document = asdict(event)
    document["occurred_at"] = event.occurred_at.isoformat()
    document["tags"] = list(event.tags)
    return document


def _event(document: Mapping[str, object]) -> SourceEvent:
    values = dict(document)
    values["occurred_at"] = datetime.fromisoformat(str(values["occurred_at"]))
    values["tags"] = tuple(values.get("tags") or ())  # type: ignore[arg-type]
    return SourceEvent(**values)  # type: ignore[arg-type]
