"""The agents' live channel on the edge: ``GET /api/agents/connect`` (WebSocket).

Agents authenticate with their own key (not a user's token), so the route is public to the
edge's token check and does its own: a refused key is a 401 problem before any upgrade.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from agents_svc.api.deps import AGENTS
from agents_svc.api.live.hub import AgentHub
from agents_svc.api.live.session import AgentSession, LiveSettings
from agents_svc.api.routes.keys import authenticate, key_problem
from agents_svc.domain.sizes import FRAME_MAX_BYTES
from streams.http.access import public
from streams.http.commands import COMMANDS
from streams.http.openapi import documented

CONNECT_PATH = "/api/agents/connect"
SCHEME = "AgentKey"
HUB = web.AppKey("agents_hub", AgentHub)
LIVE_SETTINGS = web.AppKey("agents_live_settings", LiveSettings)
INTERVAL_ENV, TIMEOUT_ENV = "DAFNCK_AGENT_HEARTBEAT_INTERVAL_S", "DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S"


def live_settings_from_env(env: Mapping[str, str] = os.environ) -> LiveSettings:
    """Beat every DAFNCK_AGENT_HEARTBEAT_INTERVAL_S (default: a third of the timeout)."""
    interval = env.get(INTERVAL_ENV, "").strip()
    if interval:
        return LiveSettings(heartbeat_interval_s=float(interval))
    timeout = float(env.get(TIMEOUT_ENV, "").strip() or 15)
    return LiveSettings(heartbeat_interval_s=timeout / 3)


@public
@documented(
    tag="agents",
    responses={
        101: "Switched to the agent's WebSocket channel",
        400: "Not a WebSocket upgrade request",
        401: "Missing, unknown, revoked or malformed agent key (`Authorization: AgentKey ...`)",
    },
)
async def connect(request: web.Request) -> web.StreamResponse:
    """Upgrade an agent's authenticated request to its task and message channel."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme != SCHEME or not presented.strip():
        return key_problem(f"send the agent's key as 'Authorization: {SCHEME} dka_...'")
    holder = await authenticate(request.app[AGENTS].read_model, presented.strip())
    if holder is None:
        return key_problem("unknown, revoked or malformed agent key (or its agent was deleted)")
    settings = request.app[LIVE_SETTINGS]
    ws = web.WebSocketResponse(
        heartbeat=max(5.0, settings.heartbeat_interval_s * 2), max_msg_size=FRAME_MAX_BYTES
    )
    await ws.prepare(request)
    publisher = request.app[COMMANDS].bus.publisher
    await AgentSession(ws, holder, request.app[HUB], publisher, settings).serve()
    return ws


def mount(app: web.Application, bootstrap: str, settings: LiveSettings) -> None:
    """Add the connect route; the hub reads deliveries while the app runs."""
    hub = AgentHub(bootstrap)
    app[HUB] = hub
    app[LIVE_SETTINGS] = settings
    app.router.add_route("GET", CONNECT_PATH, connect)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.stop()

    app.cleanup_ctx.append(lifecycle)
