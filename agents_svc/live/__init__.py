"""The agents' live channel on the edge: ``GET /api/agents/connect`` (WebSocket).

Agents authenticate with their own key (not a user's token), so the route is public to the
edge's token check and does its own: a refused key is a 401 problem before any upgrade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from agents_svc.live.auth import AgentAuthError, KeyDirectory, authenticate
from agents_svc.live.hub import AgentHub
from agents_svc.live.session import AgentSession, LiveSettings
from edge.auth.routes import public
from edge.core import problem
from streams.producer import EventPublisher

CONNECT_PATH = "/api/agents/connect"


@dataclass
class Live:
    """What the connect route needs."""

    keys: KeyDirectory
    hub: AgentHub
    publisher: EventPublisher
    settings: LiveSettings


LIVE = web.AppKey("agents_live", Live)


@public
async def connect(request: web.Request) -> web.StreamResponse:
    """Upgrade an agent's authenticated request to its task and message channel."""
    live = request.app[LIVE]
    try:
        holder = await authenticate(request, live.keys)
    except AgentAuthError as exc:
        return problem(401, "Unauthorized", str(exc))
    ws = web.WebSocketResponse(heartbeat=max(5.0, live.settings.heartbeat_interval_s * 2))
    await ws.prepare(request)
    await AgentSession(ws, holder, live.hub, live.publisher, live.settings).serve()
    return ws


def mount(app: web.Application, live: Live) -> None:
    """Add the connect route; the hub reads deliveries while the app runs."""
    app[LIVE] = live
    app.router.add_route("GET", CONNECT_PATH, connect)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await live.hub.start()
        yield
        await live.hub.stop()

    app.cleanup_ctx.append(lifecycle)
