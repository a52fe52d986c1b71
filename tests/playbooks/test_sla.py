"""The Intent-task SLA (pure): which tasks are checked, one reminder per open one, compliance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connectors.store import LedgerEntry
from playbooks.actions import SendSlackAlert
from playbooks.sla import SlaConfig, SlaTask, plan_sla, tasks_to_check

from ._plays import NASTY, NOW, directory, plays, round_trips, slack_raw

LIVE = SlaConfig(mode="live")


def entry(key: str, hours_ago: float, *, kind: str = "crm_task", status: str = "done",
          external_id: str | None = "T1") -> LedgerEntry:
    at: datetime = NOW - timedelta(hours=hours_ago)
    payload: dict[str, Any] = {"crm": "hubspot", "account_id": "a1", "owner_id": "7", "kind": kind}
    return LedgerEntry(key, kind, status, payload, external_id, 1, None, at, at)


def task(task_id: str, key: str | None = None) -> SlaTask:
    return SlaTask(key or f"intent:a1:{task_id}:task", "hubspot", task_id, "a1", "7", NOW - timedelta(hours=50))


def test_only_done_intent_tasks_past_the_sla_and_within_the_window_are_checked() -> None:
    entries = [
        entry("intent:a1:1:task", 48), entry("intent:a1:2:task", 30 * 24),  # both ends included
        entry("intent:a1:3:task", 47.9), entry("intent:a1:4:task", 30 * 24 + 0.1),
        entry("intent:a1:5:task", 60, status="failed"), entry("intent:a1:6:task", 60, external_id=None),
        entry("intent:a1:7:slack", 60, kind="slack_alert"), entry("churn:a1:2026-10-01:task", 60),
    ]
    found = tasks_to_check(entries, SlaConfig(), NOW)
    assert [t.key for t in found] == ["intent:a1:1:task", "intent:a1:2:task"]
    assert found[0] == SlaTask("intent:a1:1:task", "hubspot", "T1", "a1", "7", NOW - timedelta(hours=48))
    shorter = tasks_to_check(entries, SlaConfig(hours=24, window_days=2), NOW)
    assert [t.key for t in shorter] == ["intent:a1:1:task", "intent:a1:3:task"]


def test_open_tasks_are_reminded_closed_ones_count_and_unknown_ones_are_ignored() -> None:
    plan, report = plan_sla([task("open"), task("closed"), task("gone")], {"open": False, "closed": True},
                            directory(), LIVE)
    assert [a.key for a in plan.actions] == ["sla:intent:a1:open:task:slack"]
    alert = plan.actions[0]
    assert isinstance(alert, SendSlackAlert) and (alert.channel, alert.owner_id, alert.mode) == (
        "community-alerts", "7", "live")
    assert "<@U7>" in alert.text and round_trips(plan.actions)
    assert (report.checked, report.closed, report.compliance) == (2, 1, 0.5)
    assert report.reminded == ["sla:intent:a1:open:task:slack"]


def test_an_open_task_is_reminded_once() -> None:
    first, _ = plan_sla([task("open")], {"open": False}, directory(), LIVE)
    again, report = plan_sla([task("open")], {"open": False}, directory(), LIVE, known_plays=plays(first.actions))
    assert again.actions == [] and (report.checked, report.closed, report.reminded) == (1, 0, [])


def test_off_plans_nothing_and_draft_reminds_in_the_review_channel_under_its_own_key() -> None:
    plan, report = plan_sla([task("open")], {"open": False}, directory(), SlaConfig(mode="off"))
    assert plan.actions == [] and report.compliance is None
    drafts, _ = plan_sla([task("open")], {"open": False}, directory(), SlaConfig(mode="draft"))
    assert [(a.key, a.channel, a.mode) for a in drafts.actions] == [
        ("sla:intent:a1:open:task:draft:slack", "community-review", "draft")]
    live, _ = plan_sla([task("open")], {"open": False}, directory(), LIVE, known_plays=plays(drafts.actions))
    assert [a.key for a in live.actions] == ["sla:intent:a1:open:task:slack"]


def test_no_task_checked_means_no_compliance_figure() -> None:
    _, report = plan_sla([task("gone")], {}, directory(), LIVE)
    assert (report.checked, report.compliance) == (0, None)


def test_a_nasty_account_name_never_reaches_slack_unescaped() -> None:
    plan, _ = plan_sla([task("open")], {"open": False}, directory(NASTY), LIVE)
    assert "<!channel>" not in slack_raw(plan.actions[0]) and "&lt;!channel&gt; &amp; co" in slack_raw(plan.actions[0])
