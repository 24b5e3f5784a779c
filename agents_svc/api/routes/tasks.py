"""Tasks: submit, list, read, assign to an agent, cancel, and redistribute in bulk."""

from __future__ import annotations

import uuid

from aiohttp import web

from agents_svc.api.deps import agents_of
from agents_svc.api.readmodel.agents_read_model import TaskQuery
from agents_svc.api.routes.command_sending import PENDING, run_agents_command
from agents_svc.api.routes.query_params import token_param
from agents_svc.api.routes.read_model_responses import (
    list_response,
    not_found_problem,
    view_response,
)
from agents_svc.api.routes.request_schemas import ASSIGN_TASK, REASON, REDISTRIBUTE, SUBMIT_TASK
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import QueryParam, documented
from streams.http.paging import PAGE_QUERY, page_params
from streams.http.principal import require_principal
from streams.http.query_params import InvalidQuery, enum_param, path_id, time_param, uuid_param

TASK_STATUSES = ("pending", "assigned", "running", "completed", "failed", "cancelled")
DEFAULTS = {"priority": 5, "max_attempts": 3, "backoff_s": 1, "timeout_s": 300}
_UUID_QUERY = {"type": "string", "format": "uuid"}
_TIME_QUERY = {"type": "string", "format": "date-time"}


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
    body = json_body(request)
    task_id = str(uuid.uuid4())
    data = {
        "task_id": task_id,
        "project_id": body["project_id"],
        "capabilities": list(body["capabilities"]),
        "input": body["input"],
        **{name: body.get(name, default) for name, default in DEFAULTS.items()},
        "submitted_by": require_principal(request).sub,
    }
    return await run_agents_command(
        request, "SubmitTask", data, created_status=201, location=f"/api/tasks/{task_id}"
    )


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
    return await run_agents_command(request, "AssignTask", data)


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
    return await run_agents_command(request, "CancelTask", data)


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
    return await run_agents_command(request, "RedistributeTasks", data)
