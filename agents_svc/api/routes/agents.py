"""AgentsApiDeps: register, list, read, change, delete and drain (commands to the scheduler)."""

from __future__ import annotations

import uuid

from aiohttp import web

from agents_svc.api.deps import agents_of
from agents_svc.api.readmodel.agents_read_model import AgentQuery
from agents_svc.api.routes.command_sending import PENDING, run_agents_command
from agents_svc.api.routes.query_params import token_param
from agents_svc.api.routes.read_model_responses import (
    list_response,
    not_found_problem,
    view_response,
)
from agents_svc.api.routes.request_schemas import CREATE_AGENT, UPDATE_AGENT
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import QueryParam, documented
from streams.http.paging import PAGE_QUERY, page_params
from streams.http.principal import require_principal
from streams.http.query_params import InvalidQuery, enum_param, path_id, uuid_param

AGENT_STATUSES = ("registered", "online", "busy", "draining", "offline")
_SETTINGS = ("name", "capabilities", "capacity", "labels", "model_settings")


def agent_param(request: web.Request) -> str:
    """The ``{id}`` path parameter as an agent id (404 when it cannot be one)."""
    return path_id(request, "id", "agent")


def agent_missing(agent_id: str) -> web.Response:
    """404 for an agent the read model does not know (or that was deleted)."""
    return not_found_problem("agent", "agent_not_found", agent_id)


@documented(
    tag="agents",
    responses={201: "The new agent", 409: "A live agent of the project has this name", **PENDING},
)
@requires("agents:create")
@accepts(CREATE_AGENT)
async def create_agent(request: web.Request) -> web.Response:
    """Register an agent in a project (then issue it a key to connect)."""
    body = json_body(request)
    agent_id = str(uuid.uuid4())
    data = {
        "agent_id": agent_id,
        "project_id": body["project_id"],
        "name": body["name"],
        "capabilities": list(body.get("capabilities", [])),
        "capacity": body.get("capacity", 1),
        "labels": body.get("labels", {}),
        "model_settings": body.get("model_settings", {}),
        "created_by": require_principal(request).sub,
    }
    return await run_agents_command(
        request, "CreateAgent", data, created_status=201, location=f"/api/agents/{agent_id}"
    )


@documented(
    tag="agents",
    responses={200: "A page of agents: items, and next (the next page's URL, or null)"},
    query=(
        *PAGE_QUERY,
        QueryParam("project_id", {"type": "string", "format": "uuid"}, "of this project"),
        QueryParam("status", {"enum": list(AGENT_STATUSES)}, "in this status"),
        QueryParam("capability", {"type": "string"}, "offering this capability"),
        QueryParam("name", {"type": "string"}, "name contains (case-insensitive)"),
    ),
)
@requires("agents:read")
async def list_agents(request: web.Request) -> web.Response:
    """List live agents, oldest first, with filters."""
    params = request.query
    try:
        limit, cursor = page_params(params)
        query = AgentQuery(
            limit=limit,
            after=cursor,
            project_id=uuid_param(params, "project_id"),
            status=enum_param(params, "status", AGENT_STATUSES),
            capability=token_param(params, "capability"),
            name=params.get("name") or None,
        )
    except InvalidQuery as exc:
        return exc.response()
    return await list_response(request, limit, lambda: agents_of(request).read_model.agents(query))


@documented(
    tag="agents", responses={200: "The agent (in_flight: its active tasks)", 404: "No such agent"}
)
@requires("agents:read")
async def get_agent(request: web.Request) -> web.Response:
    """One agent."""
    agent_id = agent_param(request)
    read_model = agents_of(request).read_model
    return await view_response(lambda: read_model.agent(agent_id), agent_missing(agent_id))


@documented(
    tag="agents",
    responses={200: "The agent", 404: "No such agent", 409: "Name taken", **PENDING},
)
@requires("agents:update")
@accepts(UPDATE_AGENT)
async def update_agent(request: web.Request) -> web.Response:
    """Change an agent's name, capabilities, capacity, labels or model settings."""
    agent_id = agent_param(request)
    body = json_body(request)
    changes = {k: body[k] for k in _SETTINGS if k in body}
    data = {"agent_id": agent_id, "changes": changes, "updated_by": require_principal(request).sub}
    return await run_agents_command(request, "UpdateAgent", data)


@documented(
    tag="agents",
    responses={
        200: "{agent_id, deleted: true, moved_tasks}: its tasks went back to the queue",
        404: "No such agent",
        **PENDING,
    },
    query=(QueryParam("reason", {"type": "string", "maxLength": 500}, "why (kept in the log)"),),
)
@requires("agents:delete")
async def delete_agent(request: web.Request) -> web.Response:
    """Delete an agent: its tasks are reassigned and its keys stop working."""
    agent_id = agent_param(request)
    reason = (request.query.get("reason") or "").strip() or None
    data = {"agent_id": agent_id, "deleted_by": require_principal(request).sub, "reason": reason}
    return await run_agents_command(request, "DeleteAgent", data)


@documented(tag="agents", responses={200: "The agent, draining", 404: "No such agent", **PENDING})
@requires("agents:update")
async def drain_agent(request: web.Request) -> web.Response:
    """Drain an agent: it finishes its running tasks and takes no new ones."""
    agent_id = agent_param(request)
    data = {"agent_id": agent_id, "by": require_principal(request).sub}
    return await run_agents_command(request, "DrainAgent", data)
