"""Two community_sync runs started together, as separate processes, on one database.

Whatever the interleaving (one run stands aside on the pull lease, or both reach the
ledger and race to claim each action), every planned action happens exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from connectors.store import Store
from tests.flows.conftest import NOW, Deployment, make_deployment

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared(tmp_path: Path, database_url: str) -> Iterator[Deployment]:
    """Discourse + HubSpot on the SQLite or PostgreSQL database of ``database_url``."""
    yield from make_deployment(tmp_path, database_url=database_url)


def _start_sync(params_file: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "sync", "--params", str(params_file)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_syncs_at_once_act_once_per_key(shared: Deployment, tmp_path: Path) -> None:
    d = shared
    params_file = tmp_path / "params.json"
    params_file.write_text(json.dumps({**d.params, "now": NOW.isoformat()}))
    runs = [_start_sync(params_file), _start_sync(params_file)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    with Store.open(d.database_url) as store:
        entries = store.ledger()
        entered = {s.entity_id for s in store.tier_states("account").values() if s.tier == "intent"}
    assert entered and all(e.status == "done" for e in entries)
    alert_keys = Counter(m["metadata"]["event_payload"]["action_key"] for m in d.slack.messages("community-alerts"))
    assert alert_keys and set(alert_keys.values()) == {1}
    assert sorted(alert_keys) == sorted(e.key for e in entries if e.kind == "slack_alert")
    task_keys = Counter(t["properties"]["community_action_key"] for t in d.crm.tasks())
    assert set(task_keys.values()) == {1} and len(task_keys) == len(alert_keys)
