"""The demo: every live playbook plays on the synthetic community, and its second run does nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.demo import format_summary, run_demo


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_the_demo_plays_each_playbook_and_its_second_run_does_nothing(tmp_path: Path, crm: str) -> None:
    result = run_demo(members=200, activities=3000, companies=30, seed=5, database=tmp_path / "demo.db", runs=2,
                      crm=crm, slack_messages=200)
    assert result.ok
    plays = result.plays(0)
    assert {"intent", "nurture", "churn", "newsletter"} <= set(plays) and all(n > 0 for n in plays.values())
    assert result.plays(1) == {}
    assert result.runs[1]["actions"]["done"] == [] and result.daily[1]["actions"]["done"] == []
    printed = format_summary(result)
    assert "Plays per playbook (live):" in printed and "Run 2: 0 new activities, 0 new plays, 0 actions done" in printed
