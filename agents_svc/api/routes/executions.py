"""Workflow executions: list, read (with steps), pause, resume and cancel."""

from __future__ import annotations

from aiohttp import web

import topics
from agents_svc.api.deps import AgentsApiDeps, agents_of
from agents_svc.api.readmodel.agents_read_model import ExecutionQuery
from agents_svc.api.routes.command_sending import PENDING, SUBJECT
from agents_svc.api.routes.read_model_responses import (
    list_response,
    not_found_problem,
    view_response,
)
from agents_svc.api.routes.request_schemas import REASON
from streams.commands import Completed, Outcome
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.command_route import wait_for_read_model
from streams.http.commands import COMMAND_ID_HEADER, outcome_response, send_command
from streams.http.openapi import QueryParam, documented
from streams.http.paging import PAGE_QUERY, page_params
from streams.http.principal import require_principal
from streams.http.problem import problem
from streams.http.query_params import InvalidQuery, enum_param, path_id, uuid_param
from streams.readmodel_pool import ReadModelUnavailable

EXECUTION_STATUSES = ("running", "paused", "completed", "failed", "cancelled")
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
_CONTROL = {
    200: "The execution",
    404: "No such execution",
    409: "Not possible in its status (code invalid_transition)",
    **PENDING,
}


@documented(
    tag="workflows",
    responses={200: "A page of executions"},
    query=(
        *PAGE_QUERY,
        QueryParam("workflow_id", {"type": "string", "format": "uuid"}, "of this workflow"),
        QueryParam("status", {"enum": list(EXECUTION_STATUSES)}, "in this status"),
        QueryParam("project_id", {"type": "string", "format": "uuid"}, "of this project"),
    ),
)
@requires("workflows:read")
async def list_executions(request: web.Request) -> web.Response:
    """List executions, oldest first, with filters."""
    params = request.query
    try:
        limit, cursor = page_params(params)
        query = ExecutionQuery(
            limit=limit,
            after=cursor,
            workflow_id=uuid_param(params, "workflow_id"),
            status=enum_param(params, "status", EXECUTION_STATUSES),
            project_id=uuid_param(params, "project_id"),
        )
    except InvalidQuery as exc:
        return exc.response()
    read_model = agents_of(request).read_model
    return await list_response(request, limit, lambda: read_model.executions(query))


@documented(
    tag="workflows", responses={200: "The execution and its steps", 404: "No such execution"}
)
@requires("workflows:read")
async def get_execution(request: web.Request) -> web.Response:
    """One execution, with the status, task, attempts and output of each step."""
    execution_id = path_id(request, "id", "execution")
    read_model = agents_of(request).read_model
    missing = not_found_problem("execution", "execution_not_found", execution_id)
    return await view_response(lambda: read_model.execution(execution_id), missing)


async def _control(request: web.Request, type_name: str) -> web.Response:
    agents = agents_of(request)
    execution_id = path_id(request, "id", "execution")
    data = {
        "execution_id": execution_id,
        "by": require_principal(request).sub,
        "reason": json_body(request).get("reason"),
    }
    outcome = await send_command(request, topics.AGENT_COMMANDS, type_name, SUBJECT, data)
    if isinstance(outcome, web.Response):
        return outcome  # not sent: a problem, nothing to wait for
    # The reply decides first: a refusal may mean "finished", which only the read model knows.
    finished = await _finished_instead(agents, execution_id, outcome)
    if finished is not None:
        return finished
    if isinstance(outcome, Completed) and outcome.reply.status == "succeeded":
        await wait_for_read_model(request, agents.read_model_view, outcome)
    return outcome_response(outcome, created_status=200)


async def _finished_instead(
    agents: AgentsApiDeps, execution_id: str, outcome: Outcome
) -> web.Response | None:
    """409 with its state for an execution that finished, which the scheduler has forgotten."""
    if not isinstance(outcome, Completed) or outcome.reply.error is None:
        return None
    if outcome.reply.error.code != "execution_not_found":
        return None
    try:
        # Looked at once: nothing names the command that finished it, so none to wait on.
        view = await agents.read_model.execution(execution_id)
    except ReadModelUnavailable:
        return None  # cannot tell: the scheduler's 404 stands
    if view is None or view["status"] not in TERMINAL_STATUSES:
        return None
    response = problem(
        409,
        "Conflict",
        f"execution is {view['status']}",
        code="invalid_transition",
        field="execution_id",
        execution_status=view["status"],
        command_id=outcome.reply.command_id,
    )
    response.headers[COMMAND_ID_HEADER] = outcome.reply.command_id
    return response


@documented(tag="workflows", responses=_CONTROL)
@requires("workflows:pause")
@accepts(REASON, optional=True)
async def pause_execution(request: web.Request) -> web.Response:
    """Pause an execution: no new step starts; queued tasks are held."""
    return await _control(request, "PauseExecution")


@documented(tag="workflows", responses=_CONTROL)
@requires("workflows:resume")
@accepts(REASON, optional=True)
async def resume_execution(request: web.Request) -> web.Response:
    """Resume a paused execution."""
    return await _control(request, "ResumeExecution")


@documented(tag="workflows", responses=_CONTROL)
@requires("workflows:execute")
@accepts(REASON, optional=True)
async def cancel_execution(request: web.Request) -> web.Response:
    """Cancel an execution; its active tasks are revoked."""
    return await _control(request, "CancelExecution")
