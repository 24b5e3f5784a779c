"""An in-process edge speaking the agent connection protocol, for the SDK's unit tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import BaseTestServer, TestServer

from dafnck_sdk import Agent

GOOD_KEY = "dka_k1_secret"


class FakeEdge:
    """Accepts GOOD_KEY, welcomes, records every frame, answers ok to reports it is told to."""

    def __init__(self, heartbeat_interval_s: float = 5.0) -> None:
        self.heartbeat_interval_s = heartbeat_interval_s
        self.received: list[dict[str, Any]] = []  # each frame, with "_conn" (1-based) and "_at"
        self.hellos: list[dict[str, Any]] = []
        self.handshakes = 0  # every upgrade attempt, refused ones included
        self.connections = 0
        self.ok: Callable[[dict[str, Any]], bool] = lambda frame: True
        self.errors: Callable[[dict[str, Any]], str | None] = lambda frame: None
        self.down = False  # refuse connections with 503 (the edge is "unreachable")
        self.reject_hello: str | None = None  # error frame + close 4003
        self.ws: web.WebSocketResponse | None = None
        self.server: BaseTestServer | None = None

    @property
    def url(self) -> str:
        """What an Agent's edge_url is."""
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def connect(self, request: web.Request) -> web.StreamResponse:
        """GET /api/agents/connect."""
        self.handshakes += 1
        if self.down:
            return web.json_response({"detail": "down"}, status=503)
        if request.headers.get("Authorization") != f"AgentKey {GOOD_KEY}":
            return web.json_response(
                {"title": "Unauthorized", "status": 401, "detail": "unknown or revoked agent key"},
                status=401,
                content_type="application/problem+json",
            )
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        conn = self.connections
        hello = json.loads(await ws.receive_str())
        self.hellos.append(hello)
        if self.reject_hello is not None:
            # As a binary frame, as agents_svc/live does: the SDK must read it all the same.
            refusal = {"type": "error", "detail": self.reject_hello, "ref": None}
            await ws.send_bytes(json.dumps(refusal).encode())
            await ws.close(code=4003, message=b"hello refused")
            return ws
        await ws.send_json(
            {
                "type": "welcome",
                "agent_id": "agent-1",
                "session_id": f"s{conn}",
                "heartbeat_interval_s": self.heartbeat_interval_s,
            }
        )
        self.ws = ws
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            self.received.append({**frame, "_conn": conn, "_at": time.monotonic()})
            if "ref" not in frame:
                continue
            error = self.errors(frame)
            if error is not None:
                await ws.send_json({"type": "error", "detail": error, "ref": frame["ref"]})
            elif self.ok(frame):
                await ws.send_json({"type": "ok", "ref": frame["ref"]})
        return ws

    async def send(self, frame: dict[str, Any]) -> None:
        """A frame to the connected agent."""
        assert self.ws is not None
        await self.ws.send_json(frame)

    async def offer(self, task_id: str, attempt: int = 1, **data: Any) -> None:
        """A task frame."""
        frame = {"type": "task", "task_id": task_id, "attempt": attempt, "project_id": "p1"}
        frame.setdefault("input", {})
        await self.send({**frame, "capabilities": ["x"], "timeout_s": 60, **data})

    async def drop(self, code: int = 1011) -> None:
        """Close the current connection from the edge's side."""
        assert self.ws is not None
        await self.ws.close(code=code, message=b"bye")

    def frames(self, kind: str | None = None, conn: int | None = None) -> list[dict[str, Any]]:
        """Received frames of this type (and connection)."""
        return [
            f
            for f in self.received
            if (kind is None or f["type"] == kind) and (conn is None or f["_conn"] == conn)
        ]


async def until(predicate: Callable[[], Any], timeout: float = 3.0) -> None:
    """Wait until predicate() is true (polled), or fail the test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running_edge(heartbeat_interval_s: float = 5.0) -> AsyncIterator[FakeEdge]:
    """A FakeEdge served on a free local port."""
    edge = FakeEdge(heartbeat_interval_s)
    app = web.Application()
    app.router.add_get("/api/agents/connect", edge.connect)
    async with TestServer(app) as server:
        edge.server = server
        yield edge


def make_agent(edge: FakeEdge, handler: Any, **options: Any) -> Agent:
    """An Agent pointed at the fake edge, with test-friendly timings."""
    options.setdefault("grace_s", 1.0)
    options.setdefault("flush_timeout_s", 1.0)
    return Agent(
        edge_url=edge.url,
        api_key=options.pop("api_key", GOOD_KEY),
        name=options.pop("name", "tester"),
        capabilities=options.pop("capabilities", ["x"]),
        handler=handler,
        **options,
    )


@contextlib.asynccontextmanager
async def serving(agent: Agent, edge: FakeEdge) -> AsyncIterator[asyncio.Task[None]]:
    """Run agent.serve() in the background, connected; stop it gracefully afterwards."""
    job = asyncio.create_task(agent.serve())
    try:
        await until(lambda: edge.ws is not None or job.done())
        yield job
    finally:
        agent.stop()
        await asyncio.wait_for(job, 5)
