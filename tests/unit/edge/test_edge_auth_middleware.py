"""The edge's auth middlewares over HTTP: who gets in, who gets 401, who gets 403 (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from redis.exceptions import ConnectionError as RedisConnectionError

from edge.auth.middleware import AuthGate
from edge.auth.verify import TokenVerifier
from streams.http.access import public, requires
from streams.http.denylist import MemoryDenyList
from streams.http.jwks import JwksUnavailable, StaticJwksProvider
from streams.http.permissions import RolePermissions
from streams.http.principal import PRINCIPAL, Principal
from users_svc.api.signing.ring import KeyRing

ISSUER = "https://users.dafnck.test"
AUDIENCE = "dafnck-api"
ROLES = RolePermissions({"admin": ["*"], "viewer": ["users:read"], "operator": ["agents:*"]})
RING = KeyRing.generate(ISSUER, max_token_lifetime_s=900)
OTHER_RING = KeyRing.generate(ISSUER, max_token_lifetime_s=900)


@requires("users:read")
async def list_users(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    return web.json_response(
        {
            "sub": principal.sub,
            "roles": sorted(principal.roles),
            "scopes": None if principal.scopes is None else sorted(principal.scopes),
            "jti": principal.jti,
        }
    )


@requires("agents:write")
async def create_agent(request: web.Request) -> web.Response:
    return web.json_response({"created": True}, status=201)


async def me(request: web.Request) -> web.Response:
    return web.json_response({"sub": request[PRINCIPAL].sub})


@public
async def login(request: web.Request) -> web.Response:
    return web.json_response({"login": "form"})


async def open_page(request: web.Request) -> web.Response:
    return web.json_response({"open": True})


class FailingDenyList:
    async def denied(self, principal: Principal) -> str | None:
        raise RedisConnectionError("redis is down")


class DownJwks:
    async def __call__(self, *, refresh: bool = False) -> dict[str, Any]:
        raise JwksUnavailable("users service unreachable")


def build_app(gate: AuthGate) -> web.Application:
    app = web.Application(middlewares=[gate.authenticate, gate.authorize])
    app.router.add_get("/api/users", list_users)
    app.router.add_post("/api/agents", create_agent)
    app.router.add_get("/api/me", me)
    app.router.add_post("/api/auth/login", login)
    for path in ("/health", "/ready", "/metrics", "/openapi.json", "/.well-known/jwks.json"):
        app.router.add_get(path, open_page)
    app.router.add_get("/docs/{page}", open_page)
    return app


def make_gate(**kwargs: Any) -> AuthGate:
    jwks = kwargs.pop("jwks", StaticJwksProvider(RING.jwks()))
    verifier = TokenVerifier(jwks, ISSUER, AUDIENCE, refresh_interval_s=3600)
    return AuthGate(verifier, ROLES, kwargs.pop("deny", MemoryDenyList()), **kwargs)


@pytest.fixture
async def deny() -> MemoryDenyList:
    return MemoryDenyList()


@pytest.fixture
async def client(deny: MemoryDenyList) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build_app(make_gate(deny=deny)))) as test_client:
        yield test_client


# --- token factories -------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "roles": ["admin"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], ring: KeyRing = RING, **headers: Any) -> str:
    headers = {"kid": ring.active.kid, "typ": "at+jwt", **headers}
    algorithm = headers.pop("alg", "RS256")
    return jwt.encode(payload, ring.active.private_key, algorithm=algorithm, headers=headers)


def alg_none() -> str:
    header = {"alg": "none", "typ": "at+jwt", "kid": RING.active.kid}
    return f"{_segment(header)}.{_segment(claims())}."


def hs256_keyed_with_public_pem() -> str:
    pem = RING.active.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": RING.active.kid}
    signing_input = f"{_segment(header)}.{_segment(claims())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def tampered() -> str:
    header, _payload, signature = signed(claims(roles=["viewer"])).split(".")
    return f"{header}.{_segment(claims(roles=['admin'], sub='root'))}.{signature}"


def kid_of_known_key_signed_by_another() -> str:
    return signed(claims(), OTHER_RING, kid=RING.active.kid)


FORGERIES: dict[str, Callable[[], str]] = {
    "alg none": alg_none,
    "HS256 keyed with the public key PEM": hs256_keyed_with_public_pem,
    "RS512 (not the pinned algorithm)": lambda: signed(claims(), alg="RS512"),
    "wrong audience": lambda: signed(claims(aud="some-other-api")),
    "wrong issuer": lambda: signed(claims(iss="https://evil.test")),
    "expired": lambda: signed(claims(iat=int(time.time()) - 900, exp=int(time.time()) - 60)),
    "not yet valid (nbf)": lambda: signed(claims(nbf=int(time.time()) + 600)),
    "tampered payload": tampered,
    "unknown kid": lambda: signed(claims(), OTHER_RING),
    "known kid, other key": kid_of_known_key_signed_by_another,
    "no jti": lambda: signed(claims(jti=None)),
    "no sub": lambda: signed(claims(sub=None)),
    "not an access token (typ)": lambda: signed(claims(), typ="JWT"),
    "garbage": lambda: "not-a-jwt",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _json(response: Any) -> Any:
    return await response.json(content_type=None)


# --- tests -----------------------------------------------------------------------------------


async def test_a_valid_token_reaches_the_handler_with_its_principal(client: TestClient) -> None:
    token_claims = claims(roles=["viewer"], scope="users:read agents:read")
    response = await client.get("/api/users", headers=bearer(signed(token_claims)))
    assert response.status == 200
    assert await response.json() == {
        "sub": "user-1",
        "roles": ["viewer"],
        "scopes": ["agents:read", "users:read"],
        "jti": token_claims["jti"],
    }


async def test_a_token_from_the_key_ring_is_accepted(client: TestClient) -> None:
    token = RING.sign("user-9", audience=AUDIENCE, roles=["viewer"], lifetime_s=60)
    response = await client.get("/api/users", headers=bearer(token))
    assert response.status == 200
    assert (await response.json())["sub"] == "user-9"


@pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
async def test_a_forged_or_invalid_token_is_401_invalid_token(
    client: TestClient, forgery: str
) -> None:
    response = await client.get("/api/users", headers=bearer(FORGERIES[forgery]()))
    assert response.status == 401, await response.text()
    assert response.content_type == "application/problem+json"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="dafnck", error="invalid_token"')
    assert "error_description=" in challenge
    body = await _json(response)
    assert body["status"] == 401 and body["error"] == "invalid_token" and body["detail"]


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ("alg none", "unsupported algorithm"),
        ("HS256 keyed with the public key PEM", "unsupported algorithm"),
        ("wrong audience", "invalid audience"),
        ("wrong issuer", "invalid issuer"),
        ("expired", "token expired"),
        ("not yet valid (nbf)", "token not yet valid"),
        ("tampered payload", "signature verification failed"),
        ("unknown kid", "unknown signing key"),
        ("no jti", "missing claim 'jti'"),
    ],
)
async def test_the_401_says_why(client: TestClient, forgery: str, reason: str) -> None:
    response = await client.get("/api/users", headers=bearer(FORGERIES[forgery]()))
    assert f'error_description="{reason}"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwdw=="}])
async def test_no_bearer_token_is_401_without_an_error_code(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/users", headers=headers)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    # RFC 6750 §3.1: no credentials, no error code - just the challenge.
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="dafnck"'


async def test_leeway_accepts_a_token_just_past_exp(client: TestClient) -> None:
    now = int(time.time())
    token = signed(claims(iat=now - 300, exp=now - 10))
    assert (await client.get("/api/users", headers=bearer(token))).status == 200


async def test_a_valid_token_without_the_permission_is_403_naming_it(client: TestClient) -> None:
    token = signed(claims(roles=["viewer"]))
    response = await client.post("/api/agents", headers=bearer(token))
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    body = await _json(response)
    assert body["permission"] == "agents:write"
    assert "agents:write" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


async def test_an_invalid_token_is_401_even_where_it_would_lack_permission(
    client: TestClient,
) -> None:
    token = signed(claims(roles=["viewer"], aud="elsewhere"))
    assert (await client.post("/api/agents", headers=bearer(token))).status == 401


@pytest.mark.parametrize(("roles", "status"), [(["operator"], 201), (["admin"], 201)])
async def test_wildcard_grants_cover_the_permission(
    client: TestClient, roles: list[str], status: int
) -> None:
    response = await client.post("/api/agents", headers=bearer(signed(claims(roles=roles))))
    assert response.status == status


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        ("agents:read", 403),
        ("users:read", 200),
        ("users:*", 200),
        ("*:read", 200),
        ("*:create", 403),
        ("*:*", 200),
    ],
)
async def test_a_scoped_token_never_exceeds_its_scopes(
    client: TestClient, scope: str, status: int
) -> None:
    token = signed(claims(roles=["admin"], scope=scope))
    assert (await client.get("/api/users", headers=bearer(token))).status == status


async def test_an_undeclared_route_needs_a_token_but_no_permission(client: TestClient) -> None:
    assert (await client.get("/api/me")).status == 401
    token = signed(claims(roles=[]))
    response = await client.get("/api/me", headers=bearer(token))
    assert response.status == 200
    assert (await response.json())["sub"] == "user-1"


@pytest.mark.parametrize(
    "path",
    ["/health", "/ready", "/metrics", "/openapi.json", "/.well-known/jwks.json", "/docs/index"],
)
async def test_public_routes_need_nothing_and_ignore_bad_tokens(
    client: TestClient, path: str
) -> None:
    assert (await client.get(path)).status == 200
    assert (await client.get(path, headers=bearer("not-a-jwt"))).status == 200


async def test_a_route_declared_public_needs_no_token(client: TestClient) -> None:
    assert (await client.post("/api/auth/login")).status == 200


async def test_unknown_paths_stay_404_and_wrong_methods_405(client: TestClient) -> None:
    assert (await client.get("/api/nothing-here")).status == 404
    assert (await client.delete("/api/users")).status == 405


async def test_a_denied_jti_is_401(client: TestClient, deny: MemoryDenyList) -> None:
    token_claims = claims()
    await deny.deny(token_claims["jti"], token_claims["exp"])
    response = await client.get("/api/users", headers=bearer(signed(token_claims)))
    assert response.status == 401
    assert "revoked" in response.headers["WWW-Authenticate"]
    other = await client.get("/api/users", headers=bearer(signed(claims())))
    assert other.status == 200


async def test_revoked_before_refuses_older_tokens_only(
    client: TestClient, deny: MemoryDenyList
) -> None:
    now = int(time.time())
    await deny.revoke_before("user-1", now - 100)
    older = signed(claims(iat=now - 200))
    newer = signed(claims(iat=now - 50))
    assert (await client.get("/api/users", headers=bearer(older))).status == 401
    assert (await client.get("/api/users", headers=bearer(newer))).status == 200


@pytest.mark.parametrize(("fail_open", "status"), [(True, 200), (False, 503)])
async def test_an_unreachable_deny_list_fails_open_unless_configured_closed(
    fail_open: bool, status: int
) -> None:
    gate = make_gate(deny=FailingDenyList(), deny_fail_open=fail_open)
    async with TestClient(TestServer(build_app(gate))) as test_client:
        response = await test_client.get("/api/users", headers=bearer(signed(claims())))
    assert response.status == status


async def test_no_signing_keys_is_503_not_401() -> None:
    async with TestClient(TestServer(build_app(make_gate(jwks=DownJwks())))) as test_client:
        response = await test_client.get("/api/users", headers=bearer(signed(claims())))
        assert response.status == 503
        assert response.content_type == "application/problem+json"
        assert (await test_client.get("/health")).status == 200
