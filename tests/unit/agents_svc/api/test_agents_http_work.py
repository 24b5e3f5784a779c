"""The agents routes over the real scheduler: workflows (JSON, YAML), executions, tasks, OpenAPI."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agents_svc.api import ROUTES
from tests.support.agents_svc.api_harness import AgentsHarness, agents_app

PROJECT = str(uuid.uuid4())
DEFINITION = {
    "steps": [{"id": "fetch", "capabilities": ["http"], "input": {"url": "${context.url}"}}]
}
YAML = f"""
project_id: {PROJECT}
name: Digest
definition:
  steps:
    - id: fetch
      capabilities: [http]
      input: {{url: "${{context.url}}"}}
    - id: summarize
      depends_on: [fetch]
"""


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[AgentsHarness]:
    async with agents_app(tmp_path) as harness:
        yield harness


async def _agent(
    api: AgentsHarness, name: str = "Crawler", caps: tuple[str, ...] = ("http",)
) -> str:
    """An agent offering ``caps`` (the scheduler refuses work no agent could do)."""
    body = {"project_id": PROJECT, "name": name, "capabilities": list(caps)}
    status, view = await api.call("POST", "/api/agents", json=body)
    assert status == 201, view
    return str(view["id"])


async def _workflow(api: AgentsHarness) -> dict[str, object]:
    await _agent(api)
    body = {"project_id": PROJECT, "name": "Digest", "definition": DEFINITION}
    status, view = await api.call("POST", "/api/workflows", role="operator", json=body)
    assert status == 201, view
    return dict(view)


async def test_a_workflow_defined_in_json_then_a_new_version(api: AgentsHarness) -> None:
    view = await _workflow(api)
    (define,) = api.sent("DefineWorkflow")
    assert define.subject == "scheduler" and define.data["workflow_id"] == view["id"]
    assert (
        define.data["definition"] == DEFINITION
        and define.data["defined_by"] == api.users["operator"]
    )
    body = {"project_id": PROJECT, "name": "Digest 2", "definition": DEFINITION}
    status, second = await api.call("PUT", f"/api/workflows/{view['id']}", json=body)
    assert (status, second["version"]) == (200, 2)
    status, first = await api.call("GET", f"/api/workflows/{view['id']}?version=1", role="viewer")
    assert (status, first["name"]) == (200, "Digest")
    assert (await api.call("GET", f"/api/workflows/{view['id']}?version=0"))[0] == 422
    assert (await api.call("GET", f"/api/workflows/{view['id']}?version=7"))[0] == 404
    status, page = await api.call("GET", "/api/workflows")
    assert status == 200 and [w["id"] for w in page["items"]] == [view["id"]]


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml; charset=utf-8"])
async def test_a_workflow_may_be_posted_as_yaml(api: AgentsHarness, content_type: str) -> None:
    await _agent(api)
    response = await api.edge.client.post(
        "/api/workflows", data=YAML, headers={**api.auth(), "Content-Type": content_type}
    )
    assert response.status == 201, await response.text()
    (define,) = api.sent("DefineWorkflow")
    steps = define.data["definition"]["steps"]
    assert [s["id"] for s in steps] == ["fetch", "summarize"]
    assert steps[0]["input"] == {"url": "${context.url}"}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("steps: [unclosed", "application/yaml", 400, "invalid_yaml"),
        (f"project_id: {PROJECT}\nname: x\n", "application/yaml", 422, "invalid_body"),
        ("<workflow/>", "application/xml", 415, "unsupported_media_type"),
    ],
)
async def test_bad_workflow_documents(
    api: AgentsHarness, data: str, content_type: str, status: int, code: str
) -> None:
    response = await api.edge.client.post(
        "/api/workflows", data=data, headers={**api.auth(), "Content-Type": content_type}
    )
    problem = await response.json(content_type=None)
    assert (response.status, problem["code"]) == (status, code)
    if status == 422:
        assert problem["field"] == "definition"


async def test_a_step_the_command_schema_refuses_is_422_naming_it(api: AgentsHarness) -> None:
    body = {"project_id": PROJECT, "name": "x", "definition": {"steps": [{"id": "a", "bogus": 1}]}}
    status, problem = await api.call("POST", "/api/workflows", json=body)
    assert status == 422 and problem["field"].startswith("definition.steps")


async def test_executions_start_and_are_steered(api: AgentsHarness) -> None:
    workflow = await _workflow(api)
    response = await api.edge.client.post(
        f"/api/workflows/{workflow['id']}/executions",
        json={"context": {"url": "u"}},
        headers=api.auth("operator"),
    )
    execution = await response.json()
    assert (
        response.status == 201
        and response.headers["Location"] == f"/api/executions/{execution['id']}"
    )
    (run,) = api.sent("ExecuteWorkflow")
    assert run.data["version"] is None and run.data["context"] == {"url": "u"}
    path = f"/api/executions/{execution['id']}"
    status, paused = await api.call("POST", f"{path}/pause", role="operator")
    assert (status, paused["status"]) == (200, "paused")
    assert api.sent("PauseExecution")[0].data["reason"] is None
    status, resumed = await api.call("POST", f"{path}/resume", json={"reason": "go on"})
    assert (status, resumed["status"]) == (200, "running")
    assert api.sent("ResumeExecution")[0].data["reason"] == "go on"
    assert (await api.call("POST", f"{path}/cancel", role="member"))[0] == 403
    assert (await api.call("POST", f"{path}/cancel"))[0] == 200
    status, shown = await api.call("GET", path, role="viewer")
    assert (status, shown["status"]) == (200, "cancelled")
    assert (await api.call("GET", "/api/executions?status=done"))[0] == 422
    status, problem = await api.call("POST", f"/api/workflows/{uuid.uuid4()}/executions")
    assert (status, problem["code"]) == (404, "workflow_not_found")


async def test_a_task_is_submitted_with_defaults(api: AgentsHarness) -> None:
    await _agent(api)  # not connected: the task waits for it
    body = {"project_id": PROJECT, "capabilities": ["http"], "input": {"q": 1}}
    response = await api.edge.client.post("/api/tasks", json=body, headers=api.auth("member"))
    task = await response.json()
    assert response.status == 201 and response.headers["Location"] == f"/api/tasks/{task['id']}"
    (submit,) = api.sent("SubmitTask")
    assert submit.subject == "scheduler"
    assert {k: submit.data[k] for k in ("priority", "max_attempts", "backoff_s", "timeout_s")} == {
        "priority": 5,
        "max_attempts": 3,
        "backoff_s": 1,
        "timeout_s": 300,
    }
    assert submit.data["submitted_by"] == api.users["member"]
    status, shown = await api.call("GET", f"/api/tasks/{task['id']}", role="viewer")
    assert (status, shown["status"]) == (200, "pending")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": 10}, "priority"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"backoff_s": -1}, "backoff_s"),
        ({"input": []}, "input"),
        ({"capabilities": None}, "capabilities"),
    ],
)
async def test_invalid_task_bodies_name_the_field(
    api: AgentsHarness, change: dict[str, object], field: str
) -> None:
    body = {"project_id": PROJECT, "capabilities": ["http"], "input": {}, **change}
    status, problem = await api.call("POST", "/api/tasks", json=body)
    assert (status, problem["field"]) == (422, field)


async def test_assign_cancel_and_redistribute(api: AgentsHarness) -> None:
    agents = [await _agent(api, name) for name in ("One", "Two")]
    for connected in agents:
        await api.connect(connected)
    body = {"project_id": PROJECT, "capabilities": [], "input": {}}
    _, task = await api.call("POST", "/api/tasks", json=body)
    # The scheduler gave it to one of them; it moves to the other.
    agent = next(a for a in agents if a != task["agent_id"])
    status, assigned = await api.call(
        "POST", f"/api/tasks/{task['id']}/assign", role="operator", json={"agent_id": agent}
    )
    assert (status, assigned["agent_id"]) == (200, agent)
    assert (
        await api.call(
            "POST", f"/api/tasks/{task['id']}/assign", role="member", json={"agent_id": agent}
        )
    )[0] == 403
    status, moved = await api.call("POST", "/api/tasks/redistribute", role="operator")
    assert status == 200 and moved["assignments"][0]["task_id"] == task["id"]
    (redistribute,) = api.sent("RedistributeTasks")
    assert redistribute.data["from_agent_id"] is None and redistribute.data["status"] is None
    status, problem = await api.call("POST", "/api/tasks/redistribute", json={"status": "done"})
    assert (status, problem["field"]) == (422, "status")
    status, cancelled = await api.call(
        "POST", f"/api/tasks/{task['id']}/cancel", json={"reason": "no"}
    )
    assert (status, cancelled["status"]) == (200, "cancelled")
    assert api.sent("CancelTask")[0].data["reason"] == "no"


async def test_unsatisfiable_capabilities_are_the_services_422(api: AgentsHarness) -> None:
    body = {"project_id": PROJECT, "capabilities": ["nothing-offers-this"], "input": {}}
    status, problem = await api.call("POST", "/api/tasks", json=body)
    assert (status, problem["code"], problem["field"]) == (
        422,
        "unsatisfiable_capabilities",
        "capabilities",
    )


async def test_task_list_queries_are_checked(api: AgentsHarness) -> None:
    for query, field in (
        ("created_after=yesterday", "created_after"),
        ("created_before=2026-01-01T00:00:00", "created_before"),
        ("agent_id=x", "agent_id"),
        ("status=sleeping", "status"),
    ):
        status, problem = await api.call("GET", f"/api/tasks?{query}")
        assert (status, problem["field"]) == (422, field), query
    status, page = await api.call("GET", "/api/tasks?created_after=2026-01-01T00:00:00Z&limit=5")
    assert status == 200 and page["limit"] == 5


async def test_openapi_documents_every_agents_route(api: AgentsHarness) -> None:
    import openapi_spec_validator

    document = await (await api.edge.client.get("/openapi.json")).json()
    openapi_spec_validator.validate(document)
    for method, path, _handler in ROUTES:
        operation = document["paths"][path][method.lower()]
        assert operation["summary"] and operation["tags"], path
        assert operation["x-permission"].split(":")[0] in ("agents", "tasks", "workflows"), path
        assert operation["security"] == [{"bearerAuth": []}]
    define = document["paths"]["/api/workflows"]["post"]["requestBody"]
    assert set(define["content"]) == {"application/json", "application/yaml", "text/yaml"}
    cancel = document["paths"]["/api/tasks/{id}/cancel"]["post"]["requestBody"]
    assert cancel["required"] is False
    assert document["paths"]["/api/tasks"]["post"]["requestBody"]["required"] is True
