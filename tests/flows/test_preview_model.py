"""preview_model on a synced store: a draft with a lower Intent floor fires more plays than the published model."""

from __future__ import annotations

from connectors.config_blocks import ScoringSettings
from connectors.store import Store
from flows.community_sync import community_sync
from flows.preview_model import SUMMARY_KEY, TABLE_KEY, preview_model
from scoring.model import DEFAULT_TIER_FLOORS, ScoringModel
from tests.flows.artifacts import artifact
from tests.flows.conftest import NOW, Deployment


def test_a_lower_intent_floor_shows_more_intent_accounts_and_plays(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    name = f"{d.params['database_block']}-draft"
    floors = {**DEFAULT_TIER_FLOORS, "intent": 50}
    ScoringSettings(model=ScoringModel(version="lower-intent", tier_floors=floors)).save(name, overwrite=True)
    with Store.open(d.database_url) as store:
        tiers_before, ledger_before = store.tier_states("account"), store.ledger()

    state = preview_model(draft_model_block=name, database_block=d.params["database_block"], now=NOW,
                          return_state=True)

    summary = state.result()
    assert summary["draft_version"] == "lower-intent" and summary["published_version"] == "default"
    assert summary["draft_tiers"]["intent"] > summary["published_tiers"]["intent"]
    assert len(summary["draft_alerts"]) > len(summary["published_alerts"])
    assert set(summary["alerts_added"]) <= {r["account"] for r in summary["rows"] if r["draft_alert"]}
    rows = artifact(state, TABLE_KEY)
    assert {r["account"] for r in rows} == {r["account"] for r in summary["rows"]}
    assert all(r["draft_tier"] == "intent" for r in rows if r["draft_alert"])
    assert "lower-intent" in artifact(state, SUMMARY_KEY)
    with Store.open(d.database_url) as store:  # a preview writes nothing
        assert store.tier_states("account") == tiers_before and store.ledger() == ledger_before


def test_with_its_defaults_the_same_model_changes_nothing(deployment: Deployment) -> None:
    d = deployment
    community_sync(**d.params, now=NOW)
    state = preview_model(database_block=d.params["database_block"], now=NOW, return_state=True)
    summary = state.result()
    assert summary["rows"] == [] and summary["alerts_added"] == [] and summary["tier_changes"] == 0
    assert artifact(state, TABLE_KEY)[0]["name"] == "no account changes tier or play"


def test_a_missing_draft_block_fails_with_the_fix(deployment: Deployment) -> None:
    state = preview_model(draft_model_block="no-such-draft", database_block=deployment.params["database_block"],
                          return_state=True)
    assert state.is_failed() and "draft_model_block" in state.message and "no-such-draft" in state.message
