"""Identity as a client meets it on a running `dafnck up`: sign-in, tokens, roles, revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from edge.auth.keys import KeyRing
from streams.stack import Endpoints
from tests.integration.support.harness import free_port

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "https://app.e2e.test"
PASSWORD = "E2e-Password-2468"


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Edge:
    """A running `dafnck up` with a per-run bootstrap administrator."""

    process: subprocess.Popen[str]
    url: str
    state_dir: Path
    log: Path
    admin_email: str
    # A made-up client address per run (the edge trusts one proxy hop): login throttling
    # counts per address, and the shared Redis must not carry counts across runs.
    address: str = field(
        default_factory=lambda: f"10.{random.randrange(256)}.{random.randrange(256)}.7"
    )

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, **headers: str
    ) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"X-Forwarded-For": self.address, **headers}
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw, status, got = answer.read(), answer.status, dict(answer.headers)
        except urllib.error.HTTPError as exc:
            raw, status, got = exc.read(), exc.code, dict(exc.headers)
        return Response(
            status, json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw, got
        )

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        body = {"email": email, "password": password}
        answer = self.call("POST", "/api/auth/login", body)
        for _ in range(3):  # 503 + Retry-After (worker rebalancing): a client retries
            if answer.status != 503:
                break
            time.sleep(float(answer.headers.get("Retry-After", "1")))
            answer = self.call("POST", "/api/auth/login", body)
        assert answer.status == 200, answer.body
        return dict(answer.body)

    def admin_token(self) -> str:
        text = (self.state_dir / "bootstrap-admin.txt").read_text()
        password = next(
            line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("password")
        )
        return str(self.login(self.admin_email, password)["access_token"])

    def create_user(self, admin: str, roles: list[str], **headers: str) -> dict[str, Any]:
        email = f"user-{uuid.uuid4().hex[:10]}@e2e.test"
        body = {"email": email, "password": PASSWORD, "display_name": "E2E User", "roles": roles}
        answer = self.call("POST", "/api/users", body, token=admin, **headers)
        if answer.status == 202:  # the worker is slow: follow the status URL
            url = answer.body["status_url"]
            done = _eventually(lambda: self.call("GET", url, token=admin).body.get("resource"))
            return dict(done)
        assert answer.status == 201, answer.body
        return dict(answer.body)


def _eventually(check: Any, timeout: float = 60, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


@pytest.fixture(scope="module")
def edge(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    state_dir = tmp_path_factory.mktemp("identity-state")
    port, worker_base = free_port(), free_port()
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@e2e.test"
    env = {
        **os.environ,
        **endpoints.as_env(),
        "DAFNCK_STATE_DIR": str(state_dir),
        "DAFNCK_WORKER_PORT_BASE": str(worker_base),
        "DAFNCK_REFRESH_GRACE_S": "1",
        "DAFNCK_BOOTSTRAP_ADMIN_EMAIL": admin_email,
        "DAFNCK_CORS_ORIGINS": ORIGIN,
        "DAFNCK_TRUSTED_PROXY_HOPS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DAFNCK_BOOTSTRAP_ADMIN_PASSWORD", None)  # development: the edge generates one
    log = state_dir / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams", "up", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Edge(process, f"http://127.0.0.1:{port}", state_dir, log, admin_email)
    try:
        ready = _eventually(
            lambda: (
                process.poll() is None
                and _ok(running, "/ready")
                and _ok(running, f"http://127.0.0.1:{worker_base}/ready")
            ),
            timeout=180,
        )
        assert ready, f"platform not ready:\n{log.read_text()[-4000:]}"
        # The administrator exists once the users worker has processed its CreateUser.
        signed_in = _eventually(lambda: _admin_can_sign_in(running), timeout=120)
        assert signed_in, f"bootstrap admin cannot sign in:\n{log.read_text()[-4000:]}"
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def _ok(edge: Edge, path: str) -> bool:
    url = path if path.startswith("http") else edge.url + path
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def _admin_can_sign_in(edge: Edge) -> bool:
    if not (edge.state_dir / "bootstrap-admin.txt").exists():
        return False
    try:
        edge.admin_token()
    except AssertionError:
        return False
    return True


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
    assert [k["kid"] for k in jwks["keys"]] == [KeyRing.load(edge.state_dir / "keys").active.kid]
