"""set_identity_override from the UI's point of view: set, never-match, remove, and the next sync applies it."""

from __future__ import annotations

from connectors.store import Store
from flows.community_sync import community_sync
from flows.identity_override import ARTIFACT_KEY, NEVER, set_identity_override
from tests.flows.artifacts import artifact
from tests.flows.conftest import NOW, Deployment


def test_set_never_match_and_remove(deployment: Deployment) -> None:
    d = deployment
    db = d.params["database_block"]
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        matches = store.matches()
        accounts = {a.id: a.name for a in store.accounts("hubspot")}
    member, matched = next((k, m.account_id) for k, m in sorted(matches.items()) if m.method != "manual")
    other = next(a for a in sorted(accounts) if a != matched)

    state = set_identity_override(member_key=member, account_id=other, note="their CEO said so", database_block=db,
                                  return_state=True)

    result = state.result()
    assert result["had"] is False and result["now"] == other and result["warnings"] == []
    assert artifact(state, ARTIFACT_KEY) == [{"member": member, "account": other, "account name": accounts[other]}]
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        assert store.matches()[member].account_id == other and store.matches()[member].method == "manual"

    never = set_identity_override(member_key=member, account_id="none", database_block=db, return_state=True)
    assert never.result()["before"] == other and never.result()["now"] is None
    assert artifact(never, ARTIFACT_KEY)[0]["account"] == NEVER
    community_sync(**d.params, now=NOW)
    with Store.open(d.database_url) as store:
        assert member not in store.matches()

    removed = set_identity_override(member_key=member, remove=True, database_block=db, return_state=True)
    assert removed.result()["set"] is False
    assert artifact(removed, ARTIFACT_KEY) == [{"member": "-", "account": "no overrides"}]
    with Store.open(d.database_url) as store:
        assert store.overrides() == {}


def test_unknown_member_and_account_are_set_with_warnings_and_no_member_only_lists(deployment: Deployment) -> None:
    db = deployment.params["database_block"]
    result = set_identity_override(member_key="slack:U404", account_id="999", database_block=db)
    assert len(result["warnings"]) == 2 and result["now"] == "999"
    state = set_identity_override(database_block=db, return_state=True)
    assert state.is_completed() and state.result()["warnings"] == []
    assert artifact(state, ARTIFACT_KEY) == [{"member": "slack:U404", "account": "999", "account name": "-"}]
