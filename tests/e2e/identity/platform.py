"""A running `dafnck up` for the identity e2e tests, and a client for it (plain urllib)."""

from __future__ import annotations

import json
import random
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
            done = eventually(lambda: self.call("GET", url, token=admin).body.get("resource"))
            return dict(done)
        assert answer.status == 201, answer.body
        return dict(answer.body)

    def service_account(self, admin: str, roles: list[str]) -> dict[str, Any]:
        body = {"name": f"agent-{uuid.uuid4().hex[:6]}", "roles": roles}
        answer = self.call("POST", "/api/service-accounts", body, token=admin)
        assert answer.status == 201, answer.body
        return dict(answer.body)

    def issue_key(self, admin: str, account_id: str, scopes: list[str]) -> dict[str, Any]:
        body = {"name": "e2e", "scopes": scopes}
        path = f"/api/service-accounts/{account_id}/keys"
        answer = self.call("POST", path, body, token=admin)
        assert answer.status == 201, answer.body
        return dict(answer.body)

    def exchange(self, key: str) -> Response:
        return self.call("POST", "/api/auth/token", Authorization=f"ApiKey {key}")


def eventually(check: Any, timeout: float = 60, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def answers(edge: Edge, path: str) -> bool:
    url = path if path.startswith("http") else edge.url + path
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def admin_can_sign_in(edge: Edge) -> bool:
    if not (edge.state_dir / "bootstrap-admin.txt").exists():
        return False
    try:
        edge.admin_token()
    except AssertionError:
        return False
    return True
