"""Rate limits in a real Redis: the GCRA script, per-user and per-address buckets, fail-open."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from edge.app import METRICS, EdgeMetrics, request_context
from edge.auth.middleware import AuthGate
from edge.auth.verify import TokenVerifier
from edge.ratelimit.gcra import GcraStore
from edge.ratelimit.middleware import RateLimiter
from streams.http.access import requires
from streams.http.denylist import DenyList
from streams.http.jwks import StaticJwksProvider
from streams.http.permissions import RolePermissions
from streams.http.rate_rules import RateRule, rule
from users_svc.api.signing.ring import KeyRing

pytestmark = pytest.mark.integration

ISSUER = "https://users.dafnck.test"
AUDIENCE = "dafnck-api"
RING = KeyRing.generate(ISSUER)
LIMIT = 3


@requires("agents:read")
async def list_agents(request: web.Request) -> web.Response:
    return web.json_response([])


def bearer(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {RING.sign(sub, audience=AUDIENCE, roles=['viewer'])}"}


@dataclass
class Edge:
    client: TestClient
    store: GcraStore


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis_client: aioredis.Redis) -> AsyncIterator[str]:
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis_client.delete(*keys)


def build(client: aioredis.Redis, prefix: str, **limiter_options: int) -> web.Application:
    verifier = TokenVerifier(StaticJwksProvider(RING.jwks()), ISSUER, AUDIENCE)
    deny = DenyList(client, prefix=prefix)
    gate = AuthGate(verifier, RolePermissions({"viewer": ["agents:read"]}), deny)
    store = GcraStore(client, prefix=f"{prefix}rl:")
    limiter = RateLimiter(store, [rule("/api/agents/*", LIMIT, 60)], **limiter_options)
    app = web.Application(
        middlewares=[request_context, gate.authenticate, limiter.middleware, gate.authorize]
    )
    app[METRICS] = EdgeMetrics()
    limiter.install(app)
    app.router.add_get("/api/agents", list_agents)
    app.router.add_get("/health", list_agents)
    return app


@pytest.fixture
async def edge(redis_client: aioredis.Redis, prefix: str) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build(redis_client, prefix, trusted_proxy_hops=1))) as c:
        yield c


async def test_the_request_past_the_limit_is_429_with_retry_after(edge: TestClient) -> None:
    seen = []
    for _ in range(LIMIT):
        response = await edge.get("/api/agents", headers=bearer("alice"))
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == str(LIMIT)
        assert response.headers["RateLimit-Policy"] == f"{LIMIT};w=60"
        seen.append(int(response.headers["RateLimit-Remaining"]))
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
    assert seen == [2, 1, 0]

    refused = await edge.get("/api/agents", headers=bearer("alice"))
    assert refused.status == 429
    assert refused.content_type == "application/problem+json"
    body = await refused.json(content_type=None)
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    # One request's worth of quota (60 s / 3) comes back after about 20 s.
    assert 18 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert (await edge.get("/health")).status == 200  # other routes are not limited


async def test_each_user_and_each_address_has_its_own_bucket(edge: TestClient) -> None:
    for _ in range(LIMIT):
        await edge.get("/api/agents", headers=bearer("alice"))
    assert (await edge.get("/api/agents", headers=bearer("alice"))).status == 429

    bob = await edge.get("/api/agents", headers=bearer("bob"))
    assert bob.status == 200 and bob.headers["RateLimit-Remaining"] == "2"
    # Anonymous callers are counted by address, before the 401 (so guessing costs quota).
    anonymous = await edge.get("/api/agents", headers={"X-Forwarded-For": "198.51.100.1"})
    assert anonymous.status == 401 and anonymous.headers["RateLimit-Remaining"] == "2"
    for _ in range(LIMIT - 1):
        await edge.get("/api/agents", headers={"X-Forwarded-For": "198.51.100.1"})
    assert (
        await edge.get("/api/agents", headers={"X-Forwarded-For": "198.51.100.1"})
    ).status == 429
    elsewhere = await edge.get("/api/agents", headers={"X-Forwarded-For": "198.51.100.2"})
    assert elsewhere.status == 401 and elsewhere.headers["RateLimit-Remaining"] == "2"
    # The exhausted address does not affect a user calling from it.
    carol = await edge.get(
        "/api/agents", headers={"X-Forwarded-For": "198.51.100.1", **bearer("carol")}
    )
    assert carol.status == 200


async def test_concurrent_requests_never_exceed_the_limit(
    redis_client: aioredis.Redis, prefix: str
) -> None:
    store = GcraStore(redis_client, prefix=f"{prefix}rl:")
    burst = RateRule("/burst", 10, 60)
    decisions = await asyncio.gather(*(store.hit("user:x", burst) for _ in range(40)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))
    assert all(d.retry_after_s >= 1 for d in decisions if not d.allowed)


async def test_quota_returns_at_the_steady_rate_and_the_key_expires(
    redis_client: aioredis.Redis, prefix: str
) -> None:
    store = GcraStore(redis_client, prefix=f"{prefix}rl:")
    fast = RateRule("/fast", 2, 1)  # one request back every 0.5 s
    assert [(await store.hit("user:y", fast)).allowed for _ in range(3)] == [True, True, False]
    ttl_ms = await redis_client.pttl(f"{prefix}rl:/fast:user:y")
    assert 0 < ttl_ms <= 1000
    await asyncio.sleep(0.6)
    assert [(await store.hit("user:y", fast)).allowed for _ in range(2)] == [True, False]
    await asyncio.sleep(1.1)
    assert not await redis_client.exists(f"{prefix}rl:/fast:user:y")


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def test_with_redis_down_requests_pass_and_a_warning_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = aioredis.from_url(_dead_redis_url(), socket_connect_timeout=0.5, socket_timeout=0.5)
    caplog.set_level(logging.WARNING, logger="dafnck.edge")
    try:
        async with TestClient(TestServer(build(dead, "unused:"))) as client:
            statuses = [
                (await client.get("/api/agents", headers=bearer("dave"))).status
                for _ in range(LIMIT + 2)
            ]
            response = await client.get("/api/agents", headers=bearer("dave"))
    finally:
        await dead.aclose()
    assert statuses == [200] * (LIMIT + 2)
    assert "RateLimit-Limit" not in response.headers
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("rate limiter (Redis) unavailable, failing open" in m for m in messages)
    assert any("deny list (Redis) unavailable, failing open" in m for m in messages)
