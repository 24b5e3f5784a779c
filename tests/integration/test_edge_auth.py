"""The edge's security layer on a real Redis: revoked tokens, user-wide revocation, CORS.

The app is assembled the way edge/app.py wires it: request context, CORS, authenticate,
rate limit, authorize.
"""

from __future__ import annotations

import time
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
from edge.cors import CorsPolicy
from edge.ratelimit.gcra import GcraStore
from edge.ratelimit.middleware import RateLimiter
from streams.http.access import requires
from streams.http.denylist import DenyList
from streams.http.jwks import StaticJwksProvider
from streams.http.permissions import RolePermissions
from streams.http.principal import PRINCIPAL
from streams.http.rate_rules import rule
from users_svc.api.signing.ring import KeyRing

pytestmark = pytest.mark.integration

ISSUER = "https://users.dafnck.test"
AUDIENCE = "dafnck-api"
ALLOWED_ORIGIN = "https://app.dafnck.test"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@requires("users:read")
async def list_users(request: web.Request) -> web.Response:
    return web.json_response({"sub": request[PRINCIPAL].sub})


@dataclass
class Edge:
    client: TestClient
    ring: KeyRing
    clock: Clock
    deny: DenyList
    redis: aioredis.Redis
    prefix: str

    def token(self, sub: str = "user-1") -> str:
        return self.ring.sign(sub, audience=AUDIENCE, roles=["viewer"], lifetime_s=300)

    def bearer(self, sub: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub)}"}


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


@pytest.fixture
async def edge(redis_client: aioredis.Redis) -> AsyncIterator[Edge]:
    prefix = f"test:{uuid.uuid4().hex}:"
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=900, clock=clock)
    verifier = TokenVerifier(StaticJwksProvider(ring.jwks), ISSUER, AUDIENCE)
    deny = DenyList(redis_client, prefix=prefix, max_token_lifetime_s=900)
    gate = AuthGate(verifier, RolePermissions({"viewer": ["users:read"]}), deny)
    limiter = RateLimiter(
        GcraStore(redis_client, prefix=f"{prefix}rl:"), [rule("/api/users/*", 50, 3600)]
    )
    cors = CorsPolicy.from_origins([ALLOWED_ORIGIN])
    app = web.Application(
        middlewares=[
            request_context,
            cors.middleware,
            gate.authenticate,
            limiter.middleware,
            gate.authorize,
        ]
    )
    app[METRICS] = EdgeMetrics()
    cors.install(app)
    limiter.install(app)
    app.router.add_get("/api/users", list_users)
    async with TestClient(TestServer(app)) as client:
        yield Edge(client, ring, clock, deny, redis_client, prefix)
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis_client.delete(*keys)


async def test_a_deny_listed_jti_is_refused_until_it_would_have_expired(edge: Edge) -> None:
    token = edge.token()
    response = await edge.client.get("/api/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200

    claims = await TokenVerifier(StaticJwksProvider(edge.ring.jwks), ISSUER, AUDIENCE).verify(token)
    await edge.deny.deny(claims.jti, claims.exp)
    assert await edge.deny.is_denied(claims.jti)
    ttl = await edge.redis.ttl(f"{edge.prefix}deny:jti:{claims.jti}")
    assert claims.exp - time.time() < ttl <= claims.exp + 30 - time.time() + 1

    response = await edge.client.get("/api/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    assert 'error_description="token has been revoked"' in response.headers["WWW-Authenticate"]
    # The user's other tokens are unaffected.
    assert (await edge.client.get("/api/users", headers=edge.bearer())).status == 200


async def test_an_already_expired_token_is_not_stored(edge: Edge) -> None:
    await edge.deny.deny("long-gone", time.time() - 3600)
    assert not await edge.deny.is_denied("long-gone")


async def test_revoked_before_refuses_the_users_older_tokens_only(edge: Edge) -> None:
    edge.clock.now = time.time() - 120
    older = edge.bearer("user-1")
    someone_else = edge.bearer("user-2")
    edge.clock.now = time.time()

    await edge.deny.revoke_before("user-1", edge.clock.now - 60)
    response = await edge.client.get("/api/users", headers=older)
    assert response.status == 401
    assert "revoked for this user" in response.headers["WWW-Authenticate"]
    assert (await edge.client.get("/api/users", headers=someone_else)).status == 200
    # Logging in again after the revocation gives a working token.
    assert (await edge.client.get("/api/users", headers=edge.bearer("user-1"))).status == 200


async def test_a_later_revocation_is_never_undone_by_an_earlier_one(edge: Edge) -> None:
    now = time.time()
    await edge.deny.revoke_before("user-3", now)
    await edge.deny.revoke_before("user-3", now - 500)
    assert await edge.deny.revoked_before("user-3") == pytest.approx(now)
    ttl = await edge.redis.ttl(f"{edge.prefix}revoked_before:user-3")
    assert 900 < ttl <= 930  # outlives every token issued before it, then goes


async def test_a_preflight_from_an_allowed_origin_gets_the_headers_without_a_token(
    edge: Edge,
) -> None:
    response = await edge.client.options(
        "/api/users",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert response.headers["X-Request-Id"]  # still inside the request context
    # Preflights are not counted against the caller's quota.
    assert "RateLimit-Remaining" not in response.headers
    first = await edge.client.get("/api/users", headers={"Origin": ALLOWED_ORIGIN})
    assert first.headers["RateLimit-Remaining"] == "49"
    assert first.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


async def test_a_preflight_from_another_origin_gets_no_cors_headers(edge: Edge) -> None:
    response = await edge.client.options(
        "/api/users",
        headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 403
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    actual = await edge.client.get(
        "/api/users", headers={"Origin": "https://evil.test", **edge.bearer()}
    )
    assert actual.status == 200
    assert "Access-Control-Allow-Origin" not in actual.headers
