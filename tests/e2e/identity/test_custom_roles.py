"""Custom roles on a running `dafnck up`: defined, assigned, used, deleted."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.identity.platform import Edge

pytestmark = pytest.mark.e2e
CACHE_WINDOW_S = 5  # DAFNCK_ROLES_CACHE_S's default


def test_a_custom_role_grants_its_permissions_until_it_is_deleted(edge: Edge) -> None:
    admin = edge.admin_token()
    name = f"auditor-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "permissions": ["users:read"], "description": "Reads people"}
    defined = edge.call("POST", "/api/roles", body, token=admin)
    assert defined.status == 201, defined.body
    listed = edge.call("GET", "/api/roles", token=admin)
    assert name in [r["name"] for r in listed.body["items"]]

    user = edge.create_user(admin, ["member"])
    token = edge.login(user["email"])["access_token"]
    assert edge.call("GET", "/api/users", token=token).status == 403
    granted = edge.call("POST", f"/api/users/{user['id']}/roles", {"role": name}, token=admin)
    assert granted.status == 200 and name in granted.body["roles"], granted.body
    token = edge.login(user["email"])["access_token"]  # roles travel in the next token
    assert edge.call("GET", "/api/users", token=token).status == 200

    assert edge.call("DELETE", f"/api/roles/{name}", token=admin).status == 200
    deadline = time.monotonic() + CACHE_WINDOW_S + 1
    while edge.call("GET", "/api/users", token=token).status == 200:
        assert time.monotonic() < deadline, "a deleted role still grants after the cache window"
        time.sleep(0.5)
    assert edge.call("GET", "/api/users", token=token).status == 403
    reused = edge.call("POST", "/api/roles", body, token=admin)
    assert (reused.status, reused.body["code"]) == (409, "role_name_retired")


def test_an_undefined_custom_role_is_refused(edge: Edge) -> None:
    admin = edge.admin_token()
    user = edge.create_user(admin, ["viewer"])
    answer = edge.call(
        "POST", f"/api/users/{user['id']}/roles", {"role": "no-such-role"}, token=admin
    )
    assert (answer.status, answer.body["code"]) == (422, "unknown_role")
