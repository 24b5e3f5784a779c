"""Messages to agents from people: broadcast to many, or direct to one (``user:<id>`` sends)."""

from __future__ import annotations

import uuid

from aiohttp import web

from agents_svc.api.routes.agents import agent_param
from agents_svc.api.routes.command_sending import PENDING, run_agents_command
from agents_svc.api.routes.request_schemas import BROADCAST, DIRECT_MESSAGE
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import documented
from streams.http.principal import require_principal


def _sender(request: web.Request) -> str:
    return f"user:{require_principal(request).sub}"


@documented(
    tag="agents",
    responses={201: "{message_id, recipients}: every live agent matching the filter", **PENDING},
)
@requires("agents:send")
@accepts(BROADCAST)
async def broadcast(request: web.Request) -> web.Response:
    """Send a message to every live agent (optionally: with a capability, of a project)."""
    body = json_body(request)
    data = {
        "message_id": str(uuid.uuid4()),
        "sender": _sender(request),
        "capability": body.get("capability"),
        "project_id": body.get("project_id"),
        "body": body["body"],
    }
    return await run_agents_command(request, "BroadcastMessage", data, created_status=201)


@documented(
    tag="agents",
    responses={
        201: "{message_id, recipients}",
        404: "No such agent",
        429: "The agent's mailbox is full (1,000 unacknowledged)",
        **PENDING,
    },
)
@requires("agents:send")
@accepts(DIRECT_MESSAGE)
async def send_direct(request: web.Request) -> web.Response:
    """Send a message to one agent (delivered now, or when it reconnects)."""
    data = {
        "message_id": str(uuid.uuid4()),
        "sender": _sender(request),
        "to_agent_id": agent_param(request),
        "body": json_body(request)["body"],
    }
    return await run_agents_command(request, "SendDirectMessage", data, created_status=201)
