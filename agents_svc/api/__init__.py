"""The agents context's HTTP surface, mounted by the edge: agents, keys, workflows, tasks.

Thin handlers (``agents_svc.api.routes``): validate the body, authorize, then send a command to
the scheduler over Kafka (``agent-commands``, subject ``scheduler``) or query the Postgres
read model (schema ``agents``). Agent keys are minted here; only their hash travels.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web

from agents_svc.api.deps import AGENTS, AgentsApiDeps, agents_of
from agents_svc.api.readmodel.agents_read_model import AgentKeyRecord, PgAgentsReadModel
from agents_svc.api.routes import agents, executions, keys, messages, tasks, workflows
from agents_svc.api.routes.keys import authenticate

__all__ = [
    "AGENTS",
    "ROUTES",
    "AgentKeyRecord",
    "AgentsApiDeps",
    "agents_of",
    "authenticate",
    "connect",
    "mount",
]

# The edge types its field as ``agents_http.Agents``: the same class under its old name.

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
ROUTES: tuple[Route, ...] = (
    ("POST", "/api/agents", agents.create_agent),
    ("GET", "/api/agents", agents.list_agents),
    ("GET", "/api/agents/{id}", agents.get_agent),
    ("PATCH", "/api/agents/{id}", agents.update_agent),
    ("DELETE", "/api/agents/{id}", agents.delete_agent),
    ("POST", "/api/agents/{id}/drain", agents.drain_agent),
    ("POST", "/api/agents/{id}/keys", keys.issue_agent_key),
    ("GET", "/api/agents/{id}/keys", keys.list_agent_keys),
    ("DELETE", "/api/agents/{id}/keys/{key_id}", keys.revoke_agent_key),
    ("POST", "/api/agents/{id}/messages", messages.send_direct),
    ("POST", "/api/messages/broadcast", messages.broadcast),
    ("POST", "/api/workflows", workflows.define_workflow),
    ("GET", "/api/workflows", workflows.list_workflows),
    ("GET", "/api/workflows/{id}", workflows.get_workflow),
    ("PUT", "/api/workflows/{id}", workflows.define_version),
    ("POST", "/api/workflows/{id}/executions", workflows.execute_workflow),
    ("GET", "/api/executions", executions.list_executions),
    ("GET", "/api/executions/{id}", executions.get_execution),
    ("POST", "/api/executions/{id}/pause", executions.pause_execution),
    ("POST", "/api/executions/{id}/resume", executions.resume_execution),
    ("POST", "/api/executions/{id}/cancel", executions.cancel_execution),
    ("POST", "/api/tasks", tasks.submit_task),
    ("GET", "/api/tasks", tasks.list_tasks),
    ("POST", "/api/tasks/redistribute", tasks.redistribute_tasks),
    ("GET", "/api/tasks/{id}", tasks.get_task),
    ("POST", "/api/tasks/{id}/assign", tasks.assign_task),
    ("POST", "/api/tasks/{id}/cancel", tasks.cancel_task),
)


def mount(app: web.Application, deps: AgentsApiDeps) -> None:
    """Add the routes and their dependencies to the edge app (its CommandBus is required)."""
    app[AGENTS] = deps
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        yield
        await deps.close()

    app.cleanup_ctx.append(lifecycle)


def connect(database_url: str, env: Mapping[str, str] = os.environ) -> AgentsApiDeps:
    """The real dependencies: the Postgres read model (opened on first use)."""
    read_model = PgAgentsReadModel(database_url)
    return AgentsApiDeps(
        read_model=read_model,
        read_your_writes_s=AgentsApiDeps.read_your_writes_from_env(env),
        closers=[read_model.close],
    )
