"""Reading what a flow run published, from the real Prefect test server."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.states import State


def run_id(state: State) -> UUID:
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    return flow_run_id


def artifact(state: State, key: str) -> Any:
    """The data of the artifact ``key`` that the run behind ``state`` published (tables as row lists)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[run_id(state)])))
    assert len(found) == 1, f"expected one {key!r} artifact of the run, found {len(found)}"
    data = found[0].data
    return json.loads(data) if found[0].type == "table" and isinstance(data, str) else data
