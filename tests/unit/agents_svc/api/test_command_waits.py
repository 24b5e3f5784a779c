"""Each agents command route waits for the read model by one rule: its command's applied count."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.agents_svc.api_harness import READ_YOUR_WRITES_S, AgentsHarness, agents_app

PROJECT = str(uuid.uuid4())


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[AgentsHarness]:
    async with agents_app(tmp_path) as harness:
        yield harness


async def test_a_success_waits_for_the_events_the_read_model_applies(api: AgentsHarness) -> None:
    body = {"project_id": PROJECT, "name": "Crawler", "capabilities": ["http"]}
    status, agent = await api.call("POST", "/api/agents", json=body)
    assert status == 201
    (create,) = api.sent("CreateAgent")
    assert api.waiter.waits == [("agents", create.id, 1, READ_YOUR_WRITES_S)]
    assert api.waiter.counts[("agents", create.id)] == 1
    # Deleting an agent with a task: AgentDeleted, and the task's TaskReleased... all shown.
    await api.connect(agent["id"])
    task = {"project_id": PROJECT, "capabilities": ["http"], "input": {}}
    status, queued = await api.call("POST", "/api/tasks", json=task)
    assert status == 201
    # The reply is the queued task; the read model already shows what dispatch did next.
    (submit,) = api.sent("SubmitTask")
    # TaskQueued, TaskAssigned, and AgentStatusChanged: its one slot taken, it is busy.
    assert api.waiter.waits[-1][1:3] == (submit.id, 3)
    status, shown = await api.call("GET", f"/api/tasks/{queued['id']}")
    assert (status, shown["status"], shown["agent_id"]) == (200, "assigned", agent["id"])
    status, _ = await api.call("DELETE", f"/api/agents/{agent['id']}")
    (delete,) = api.sent("DeleteAgent")
    waited = api.waiter.waits[-1]
    assert status == 200 and waited[:2] == ("agents", delete.id) and waited[2] >= 2
    status, shown = await api.call("GET", f"/api/tasks/{queued['id']}")
    assert (status, shown["status"], shown["agent_id"]) == (200, "pending", None)


async def test_a_refusal_or_a_change_of_nothing_waits_for_nothing(api: AgentsHarness) -> None:
    body = {"project_id": PROJECT, "name": "Crawler"}
    _, agent = await api.call("POST", "/api/agents", json=body)
    waits = len(api.waiter.waits)
    assert (await api.call("POST", "/api/agents", json=body))[0] == 409
    status, _ = await api.call("PATCH", f"/api/agents/{agent['id']}", json={"capacity": 1})
    assert status == 200  # unchanged: no AgentUpdated, so nothing to wait for
    assert len(api.waiter.waits) == waits
