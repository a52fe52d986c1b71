"""The calibration demo: replayed Intent plays with holdouts, synthetic upgrades, the real report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from connectors.store import Store
from flows.calibration_demo import format_calibration, run_calibration_demo


def test_the_report_recovers_the_upgrade_rates_put_in(tmp_path: Path) -> None:
    database = tmp_path / "calibration.db"
    demo = run_calibration_demo(days=180, holdout_share=0.5, played_rate=1.0, held_rate=0.0, base_rate=0.0,
                                members=150, companies=25, activities=2500, seed=3, database=database)
    with Store.open(f"sqlite:///{database}") as store:
        entries = store.ledger()
    sent = {e.key.split(":")[1] for e in entries if e.key.endswith(":slack") and e.status == "done"}
    held = {e.key.split(":")[1] for e in entries if e.key.endswith(":holdout") and e.status == "done"}
    assert demo.plays > 0 and demo.held_out > 0 and len(sent | held) >= demo.plays + demo.held_out
    times = [e.updated_at for e in entries if e.key.startswith("intent:")]
    assert max(times) - min(times) > timedelta(days=90)  # recorded at their replayed moments, not at the run's
    assert demo.upgrades["played"] > 0 and demo.upgrades.get("held out", 0) == 0 and "other" not in demo.upgrades

    lift = demo.result["holdout"]
    assert lift["played"] > 0 and lift["rate_played"] == 1.0  # every matured played account upgraded
    assert lift["held"] > 0 and lift["rate_held"] < 1.0  # only the CRM's own deals can land there
    assert lift["difference"] > 0
    text = format_calibration(demo, 180)
    assert "Replayed 180 days of daily syncs" in text and "## Holdout lift" in text and "## Backtest" in text
