"""The Discourse webhook receiver over real HTTP, fed by the emulator's own webhooks:
likes and posts arrive with a valid signature only, once, in the same ids as the pull."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.blocks import DiscourseCredentials
from connectors.discourse import DiscourseSource
from connectors.discourse_webhooks import DiscourseWebhookReceiver
from connectors.store import Store
from connectors.testing._discourse_webhooks import _signature

SECRET = "webhook-secret"


@pytest.fixture
def receiving(discourse, store: Store, now):
    """A receiver on an ephemeral port, and the emulator's webhook pointed at it."""
    receiver = DiscourseWebhookReceiver(store, SECRET, discourse.base_url, clock=lambda: now)
    server = receiver.serve(port=0)
    discourse.webhooks.configure(f"http://127.0.0.1:{server.server_address[1]}/discourse/webhooks", SECRET)
    yield receiver
    receiver.stop()


def stored(store: Store) -> dict[str, str]:
    return {a.source_event_id: a.type for a in store.activities() if a.source == "discourse"}


def unliked_pair(community):
    """A post and a member who has not liked it (nor written it)."""
    liked = {(like.post_id, like.user_id) for like in community.likes}
    post = community.posts[-1]
    user = next(p.id for p in community.people if p.id > 0 and p.id != post.user_id and (post.id, p.id) not in liked)
    return post, user


def test_a_like_arrives_with_its_real_time_once(discourse, community, store, receiving, now):
    post, user = unliked_pair(community)
    discourse.like(post.id, user, now)
    (delivery,) = discourse.webhooks.deliveries
    assert delivery.statuses == [200] and delivery.event == "post_liked"
    (like,) = [a for a in store.activities() if a.source_event_id == f"like:{post.id}:{user}"]
    assert like.type == "reaction" and like.occurred_at == now and like.member_key == f"discourse:{user}"

    assert discourse.webhooks.redeliver(delivery) == 200  # Discourse re-sends failed events, same id
    assert len([a for a in store.activities() if a.source_event_id == like.source_event_id]) == 1


def test_a_delivery_with_a_wrong_or_missing_signature_stores_nothing(discourse, community, store, receiving, now):
    post, user = unliked_pair(community)
    discourse.webhooks.configure(discourse.webhooks.url, "not-the-secret")
    discourse.like(post.id, user, now)
    forged = discourse.webhooks.deliveries[-1]
    assert forged.statuses == [401]
    assert discourse.webhooks.redeliver(forged, sign=lambda secret, body: "") == 401
    assert discourse.webhooks.redeliver(forged, sign=lambda secret, body: _signature(SECRET.encode(), body + b" ")) == 401
    assert stored(store) == {}
    assert discourse.webhooks.redeliver(forged, sign=lambda secret, body: _signature(SECRET.encode(), body)) == 200
    assert f"like:{post.id}:{user}" in stored(store)


def test_the_pull_and_the_webhook_never_count_a_like_twice(discourse, community, store, receiving, now):
    post, user = unliked_pair(community)
    discourse.like(post.id, user, now)
    client = DiscourseCredentials(base_url=discourse.base_url, api_username=discourse.api_username,
                                  api_key=discourse.api_key).get_client()
    events = [e for page in DiscourseSource(client).post_pages(None, now=now) for e in page.events]
    assert sum(e.source_event_id == f"like:{post.id}:{user}" for e in events) == 1
    from scoring.classify import to_activity

    assert store.save_page(activities=[a for e in events if (a := to_activity(e)) is not None]) == len(
        {e.source_event_id for e in events}) - 1  # everything but the like the webhook stored


def test_a_reply_is_placed_by_a_known_starter_or_held_for_the_next_sync(discourse, community, store, receiving, now):
    topic = community.topics[0]
    question = [p for p in community.posts if p.topic_id == topic.id][0]
    other = next(p.id for p in community.people if p.id > 0 and p.id != topic.user_id)
    discourse.reply(topic.id, other, "Try the export settings, that fixed it for us.", now)
    (held,) = store.held_events("discourse")  # the receiver has never seen this topic's first post
    assert held[0] == str(topic.id) and stored(store) == {}

    from connectors.store import ThreadChanges

    store.save_page(threads=ThreadChanges("discourse", owners={str(topic.id): f"discourse:{question.user_id}"}))
    reply = discourse.reply(topic.id, other, "And restart the worker afterwards.", now + timedelta(minutes=1))
    assert stored(store).get(f"post:{reply.id}") in {"reply", "answer"}


def test_a_signed_but_unusable_delivery_is_quarantined_once_and_acknowledged(discourse, store, receiving):
    delivery = discourse.webhooks.send("like", "post_liked", {"like": {"post": {"id": "x"}, "user": {}}})
    assert delivery.statuses == [200]
    assert discourse.webhooks.redeliver(delivery) == 200
    (kept,) = store.quarantined()
    assert kept.ref == f"webhook:{delivery.event_id}" and "id" in kept.reason
    assert stored(store) == {}


def test_other_events_are_acknowledged_and_ignored(discourse, store, receiving):
    delivery = discourse.webhooks.send("ping", "ping", {"ping": "OK"})
    assert delivery.statuses == [200] and stored(store) == {} and store.quarantined() == []


def test_a_delivery_that_stored_activity_asks_for_a_sync_once(discourse, community, store, receiving, now):
    heard: list[int] = []
    receiving.on_stored = heard.append
    post, user = unliked_pair(community)
    discourse.like(post.id, user, now)
    discourse.webhooks.redeliver(discourse.webhooks.deliveries[-1])  # stored nothing new: no ask
    discourse.webhooks.send("ping", "ping", {"ping": "OK"})
    assert heard == [1]
