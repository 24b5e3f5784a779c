"""Steering an execution that has finished (the scheduler forgot it): 409 with its state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.agents_svc.api_harness import AgentsHarness, agents_app
from tests.support.agents_svc.scheduler_driver import step_task_id

PROJECT = str(uuid.uuid4())
DEFINITION = {"steps": [{"id": "fetch", "capabilities": ["http"], "input": {}}]}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[AgentsHarness]:
    async with agents_app(tmp_path) as harness:
        yield harness


async def _finished_execution(api: AgentsHarness, status: str) -> str:
    agent = {"project_id": PROJECT, "name": "Crawler", "capabilities": ["http"]}
    code, crawler = await api.call("POST", "/api/agents", json=agent)
    assert code == 201, crawler
    await api.connect(crawler["id"])
    body = {"project_id": PROJECT, "name": "Digest", "definition": DEFINITION}
    code, workflow = await api.call("POST", "/api/workflows", json=body)
    assert code == 201, workflow
    code, execution = await api.call("POST", f"/api/workflows/{workflow['id']}/executions")
    assert code == 201, execution
    # Its one step's task went to the crawler: the crawler ends it (or the user cancels).
    report = {
        "task_id": step_task_id(execution["id"], "fetch"),
        "agent_id": crawler["id"],
        "attempt": 1,
    }
    if status == "cancelled":
        code, _ = await api.call("POST", f"/api/executions/{execution['id']}/cancel")
        assert code == 200
    else:
        await api.scheduler.run("StartTask", **report)
    if status == "completed":
        await api.scheduler.run("CompleteTask", **report, output={"ok": True})
    if status == "failed":
        await api.scheduler.run("FailTask", **report, error="boom", retryable=False)
    await api.scheduler.settled()
    shown = await api.read_model.execution(execution["id"])
    assert shown is not None and shown["status"] == status
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
