"""The churn-save planner (pure): one save play per peak an account fell from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playbooks.actions import CreateCrmTask, SendSlackAlert
from playbooks.churn import ChurnPlaybookConfig, churn_plays
from scoring import Activity, ScoringModel
from scoring.history import score_history
from scoring.signals import ChurnRisk, churn_risks

from ._plays import NASTY, NOW, directory, keys, plays, round_trips, slack_raw

PEAK_AT = datetime(2026, 10, 20, 9, tzinfo=UTC)
STARTED = datetime(2026, 10, 22, 6, 30, tzinfo=UTC)  # when the churn-risk signal started holding
LIVE = ChurnPlaybookConfig(mode="live")


def risk(peak_at: datetime = PEAK_AT, score: float = 30.0, account: str = "a1") -> ChurnRisk:
    return ChurnRisk(account, score, 90.0, peak_at, 90.0 - score, 40.0)


def actions(config=LIVE, risks=None, directory_=None, **kwargs):
    kwargs.setdefault("started", {"a1": STARTED})
    found = churn_plays({"a1": risk()} if risks is None else risks, directory_ or directory(), config, NOW,
                        crm="salesforce", **kwargs)
    return [a for play in found for a in play.actions]


def test_live_alerts_customer_success_and_tasks_the_owner() -> None:
    planned = actions()
    assert keys(planned) == ["churn:a1:2026-10-22T06:30:00:slack", "churn:a1:2026-10-22T06:30:00:task"]
    alert = next(a for a in planned if isinstance(a, SendSlackAlert))
    task = next(a for a in planned if isinstance(a, CreateCrmTask))
    assert (alert.channel, alert.owner_id, alert.mode) == ("customer-success", "7", "live") and "<@U7>" in alert.text
    assert (task.crm, task.account_id, task.owner_id, task.due_at) == ("salesforce", "a1", "7", NOW + timedelta(hours=24))
    assert alert.priority == task.priority == 90.0 * 1000.0  # peak score x account value
    assert plays(planned) == {"churn:a1:2026-10-22T06:30:00"} and round_trips(planned)


def test_off_plans_nothing_and_draft_only_tells_the_review_channel() -> None:
    assert actions(ChurnPlaybookConfig(mode="off")) == []
    drafts = actions(ChurnPlaybookConfig(mode="draft"))
    assert len(drafts) == 1 and isinstance(drafts[0], SendSlackAlert)
    assert (drafts[0].key, drafts[0].channel) == ("churn:a1:2026-10-22T06:30:00:draft:slack", "community-review")
    assert drafts[0].text.startswith("[DRAFT]")


def test_once_per_peak_and_a_draft_does_not_use_up_the_live_play() -> None:
    drafts = actions(ChurnPlaybookConfig(mode="draft"))
    live = actions(known_plays=plays(drafts))
    assert len(live) == 2
    still_falling = {"a1": risk(score=20.0)}
    assert actions(risks=still_falling, known_plays=plays(drafts) | plays(live)) == []
    new_peak = {"a1": risk(peak_at=PEAK_AT + timedelta(days=5))}
    assert actions(risks=new_peak, known_plays=plays(live)) == []  # the signal never stopped: one episode
    again = {"a1": STARTED + timedelta(days=9)}  # it ended and started again: a new episode
    assert keys(actions(risks=new_peak, known_plays=plays(live), started=again)) == [
        "churn:a1:2026-10-31T06:30:00:slack", "churn:a1:2026-10-31T06:30:00:task"]


def test_accounts_the_crm_does_not_know_are_skipped() -> None:
    assert actions(risks={"zz": risk(account="zz")}) == []


def test_a_nasty_account_name_never_reaches_slack_unescaped() -> None:
    planned = actions(directory_=directory(NASTY))
    alert = next(a for a in planned if isinstance(a, SendSlackAlert))
    assert "<!channel>" not in slack_raw(alert) and "&lt;!channel&gt;" in slack_raw(alert)
    task = next(a for a in planned if isinstance(a, CreateCrmTask))
    assert task.subject == f"Churn risk: {NASTY}" and task.body.startswith(f"Churn risk: {NASTY}\n")


DROP_POINTS = ScoringModel(churn_rule="drop_points")


def _risks(nows: list[datetime], model: ScoringModel = DROP_POINTS) -> list[dict[str, ChurnRisk]]:
    """The churn signal of one account at each sync in ``nows``, after one burst of activity (then silence)."""
    burst = datetime(2026, 10, 1, 22, tzinfo=UTC)
    acts = [Activity("discourse", f"{kind}{i}", f"m{i}", kind, burst)
            for i in range(4) for kind in ("premium_feature_question", "feature_request")]
    account_of = {f"m{i}": "a1" for i in range(4)}
    return [churn_risks(score_history(acts, account_of, model, now), model) for now in nows]


def _play_count(nows: list[datetime], model: ScoringModel = DROP_POINTS) -> int:
    """Plays over syncs at ``nows``, with the signal state the store keeps (start of each unbroken risk)."""
    known: set[str] = set()
    started: dict[str, datetime] = {}
    for now, risks in zip(nows, _risks(nows, model), strict=True):
        started = {a: started.get(a, now) for a in risks}
        known |= plays(actions(risks=risks, known_plays=known, started=started))
    return len(known)


def test_one_fall_is_one_play_however_many_daily_syncs() -> None:
    daily = [datetime(2026, 10, 10, 23, tzinfo=UTC) + timedelta(days=d) for d in range(40)]
    assert _play_count(daily) == 1
    assert _play_count(daily, ScoringModel()) == 1  # the disengagement rule: risk from the 31st day of silence


def test_syncs_either_side_of_midnight_key_the_same_peak_once() -> None:
    midnight = datetime(2026, 10, 12, tzinfo=UTC)
    assert _play_count([midnight - timedelta(minutes=5), midnight + timedelta(minutes=5)]) == 1
