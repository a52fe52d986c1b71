"""Replies placed in their threads without reading topics: starters from the feed, held replies.

A reply counts as an answer only in someone else's thread, so classification needs the
topic's starter. The feed runs newest first, so a reply usually arrives before its topic's
first post. Each page is placed here: replies whose starter is known (this run, or the
store's per-topic cache) are classified at once; the others are held in the store with the
page; a page that brings a first post releases the replies held for that topic. What is still
held when the whole range is read began before anything we read: one topic read each, at
most ``budget`` a run, and the starter is cached for good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from connectors.discourse import SERVICE, DiscourseSource, PostPage
from connectors.store import Store, ThreadChanges
from scoring.records import Activity, SourceEvent

__all__ = ["place_page", "settle_held"]

Classify = Callable[[Iterable[SourceEvent]], list[Activity]]


def place_page(store: Store, source: DiscourseSource, page: PostPage, classify: Classify,
               ) -> tuple[list[Activity], ThreadChanges]:
    """The page's activities to store now, and the thread changes to store with them."""
    waiting = {event_id: str(topic) for event_id, topic in page.unresolved.items()}
    known = store.thread_owners(SERVICE, waiting.values())
    source.remember_owners({int(topic): owner for topic, owner in known.items()})
    ready: list[SourceEvent] = []
    hold: list[tuple[str, SourceEvent]] = []
    for event in page.events:
        topic = waiting.get(event.source_event_id)
        if topic is None:
            ready.append(event)
        elif topic in known:
            ready.append(replace(event, thread_owner_key=known[topic]))
        else:
            hold.append((topic, event))
    starters = {str(topic): owner for topic, owner in page.starters.items()}
    released = store.held_events(SERVICE, starters) if starters else []
    ready += [replace(event, thread_owner_key=starters[topic]) for topic, event in released]
    changes = ThreadChanges(SERVICE, owners=starters, hold=hold, release=[e.source_event_id for _, e in released])
    return classify(ready), changes


def settle_held(store: Store, source: DiscourseSource, classify: Classify, budget: int) -> dict[str, int]:
    """Place held replies whose topic began before anything read: a topic read each, ``budget`` at most.

    Call it only when no range read is in progress (a held reply's first post may still be
    below a checkpoint). Replies beyond the budget stay held for the next run.
    """
    held = store.held_events(SERVICE)
    if not held:
        return {}
    topics = {topic for topic, _ in held}
    known = store.thread_owners(SERVICE, topics)
    to_read = sorted(topics - known.keys(), key=int)[:max(budget, 0)]
    learned = {topic: source.topic_owner(int(topic)) for topic in to_read}
    known.update(learned)
    placed = [(topic, event) for topic, event in held if topic in known]
    new = store.save_page(
        activities=classify(replace(event, thread_owner_key=known[topic]) for topic, event in placed),
        threads=ThreadChanges(SERVICE, owners=learned, release=[e.source_event_id for _, e in placed]))
    return {"topic_reads": len(to_read), "new_activities": new, "replies_waiting": len(held) - len(placed)}
