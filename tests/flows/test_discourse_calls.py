"""What a sync costs in Discourse calls (its budget is 60 a minute for a whole site)."""

from __future__ import annotations

from datetime import timedelta

from connectors.blocks import DiscourseCredentials
from connectors.store import Store
from flows.community_sync import community_sync
from tests.flows.conftest import NOW, Deployment


def with_webhooks(d: Deployment) -> None:
    name = d.params["discourse_block"]
    block = DiscourseCredentials.load(name)
    block.webhook_secret = "webhook-secret"
    block.save(name, overwrite=True)


def test_a_no_op_sync_with_webhooks_costs_two_calls_and_new_members_still_arrive(deployment: Deployment) -> None:
    d = deployment
    with_webhooks(d)
    community_sync(**d.params, now=NOW)
    d.forum.requests.clear()
    community_sync(**d.params, now=NOW + timedelta(minutes=15))
    assert [r.path for r in d.forum.requests] == ["/admin/users/list/active.json", "/posts.json"]

    newcomer = d.community.add_person("newcomer", "newcomer@example.org", NOW + timedelta(minutes=20))
    d.forum.requests.clear()
    community_sync(**d.params, now=NOW + timedelta(minutes=30))
    assert len(d.forum.requests) == 2
    with Store.open(d.database_url) as store:
        assert f"discourse:{newcomer.id}" in {m.key for m in store.members()}


def test_every_member_is_read_again_once_a_day(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    pages = len([r for r in d.forum.requests if r.path.startswith("/admin/users/list/")])
    assert pages > 1
    person = next(p for p in d.community.people if p.id > 0 and not p.is_staff)
    person.email = "changed@example.org"
    for later, expected in ((timedelta(hours=2), 1), (timedelta(days=1, minutes=1), pages)):
        d.forum.requests.clear()
        community_sync(**d.params, now=NOW + later)
        assert len([r for r in d.forum.requests if r.path.startswith("/admin/users/list/")]) == expected
    with Store.open(d.database_url) as store:
        assert {m.key: m.email for m in store.members()}[f"discourse:{person.id}"] == "changed@example.org"
