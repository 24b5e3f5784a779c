"""Steering an execution that has finished: 409 with its state, never 404."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.agents_svc.api_harness import AgentsHarness, agents_app

PROJECT = str(uuid.uuid4())
DEFINITION = {"steps": [{"id": "fetch", "capabilities": ["http"], "input": {}}]}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[AgentsHarness]:
    async with agents_app(tmp_path) as harness:
        yield harness


async def _finished_execution(api: AgentsHarness, status: str) -> str:
    body = {"project_id": PROJECT, "name": "Digest", "definition": DEFINITION}
    code, workflow = await api.call("POST", "/api/workflows", json=body)
    assert code == 201, workflow
    code, execution = await api.call("POST", f"/api/workflows/{workflow['id']}/executions")
    assert code == 201, execution
    # The read model shows how it ended; the scheduler has forgotten it, as it does.
    api.read_model.executions_by_id[execution["id"]]["status"] = status
    return str(execution["id"])


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
@pytest.mark.parametrize("action", ["pause", "resume"])
async def test_pausing_or_resuming_a_finished_execution_is_409_naming_its_state(
    api: AgentsHarness, action: str, status: str
) -> None:
    execution_id = await _finished_execution(api, status)

    code, problem = await api.call("POST", f"/api/executions/{execution_id}/{action}")

    assert code == 409, problem
    assert problem["code"] == "invalid_transition"
    assert problem["execution_status"] == status
    assert status in problem["detail"]


async def test_steering_an_unknown_execution_is_still_404(api: AgentsHarness) -> None:
    code, problem = await api.call("POST", f"/api/executions/{uuid.uuid4()}/pause")
    assert (code, problem["code"]) == (404, "execution_not_found")
