"""Tasks: submit, list, read, assign to an agent, cancel, and redistribute in bulk."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from agents_svc.api.deps import AgentsApiDeps, agents_of
from agents_svc.api.readmodel.agents_read_model import TaskQuery
from agents_svc.api.routes.command_sending import PENDING, ask, respond, succeeded
from agents_svc.api.routes.query_params import (
    PAGE_QUERY,
    InvalidQuery,
    enum_param,
    page_params,
    path_id,
    time_param,
    token_param,
    uuid_param,
)
from agents_svc.api.routes.read_model_responses import (
    list_response,
    not_found_problem,
    view_response,
)
from agents_svc.api.routes.read_your_writes import settle
from agents_svc.api.routes.request_schemas import ASSIGN_TASK, REASON, REDISTRIBUTE, SUBMIT_TASK
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import QueryParam, documented
from streams.http.principal import require_principal

TASK_STATUSES = ("pending", "assigned", "running", "completed", "failed", "cancelled")
DEFAULTS = {"priority": 5, "max_attempts": 3, "backoff_s": 1, "timeout_s": 300}
# How far along a task is, to tell whether the read model caught up with a reply.
_RANK = {"pending": 0, "assigned": 1, "running": 2, "completed": 3, "failed": 3, "cancelled": 3}
_UUID_QUERY = {"type": "string", "format": "uuid"}
_TIME_QUERY = {"type": "string", "format": "date-time"}


def caught_up(view: dict[str, Any] | None, resource: dict[str, Any] | None) -> bool:
    """Whether the read model shows the task as far along as the reply (or further)."""
    if view is None:
        return False
    if resource is None or view["status"] in ("completed", "failed", "cancelled"):
        return True
    ours = (view.get("attempt", 0), _RANK.get(view["status"], 0))
    theirs = (resource.get("attempt", 0), _RANK.get(resource.get("status", ""), 0))
    return ours >= theirs


async def _await_task(agents: AgentsApiDeps, task_id: str, resource: dict[str, Any] | None) -> None:
    async def shown() -> bool:
        return caught_up(await agents.read_model.task(task_id), resource)

    await settle(shown, agents.read_your_writes_s)


@documented(
    tag="tasks",
    responses={
        201: "The task (pending, or already assigned)",
        422: "No live agent offers all its capabilities (code unsatisfiable_capabilities)",
        **PENDING,
    },
)
@requires("tasks:create")
@accepts(SUBMIT_TASK)
async def submit_task(request: web.Request) -> web.Response:
    """Submit a task; the scheduler assigns it to the least-loaded capable agent."""
    agents, body = agents_of(request), json_body(request)
    task_id = str(uuid.uuid4())
    data = {
        "task_id": task_id,
        "project_id": body["project_id"],
        "capabilities": list(body["capabilities"]),
        "input": body["input"],
        **{name: body.get(name, default) for name, default in DEFAULTS.items()},
        "submitted_by": require_principal(request).sub,
    }
    outcome = await ask(request, "SubmitTask", data)
    if succeeded(outcome) is not None:
        await _await_task(agents, task_id, None)
    return respond(outcome, created_status=201, location=f"/api/tasks/{task_id}")


@documented(
    tag="tasks",
    responses={200: "A page of tasks: items, and next (the next page's URL, or null)"},
    query=(
        *PAGE_QUERY,
        QueryParam("status", {"enum": list(TASK_STATUSES)}, "in this status"),
        QueryParam("agent_id", _UUID_QUERY, "assigned to this agent"),
        QueryParam("project_id", _UUID_QUERY, "of this project"),
        QueryParam("execution_id", _UUID_QUERY, "steps of this execution"),
        QueryParam("capability", {"type": "string"}, "needing this capability"),
        QueryParam("created_before", _TIME_QUERY, "submitted before (RFC 3339)"),
        QueryParam("created_after", _TIME_QUERY, "submitted after (RFC 3339)"),
    ),
)
@requires("tasks:read")
async def list_tasks(request: web.Request) -> web.Response:
    """List tasks, oldest first, with filters."""
    params = request.query
    try:
        limit, cursor = page_params(params)
        query = TaskQuery(
            limit=limit,
            after=cursor,
            status=enum_param(params, "status", TASK_STATUSES),
            agent_id=uuid_param(params, "agent_id"),
            project_id=uuid_param(params, "project_id"),
            execution_id=uuid_param(params, "execution_id"),
            capability=token_param(params, "capability"),
            created_before=time_param(params, "created_before"),
            created_after=time_param(params, "created_after"),
        )
    except InvalidQuery as exc:
        return exc.response()
    read_model = agents_of(request).read_model
    return await list_response(request, limit, lambda: read_model.tasks(query))


@documented(tag="tasks", responses={200: "The task", 404: "No such task"})
@requires("tasks:read")
async def get_task(request: web.Request) -> web.Response:
    """One task."""
    task_id = path_id(request, "id", "task")
    read_model = agents_of(request).read_model
    return await view_response(
        lambda: read_model.task(task_id), not_found_problem("task", "task_not_found", task_id)
    )


@documented(
    tag="tasks",
    responses={
        200: "The task, assigned",
        404: "No such task or agent",
        409: "The task is not pending, or the agent cannot take it now",
        422: "The agent lacks a capability the task needs",
        **PENDING,
    },
)
@requires("tasks:assign")
@accepts(ASSIGN_TASK)
async def assign_task(request: web.Request) -> web.Response:
    """Assign a task to a given agent (moving it when assigned elsewhere)."""
    task_id = path_id(request, "id", "task")
    data = {
        "task_id": task_id,
        "agent_id": str(uuid.UUID(json_body(request)["agent_id"])),
        "by": require_principal(request).sub,
    }
    outcome = await ask(request, "AssignTask", data)
    reply = succeeded(outcome)
    if reply is not None:
        await _await_task(agents_of(request), task_id, reply.resource)
    return respond(outcome)


@documented(
    tag="tasks",
    responses={200: "The task, cancelled", 404: "No such task", 409: "Already finished", **PENDING},
)
@requires("tasks:update")
@accepts(REASON, optional=True)
async def cancel_task(request: web.Request) -> web.Response:
    """Cancel a task (revoked on its agent; a workflow step's task fails its execution)."""
    task_id = path_id(request, "id", "task")
    data = {
        "task_id": task_id,
        "by": require_principal(request).sub,
        "reason": json_body(request).get("reason"),
    }
    outcome = await ask(request, "CancelTask", data)
    reply = succeeded(outcome)
    if reply is not None:
        await _await_task(agents_of(request), task_id, reply.resource)
    return respond(outcome)


@documented(
    tag="tasks",
    responses={200: "{assignments: [{task_id, from_agent_id, to_agent_id}]}", **PENDING},
)
@requires("tasks:redistribute")
@accepts(REDISTRIBUTE, optional=True)
async def redistribute_tasks(request: web.Request) -> web.Response:
    """Release the matching tasks and assign them again (to_agent_id null: left pending)."""
    body = json_body(request)
    data = {
        "from_agent_id": body.get("from_agent_id"),
        "status": body.get("status"),
        "older_than_s": body.get("older_than_s"),
        "capability": body.get("capability"),
        "by": require_principal(request).sub,
    }
    return respond(await ask(request, "RedistributeTasks", data))
