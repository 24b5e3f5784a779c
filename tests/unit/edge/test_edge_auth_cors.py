"""CORS: allow-listed origins get credentials-enabled headers, preflights skip auth (no I/O)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from edge.auth.middleware import AuthGate
from edge.auth.verify import TokenVerifier
from edge.cors import CORS_ORIGINS_ENV, CorsPolicy
from streams.http.access import requires
from streams.http.denylist import MemoryDenyList
from streams.http.jwks import StaticJwksProvider
from streams.http.permissions import RolePermissions
from users_svc.api.signing.ring import KeyRing

ALLOWED = "https://app.dafnck.test"
OTHER = "https://evil.test"
PREFLIGHT = {"Access-Control-Request-Method": "POST"}


@requires("agents:write")
async def create_agent(request: web.Request) -> web.Response:
    return web.json_response({"ok": True}, status=201)


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    ring = KeyRing.generate("https://users.test")
    verifier = TokenVerifier(StaticJwksProvider(ring.jwks()), "https://users.test", "api")
    gate = AuthGate(verifier, RolePermissions({}), MemoryDenyList())
    cors = CorsPolicy.from_env({CORS_ORIGINS_ENV: f"{ALLOWED}, http://localhost:5173"})
    app = web.Application(middlewares=[cors.middleware, gate.authenticate, gate.authorize])
    cors.install(app)
    app.router.add_post("/api/agents", create_agent)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def test_origins_are_normalized_and_wildcards_refused() -> None:
    policy = CorsPolicy.from_origins([" HTTPS://App.Dafnck.test/ ", "http://localhost:5173", ""])
    assert policy.origins == {ALLOWED, "http://localhost:5173"}
    assert policy.allows("https://APP.dafnck.test")
    assert not policy.allows("null") and not policy.allows(None)
    assert not policy.allows("https://app.dafnck.test:8443")
    with pytest.raises(ValueError, match="credentials"):
        CorsPolicy.from_origins(["*"])
    with pytest.raises(ValueError, match="path"):
        CorsPolicy.from_origins(["https://app.dafnck.test/admin"])
    assert CorsPolicy.from_env({}).origins == frozenset()


async def test_a_preflight_from_an_allowed_origin_needs_no_token(client: TestClient) -> None:
    response = await client.options(
        "/api/agents",
        headers={
            "Origin": ALLOWED,
            **PREFLIGHT,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


async def test_a_preflight_from_another_origin_gets_no_cors_headers(client: TestClient) -> None:
    response = await client.options("/api/agents", headers={"Origin": OTHER, **PREFLIGHT})
    assert response.status == 403
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


async def test_an_actual_response_to_an_allowed_origin_is_readable_even_when_401(
    client: TestClient,
) -> None:
    response = await client.post("/api/agents", headers={"Origin": ALLOWED})
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "WWW-Authenticate" in exposed and "RateLimit-Remaining" in exposed


@pytest.mark.parametrize("headers", [{"Origin": OTHER}, {"Origin": "null"}, {}])
async def test_other_origins_get_no_cors_headers_on_actual_responses(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.post("/api/agents", headers=headers)
    assert response.status == 401
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


async def test_a_plain_options_request_is_not_a_preflight(client: TestClient) -> None:
    # Without Access-Control-Request-Method it is an ordinary request and is routed as one.
    response = await client.options("/api/agents", headers={"Origin": ALLOWED})
    assert response.status == 405
