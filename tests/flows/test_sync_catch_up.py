"""Activity a receiver stores while a sync acts is played by that sync, not 15 minutes later.

The run its event triggers is cancelled while this one holds the deployment (prefect.yaml:
one run at a time, CANCEL_NEW), so the running sync scores again before it ends.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from connectors.store import Store
from flows.community_sync import community_sync
from scoring.records import Activity
from tests.flows.conftest import Deployment


def _below_intent(store: Store) -> list[tuple[str, str]]:
    """(account id, one forum member key) of accounts below Intent, by id."""
    states = store.tier_states("account")
    found: dict[str, str] = {}
    for key, match in sorted(store.matches().items()):
        state = states.get(match.account_id)
        if key.startswith("discourse:") and (state is None or state.tier != "intent"):
            found.setdefault(match.account_id, key)
    return sorted(found.items())


def _questions(member_key: str, tag: str, count: int = 5) -> list[Activity]:
    """Premium-feature questions just asked: 5 × 20 points take any account to Intent."""
    now = datetime.now(timezone.utc)
    return [Activity("discourse", f"catch-up-{tag}-{n}", member_key, "premium_feature_question", now,
                     url=f"https://forum.example/t/{tag}/{n}", title="Does Enterprise include SSO?")
            for n in range(count)]


def test_activity_stored_while_a_run_posts_is_scored_again_by_that_run(deployment: Deployment,
                                                                        tmp_path: Path) -> None:
    params = deployment.params
    community_sync(**params)  # everything in; the generated activity is weeks old: no play
    store = Store.open(deployment.database_url)
    try:
        (first, first_member), (second, second_member) = _below_intent(store)[:2]
        store.add_activities(_questions(first_member, "a"))  # stored before the run: its first round plays it
        deployment.slack.faults.add("/api/chat.postMessage", delay=4.0)  # the first alert waits 4 s

        def receiver_during_the_post() -> None:
            deadline = time.monotonic() + 120
            while deployment.slack.faults.pending() and time.monotonic() < deadline:
                time.sleep(0.05)  # consumed: the run has scored and is posting
            store.add_activities(_questions(second_member, "b"))

        writer = threading.Thread(target=receiver_during_the_post)
        writer.start()
        summary = community_sync(**params)
        writer.join()
        assert summary["catch_up_rounds"] == 1
        played = {e.key.split(":")[1] for e in store.ledger(kind="slack_alert") if e.status == "done"}
        assert {first, second} <= played

        again = community_sync(**params)  # nothing new: nothing twice
        assert again["catch_up_rounds"] == 0
        assert again["actions"]["done"] == []
    finally:
        store.close()
