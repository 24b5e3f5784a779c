"""Account administration, self-service and permission checks over HTTP (fakes, no I/O)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.users_svc.users_api_app import PASSWORD, Harness, identity_app

ADMIN, OPERATOR, MEMBER, VIEWER = (
    "admin@example.com",
    "op@example.com",
    "member@example.com",
    "viewer@example.com",
)
NEW_USER = {"email": "Grace@Example.com", "password": "Another-Pass-77", "display_name": "Grace"}


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path) as harness:
        for email, role in ((ADMIN, "admin"), (OPERATOR, "operator"), (MEMBER, "member")):
            harness.add_user(email, [role])
        harness.add_user(VIEWER, ["viewer"])
        yield harness


async def _call(
    edge: Harness, method: str, path: str, who: str | None, body: Any = None, **kw: Any
) -> tuple[int, Any]:
    headers = {**(await edge.bearer(who) if who else {}), **kw.pop("headers", {})}
    response = await edge.client.request(method, path, json=body, headers=headers, **kw)
    text = await response.text()
    return response.status, json.loads(text) if text else None


def _user_id(edge: Harness, email: str) -> str:
    return next(c.user_id for c in edge.read_model.creds.values() if c.email_normalized == email)


async def test_an_admin_creates_a_user_who_can_then_sign_in(edge: Harness) -> None:
    headers = await edge.bearer(ADMIN)
    response = await edge.client.post("/api/users", json=NEW_USER, headers=headers)
    body = await response.json()
    assert response.status == 201, body
    assert response.headers["Location"] == f"/api/users/{body['id']}"
    assert body["email"] == "Grace@Example.com" and body["roles"] == ["member"]
    (create,) = edge.bus.of_type("CreateUser")
    assert create.subject == "email:grace@example.com"
    assert create.data["created_by"] == _user_id(edge, ADMIN)
    assert create.data["password_hash"].startswith("$argon2id$")
    assert NEW_USER["password"] not in str(create.data)
    await edge.login("grace@example.com", NEW_USER["password"])


async def test_a_user_can_be_created_with_roles(edge: Harness) -> None:
    status, body = await _call(
        edge, "POST", "/api/users", ADMIN, {**NEW_USER, "roles": ["operator", "viewer"]}
    )
    assert (status, body["roles"]) == (201, ["operator", "viewer"])


async def test_a_taken_email_is_409_naming_the_field(edge: Harness) -> None:
    status, body = await _call(edge, "POST", "/api/users", ADMIN, {**NEW_USER, "email": MEMBER})
    assert (status, body["code"], body["field"]) == (409, "email_taken", "email")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"password": "short"}, "password_too_short", "password"),
        ({"password": "Password2024!"}, "password_too_common", "password"),
        ({"email": "not-an-email"}, "invalid_email", "email"),
        ({"display_name": "   "}, "display_name_required", "display_name"),
        ({"roles": ["Not A Role"]}, "invalid_body", "roles.0"),
    ],
)
async def test_invalid_accounts_are_422_before_any_command(
    edge: Harness, change: dict[str, Any], code: str, field: str
) -> None:
    status, body = await _call(edge, "POST", "/api/users", ADMIN, {**NEW_USER, **change})
    assert (status, body["code"], body["field"]) == (422, code, field)
    assert not edge.bus.of_type("CreateUser")


@pytest.mark.parametrize(
    ("who", "method", "path", "allowed"),
    [
        (OPERATOR, "GET", "/api/users", True),
        (OPERATOR, "POST", "/api/users", False),
        (MEMBER, "GET", "/api/users", False),
        (VIEWER, "GET", "/api/users", False),
        (MEMBER, "POST", "/api/users", False),
        (ADMIN, "GET", "/api/users", True),
    ],
)
async def test_each_builtin_role_gets_what_rbac_grants(
    edge: Harness, who: str, method: str, path: str, allowed: bool
) -> None:
    status, body = await _call(edge, method, path, who, NEW_USER if method == "POST" else None)
    if allowed:
        assert status in (200, 201), body
    else:
        assert status == 403 and body["permission"] in ("users:read", "users:create")


async def test_no_token_is_401(edge: Harness) -> None:
    status, _ = await _call(edge, "GET", "/api/users", None)
    assert status == 401


async def test_the_list_pages_with_a_next_link_and_filters(edge: Harness) -> None:
    headers = await edge.bearer(ADMIN)
    response = await edge.client.get("/api/users", params={"limit": "3"}, headers=headers)
    page = await response.json()
    assert [u["email"] for u in page["items"]] == [ADMIN, OPERATOR, MEMBER]
    assert response.headers["Link"] == f'<{page["next"]}>; rel="next"'
    rest = await (await edge.client.get(page["next"], headers=headers)).json()
    assert [u["email"] for u in rest["items"]] == [VIEWER] and rest["next"] is None
    by_role = await (
        await edge.client.get("/api/users", params={"role": "operator"}, headers=headers)
    ).json()
    assert [u["email"] for u in by_role["items"]] == [OPERATOR]
    by_email = await (
        await edge.client.get("/api/users", params={"email": "MEMB"}, headers=headers)
    ).json()
    assert [u["email"] for u in by_email["items"]] == [MEMBER]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("cursor=zzz", "cursor"),
        ("status=gone", "status"),
    ],
)
async def test_bad_list_parameters_are_422(edge: Harness, query: str, field: str) -> None:
    status, body = await _call(edge, "GET", f"/api/users?{query}", ADMIN)
    assert (status, body["field"]) == (422, field)


async def test_get_one_user_and_404s(edge: Harness) -> None:
    member = _user_id(edge, MEMBER)
    status, body = await _call(edge, "GET", f"/api/users/{member}", OPERATOR)
    assert (status, body["email"]) == (200, MEMBER)
    status, body = await _call(
        edge, "GET", "/api/users/00000000-0000-4000-8000-000000000000", ADMIN
    )
    assert (status, body["code"]) == (404, "user_not_found")
    status, _ = await _call(edge, "GET", "/api/users/not-a-uuid", ADMIN)
    assert status == 404


async def test_an_admin_renames_a_user(edge: Harness) -> None:
    member = _user_id(edge, MEMBER)
    status, body = await _call(edge, "PATCH", f"/api/users/{member}", ADMIN, {"display_name": "M"})
    assert (status, body["display_name"]) == (200, "M")
    status, _ = await _call(edge, "PATCH", f"/api/users/{member}", OPERATOR, {"display_name": "X"})
    assert status == 403


async def test_deactivation_kills_the_users_tokens_at_once(edge: Harness) -> None:
    member = _user_id(edge, MEMBER)
    member_headers = await edge.bearer(MEMBER)
    status, body = await _call(
        edge, "POST", f"/api/users/{member}/deactivate", ADMIN, {"reason": "left the team"}
    )
    assert (status, body["status"]) == (200, "deactivated")
    assert (await edge.client.get("/api/me", headers=member_headers)).status == 401
    response = await edge.client.post(
        "/api/auth/login", json={"email": MEMBER, "password": PASSWORD}
    )
    assert response.status == 401


async def test_granting_and_taking_roles(edge: Harness) -> None:
    member = _user_id(edge, MEMBER)
    old = await edge.bearer(MEMBER)
    status, body = await _call(
        edge, "POST", f"/api/users/{member}/roles", ADMIN, {"role": "operator"}
    )
    assert (status, body["roles"]) == (200, ["member", "operator"])
    # The new role is in the next token.
    assert (await edge.client.get("/api/users", headers=await edge.bearer(MEMBER))).status == 200
    status, body = await _call(edge, "DELETE", f"/api/users/{member}/roles/operator", ADMIN)
    assert (status, body["roles"]) == (200, ["member"])
    # Taking a role ends the tokens that carried it.
    assert (await edge.client.get("/api/me", headers=old)).status == 401
    status, _ = await _call(edge, "DELETE", f"/api/users/{member}/roles/admin", OPERATOR)
    assert status == 403
    status, body = await _call(edge, "DELETE", f"/api/users/{member}/roles/BAD!", ADMIN)
    assert (status, body["field"]) == (422, "role")


async def test_an_idempotency_key_retry_creates_one_user(edge: Harness) -> None:
    headers = {**await edge.bearer(ADMIN), "Idempotency-Key": "create-grace-1"}
    first = await edge.client.post("/api/users", json=NEW_USER, headers=headers)
    again = await edge.client.post("/api/users", json=NEW_USER, headers=headers)
    assert first.status == again.status == 201
    assert (await first.json())["id"] == (await again.json())["id"]
    assert len(edge.bus.of_type("CreateUser")) == 1
    other = await edge.client.post(
        "/api/users", json={**NEW_USER, "display_name": "G2"}, headers=headers
    )
    assert (other.status, (await other.json())["code"]) == (422, "idempotency_key_reused")


async def test_me_reads_and_renames_the_caller(edge: Harness) -> None:
    status, body = await _call(edge, "GET", "/api/me", VIEWER)
    assert (status, body["email"], body["roles"]) == (200, VIEWER, ["viewer"])
    status, body = await _call(edge, "PATCH", "/api/me", VIEWER, {"display_name": "Vee"})
    assert (status, body["display_name"]) == (200, "Vee")
    (update,) = edge.bus.of_type("UpdateUser")
    assert update.data["updated_by"] == update.data["user_id"] == _user_id(edge, VIEWER)


async def test_changing_the_password(edge: Harness) -> None:
    headers = await edge.bearer(MEMBER)
    wrong = {"current_password": "Not-It-1234", "new_password": "Brand-New-Pass-9"}
    response = await edge.client.post("/api/me/password", json=wrong, headers=headers)
    body = await response.json(content_type=None)
    assert (response.status, body["code"], body["field"]) == (
        422,
        "invalid_current_password",
        "current_password",
    )
    weak = {"current_password": PASSWORD, "new_password": "password"}
    body = await (await edge.client.post("/api/me/password", json=weak, headers=headers)).json(
        content_type=None
    )
    assert body["field"] == "new_password"
    good = {"current_password": PASSWORD, "new_password": "Brand-New-Pass-9"}
    response = await edge.client.post("/api/me/password", json=good, headers=headers)
    assert response.status == 200 and (await response.json())["credentials_version"] == 2
    assert "Brand-New-Pass-9" not in str([e.data for e in edge.bus.sent])
    # The old access token is dead, the old password too; the new one works.
    assert (await edge.client.get("/api/me", headers=headers)).status == 401
    bad = await edge.client.post("/api/auth/login", json={"email": MEMBER, "password": PASSWORD})
    assert bad.status == 401
    await edge.login(MEMBER, "Brand-New-Pass-9")


async def test_wrong_current_passwords_are_throttled(edge: Harness) -> None:
    headers = await edge.bearer(MEMBER)
    wrong = {"current_password": "Not-It-1234", "new_password": "Brand-New-Pass-9"}
    statuses = [
        (await edge.client.post("/api/me/password", json=wrong, headers=headers)).status
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]


@pytest.mark.parametrize(
    ("who", "resource", "action", "allowed"),
    [
        (MEMBER, "agents", "create", True),
        (MEMBER, "users", "read", False),
        (VIEWER, "agents", "create", False),
        (OPERATOR, "workflows", "pause", True),
        (ADMIN, "users", "delete", True),
    ],
)
async def test_authz_check_for_the_caller(
    edge: Harness, who: str, resource: str, action: str, allowed: bool
) -> None:
    status, body = await _call(
        edge, "POST", "/api/authz/check", who, {"resource": resource, "action": action}
    )
    assert (status, body["allowed"]) == (200, allowed)


async def test_authz_check_for_someone_else_needs_users_read(edge: Harness) -> None:
    viewer = _user_id(edge, VIEWER)
    ask = {"user_id": viewer, "resource": "agents", "action": "read"}
    status, body = await _call(edge, "POST", "/api/authz/check", OPERATOR, ask)
    assert (status, body["allowed"], body["user_id"]) == (200, True, viewer)
    status, _ = await _call(edge, "POST", "/api/authz/check", MEMBER, ask)
    assert status == 403
    status, body = await _call(
        edge, "POST", "/api/authz/check", ADMIN, {"resource": "spaceships", "action": "read"}
    )
    assert (status, body["field"]) == (422, "resource")
