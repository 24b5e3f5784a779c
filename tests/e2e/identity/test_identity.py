"""Identity as a client meets it on a running `dafnck up`: sign-in, tokens, roles, revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.e2e.identity.platform import ORIGIN, PASSWORD, Edge
from users_svc.api.signing.ring import KeyRing

pytestmark = pytest.mark.e2e


def test_the_bootstrap_password_file_is_private(edge: Edge) -> None:
    path = edge.state_dir / "bootstrap-admin.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    assert edge.admin_email in path.read_text()
    assert str(path) in edge.log.read_text()


def test_a_user_lives_through_sign_in_refresh_reuse_and_logout(edge: Edge) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, ["viewer"])
    granted = edge.call("POST", f"/api/users/{user['id']}/roles", {"role": "operator"}, token=admin)
    assert granted.status == 200 and "operator" in granted.body["roles"]

    first = edge.login(user["email"])
    assert jwt.decode(first["access_token"], options={"verify_signature": False})["roles"] == [
        "operator",
        "viewer",
    ]
    listed = edge.call("GET", f"/api/users?email={user['email']}", token=first["access_token"])
    assert listed.status == 200 and [u["id"] for u in listed.body["items"]] == [user["id"]]

    refreshed = edge.call("POST", "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert refreshed.status == 200, refreshed.body
    second = refreshed.body
    assert edge.call("GET", "/api/me", token=second["access_token"]).status == 200

    time.sleep(1.5)  # past DAFNCK_REFRESH_GRACE_S=1
    reuse = edge.call("POST", "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert (reuse.status, reuse.body["code"]) == (401, "token_reuse_detected")
    # The whole session is over: its newest refresh token and its access tokens.
    after = edge.call("POST", "/api/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert after.status == 401
    assert edge.call("GET", "/api/me", token=second["access_token"]).status == 401

    session = edge.login(user["email"])
    assert edge.call("GET", "/api/me", token=session["access_token"]).status == 200
    assert edge.call("POST", "/api/auth/logout", token=session["access_token"]).status == 200
    denied = edge.call("GET", "/api/me", token=session["access_token"])
    assert denied.status == 401 and "invalid_token" in denied.headers["WWW-Authenticate"]
    gone = edge.call("POST", "/api/auth/refresh", {"refresh_token": session["refresh_token"]})
    assert gone.status == 401


def test_a_refresh_retried_within_the_grace_window_gets_the_same_tokens(edge: Edge) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, ["member"])
    tokens = edge.login(user["email"])
    body = {"refresh_token": tokens["refresh_token"]}
    first, retry = (
        edge.call("POST", "/api/auth/refresh", body),
        edge.call("POST", "/api/auth/refresh", body),
    )
    assert first.status == retry.status == 200 and first.body == retry.body


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", {"list", "create", "assign", "me"}),
        ("operator", {"list", "me"}),
        ("member", {"me"}),
        ("viewer", {"me"}),
    ],
)
def test_each_builtin_role_on_real_routes(edge: Edge, role: str, allowed: set[str]) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, [role])
    target = edge.create_user(admin, ["viewer"])
    token = edge.login(user["email"])["access_token"]
    fresh = {
        "email": f"x-{uuid.uuid4().hex[:8]}@e2e.test",
        "password": PASSWORD,
        "display_name": "X",
    }
    answers = {
        "list": edge.call("GET", "/api/users", token=token),
        "create": edge.call("POST", "/api/users", fresh, token=token),
        "assign": edge.call(
            "POST", f"/api/users/{target['id']}/roles", {"role": "member"}, token=token
        ),
        "me": edge.call("GET", "/api/me", token=token),
    }
    for name, answer in answers.items():
        if name in allowed:
            assert answer.status in (200, 201), (name, answer.body)
        else:
            assert answer.status == 403, (name, answer.body)
            assert answer.body["permission"] in ("users:read", "users:create", "roles:assign")
    check = edge.call(
        "POST", "/api/authz/check", {"resource": "users", "action": "create"}, token=token
    )
    assert check.body["allowed"] is (role == "admin")


def test_revoking_a_role_and_deactivating_take_effect_before_expiry(edge: Edge) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, ["member", "operator"])
    token = edge.login(user["email"])["access_token"]
    assert edge.call("GET", "/api/users", token=token).status == 200
    revoked = edge.call("DELETE", f"/api/users/{user['id']}/roles/operator", token=admin)
    assert revoked.status == 200 and revoked.body["roles"] == ["member"]
    assert edge.call("GET", "/api/me", token=token).status == 401
    token = edge.login(user["email"])["access_token"]
    assert edge.call("GET", "/api/users", token=token).status == 403
    gone = edge.call("POST", f"/api/users/{user['id']}/deactivate", {"reason": "e2e"}, token=admin)
    assert gone.status == 200 and gone.body["status"] == "deactivated"
    assert edge.call("GET", "/api/me", token=token).status == 401
    refused = edge.call("POST", "/api/auth/login", {"email": user["email"], "password": PASSWORD})
    assert refused.status == 401


def test_login_throttling_answers_429_with_retry_after(edge: Edge) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, ["member"])
    wrong = {"email": user["email"], "password": "Not-The-Password-1"}
    statuses = [edge.call("POST", "/api/auth/login", wrong).status for _ in range(5)]
    assert statuses == [401] * 5
    locked = edge.call("POST", "/api/auth/login", {"email": user["email"], "password": PASSWORD})
    assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0
    # An unknown email is throttled the same way, so 429 does not reveal who has an account.
    ghost = {"email": f"ghost-{uuid.uuid4().hex[:8]}@e2e.test", "password": "Whatever-123"}
    statuses = [edge.call("POST", "/api/auth/login", ghost).status for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(header)}.{_b64(claims)}."


def _hs256(claims: dict[str, Any], kid: str, secret: bytes) -> str:
    # By hand: PyJWT (rightly) refuses a PEM key as an HMAC secret.
    signing_input = _unsigned({"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims)[:-1]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_forged_tokens_are_refused(edge: Edge) -> None:
    admin = edge.admin_token()
    ring = KeyRing.load(edge.state_dir / "keys")
    kid = ring.active.kid
    sub = jwt.decode(admin, options={"verify_signature": False})["sub"]
    now = int(time.time())
    claims = {"iss": ring.issuer, "aud": "dafnck-api", "sub": sub, "iat": now, "exp": now + 300}
    claims |= {"jti": uuid.uuid4().hex, "roles": ["admin"]}
    public_pem = ring.active.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, _, signature = admin.split(".")
    tampered_claims = {
        **jwt.decode(admin, options={"verify_signature": False}),
        "sub": str(uuid.uuid4()),
    }
    past = KeyRing.load(edge.state_dir / "keys", clock=lambda: time.time() - 7200)
    forged = {
        "alg none": _unsigned({"alg": "none", "typ": "at+jwt", "kid": kid}, claims),
        "HS256 keyed with the public key": _hs256(claims, kid, public_pem),
        "wrong audience": ring.sign(sub, audience="someone-else", roles=["admin"], lifetime_s=300),
        "expired": past.sign(sub, audience="dafnck-api", roles=["admin"], lifetime_s=60),
        "tampered": f"{header}.{_b64(tampered_claims)}.{signature}",
        "unknown kid": KeyRing.generate(ring.issuer).sign(
            sub, audience="dafnck-api", roles=["admin"]
        ),
    }
    assert edge.call("GET", "/api/users", token=admin).status == 200
    for name, token in forged.items():
        answer = edge.call("GET", "/api/users", token=token)
        assert answer.status == 401, name
        assert answer.headers["Content-Type"].startswith("application/problem+json"), name


def test_cors_preflight_answers_the_allowed_origin_only(edge: Edge) -> None:
    asked = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    answer = edge.call("OPTIONS", "/api/users", **asked)
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    other = edge.call("OPTIONS", "/api/users", **{**asked, "Origin": "https://evil.test"})
    assert other.status == 403


def test_an_idempotency_key_retry_creates_one_user(edge: Edge) -> None:
    admin = edge.admin_token()
    email = f"idem-{uuid.uuid4().hex[:8]}@e2e.test"
    body = {"email": email, "password": PASSWORD, "display_name": "Once"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = edge.call("POST", "/api/users", body, token=admin, **key)
    again = edge.call("POST", "/api/users", body, token=admin, **key)
    assert first.status == again.status == 201
    assert first.body["id"] == again.body["id"]
    listed = edge.call("GET", f"/api/users?email={email}", token=admin)
    assert [u["email"] for u in listed.body["items"]] == [email]


def test_docs_and_openapi_describe_the_identity_routes(edge: Edge) -> None:
    document = edge.call("GET", "/openapi.json").body
    assert document["paths"]["/api/users"]["post"]["x-permission"] == "users:create"
    assert document["paths"]["/api/auth/login"]["post"]["security"] == []
    page = edge.call("GET", "/docs")
    assert page.status == 200 and b"/api/auth/refresh" in page.body
    jwks = edge.call("GET", "/.well-known/jwks.json").body
    ring = KeyRing.load(edge.state_dir / "keys")
    # The active key first; keys retired by a rotation follow until their tokens expire.
    assert [k["kid"] for k in jwks["keys"]] == [k["kid"] for k in ring.jwks()["keys"]]
    assert jwks["keys"][0]["kid"] == ring.active.kid
