"""The executor and the ledger's claims: held entries are skipped, a crashed run's are finished."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from connectors.retry import RetryPolicy
from connectors.slack import SlackNotifier
from connectors.store import Store
from connectors.testing import SlackEmulator, generate_community
from playbooks.actions import SendSlackAlert
from playbooks.execute import DEFAULT_LEASE, Performers, execute_pending, record_plan

CHANNEL = "community-alerts"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    community = generate_community(members=20, companies=5, activities=50, seed=3,
                                   now=datetime(2025, 6, 1, tzinfo=timezone.utc))
    with SlackEmulator(community, channels=(CHANNEL,)) as emulator:
        yield emulator


def _notifier(slack: SlackEmulator) -> SlackNotifier:
    client = WebClient(token=slack.token, base_url=slack.base_url + "/api/", retry_handlers=[])
    return SlackNotifier(client, policy=RetryPolicy("slack", attempts=1))


def _alert(key: str) -> SendSlackAlert:
    return SendSlackAlert(key=key, channel=CHANNEL, text=f"alert {key}")


def test_an_entry_another_run_holds_is_skipped_and_reported(store: Store, slack: SlackEmulator) -> None:
    started = datetime.now(timezone.utc)
    record_plan(store, [_alert("held"), _alert("free")])
    assert store.ledger_claim("held", "other-run", lease=DEFAULT_LEASE) is not None

    report = execute_pending(store, Performers(slack=_notifier(slack)), run_started=started)

    assert [key for key, _ in report.done] == ["free"]
    [(key, why)] = report.skipped
    assert key == "held" and why.startswith("in flight in another run until")
    assert {"key": "held", "status": "skipped", "detail": why} in report.rows()
    assert [m["metadata"]["event_payload"]["action_key"] for m in slack.messages(CHANNEL)] == ["free"]
    held = store.ledger_entry("held")
    assert held is not None and (held.status, held.claimed_by) == ("in_flight", "other-run")


def test_a_crashed_runs_claim_is_taken_over_and_looked_up_first(store: Store, slack: SlackEmulator) -> None:
    """The crashed run had posted one alert and not the other: one message each, no more."""
    started = datetime.now(timezone.utc)
    record_plan(store, [_alert("posted-then-crashed"), _alert("crashed-before-posting")])
    long_ago = datetime.now(timezone.utc) - DEFAULT_LEASE - timedelta(minutes=1)
    for key in ("posted-then-crashed", "crashed-before-posting"):
        assert store.ledger_claim(key, "crashed-run", lease=DEFAULT_LEASE, now=long_ago) is not None
    earlier = _notifier(slack).post_once(CHANNEL, key="posted-then-crashed", text="alert")

    report = execute_pending(store, Performers(slack=_notifier(slack)), run_started=started,
                             owner="next-run")

    assert dict(report.done)["posted-then-crashed"] == f"{earlier.channel}/{earlier.ts}"
    assert sorted(dict(report.done)) == ["crashed-before-posting", "posted-then-crashed"]
    keys = [m["metadata"]["event_payload"]["action_key"] for m in slack.messages(CHANNEL)]
    assert sorted(keys) == ["crashed-before-posting", "posted-then-crashed"]
    assert {e.status for e in store.ledger()} == {"done"}


def test_a_failure_releases_the_claim_for_the_next_run(store: Store, slack: SlackEmulator) -> None:
    started = datetime.now(timezone.utc)
    record_plan(store, [_alert("flaky")])
    slack.faults.add(path="/api/chat.postMessage", status=500)

    first = execute_pending(store, Performers(slack=_notifier(slack)), run_started=started)
    assert [key for key, _ in first.failed] == ["flaky"]
    failed = store.ledger_entry("flaky")
    assert failed is not None
    assert (failed.status, failed.attempts, failed.claimed_by) == ("failed", 1, None)

    second = execute_pending(store, Performers(slack=_notifier(slack)), run_started=started)
    assert [key for key, _ in second.done] == ["flaky"] and second.skipped == []
    assert len(slack.messages(CHANNEL)) == 1


def test_a_service_down_after_retries_is_not_tried_again_for_its_other_actions(
        store: Store, slack: SlackEmulator) -> None:
    """A dead Slack costs one action's retries, not every action's; the others stay open for the next run."""
    started = datetime.now(timezone.utc)
    record_plan(store, [_alert(f"a{n}") for n in range(5)])
    slack.faults.add(path="/api/chat.postMessage", status=503, times=100)

    report = execute_pending(store, Performers(slack=_notifier(slack)), run_started=started)

    assert [key for key, _ in report.failed] == ["a0"] and report.done == []
    assert [key for key, _ in report.skipped] == ["a1", "a2", "a3", "a4"]
    assert all("Slack failed this run" in why for _, why in report.skipped)
    posts = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
    assert len(posts) == 1  # one attempt under this test's one-attempt policy, then nothing more
    assert {e.key: e.status for e in store.ledger()} == {"a0": "failed", "a1": "pending", "a2": "pending",
                                                         "a3": "pending", "a4": "pending"}

    slack.faults.clear()
    again = execute_pending(store, Performers(slack=_notifier(slack)), run_started=datetime.now(timezone.utc))
    assert sorted(key for key, _ in again.done) == ["a0", "a1", "a2", "a3", "a4"]
    assert len(slack.messages(CHANNEL)) == 5
