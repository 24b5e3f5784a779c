"""Custom roles over HTTP: define, list, assign, use and delete them (fakes, no I/O)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.users_svc.users_api_app import Harness, identity_app

ADMIN, OPERATOR, MEMBER = "admin@example.com", "op@example.com", "member@example.com"
AUDITOR = {"name": "auditor", "permissions": ["users:read"], "description": "Reads people"}


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path) as harness:
        harness.add_user(ADMIN, ["admin"])
        harness.add_user(OPERATOR, ["operator"])
        harness.add_user(MEMBER, ["member"])
        yield harness


async def _call(
    edge: Harness, method: str, path: str, who: str | dict[str, str], body: Any = None
) -> tuple[int, Any]:
    headers = await edge.bearer(who) if isinstance(who, str) else who
    response = await edge.client.request(method, path, json=body, headers=headers)
    text = await response.text()
    return response.status, json.loads(text) if text else None


def _id(edge: Harness, email: str) -> str:
    return next(c.user_id for c in edge.read_model.creds.values() if c.email_normalized == email)


async def test_an_admin_defines_a_role_that_everyone_with_roles_read_can_list(
    edge: Harness,
) -> None:
    status, role = await _call(edge, "POST", "/api/roles", ADMIN, AUDITOR)
    assert status == 201 and role["permissions"] == ["users:read"]
    (command,) = edge.bus.of_type("DefineRole")
    assert command.subject == "role:auditor"
    status, listed = await _call(edge, "GET", "/api/roles", OPERATOR)
    names = [(r["name"], r["builtin"]) for r in listed["items"]]
    assert status == 200 and names == [
        ("admin", True), ("operator", True), ("member", True), ("viewer", True),
        ("auditor", False),
    ]
    status, refused = await _call(edge, "GET", "/api/roles", MEMBER)
    assert (status, refused["permission"]) == (403, "roles:read")
    status, refused = await _call(edge, "POST", "/api/roles", OPERATOR, AUDITOR)
    assert (status, refused["permission"]) == (403, "roles:create")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "admin", "permissions": ["users:read"]}, 422, "role_name_reserved"),
        ({"name": "x", "permissions": ["users:fly"]}, 422, "invalid_permission"),
        ({"name": "Bad Name", "permissions": ["users:read"]}, 422, "invalid_body"),
        ({"name": "x", "permissions": []}, 422, "invalid_body"),
    ],
)
async def test_bad_definitions_are_refused_before_any_command(
    edge: Harness, body: dict[str, Any], status: int, code: str
) -> None:
    answer, problem = await _call(edge, "POST", "/api/roles", ADMIN, body)
    assert (answer, problem["code"]) == (status, code)
    assert edge.bus.of_type("DefineRole") == []


async def test_a_custom_role_grants_its_permissions_until_it_is_deleted(edge: Harness) -> None:
    await _call(edge, "POST", "/api/roles", ADMIN, AUDITOR)
    member = _id(edge, MEMBER)
    assert (await _call(edge, "GET", "/api/users", MEMBER))[0] == 403
    status, user = await _call(
        edge, "POST", f"/api/users/{member}/roles", ADMIN, {"role": "auditor"}
    )
    assert status == 200 and user["roles"] == ["auditor", "member"]
    (assign,) = edge.bus.of_type("AssignRole")
    assert assign.subject == "role:auditor"  # the role's aggregate vouches for it
    token = await edge.bearer(MEMBER)
    assert (await _call(edge, "GET", "/api/users", token))[0] == 200
    status, check = await _call(
        edge, "POST", "/api/authz/check", token, {"resource": "users", "action": "read"}
    )
    assert check["allowed"] is True
    status, deleted = await _call(edge, "DELETE", "/api/roles/auditor", ADMIN)
    assert status == 200 and deleted["deleted_at"]
    # This replica dropped its cache: the very next request already sees the deletion.
    status, refused = await _call(edge, "GET", "/api/users", token)
    assert (status, refused["permission"]) == (403, "users:read")


async def test_assigning_an_undefined_role_is_refused(edge: Harness) -> None:
    member = _id(edge, MEMBER)
    status, problem = await _call(
        edge, "POST", f"/api/users/{member}/roles", ADMIN, {"role": "ghost"}
    )
    assert (status, problem["code"]) == (422, "unknown_role")


async def test_nobody_defines_a_role_granting_more_than_they_hold(edge: Harness) -> None:
    await _call(edge, "POST", "/api/roles", ADMIN, {
        "name": "role-admin", "permissions": ["roles:*", "users:read"]})
    operator = _id(edge, OPERATOR)
    await _call(edge, "POST", f"/api/users/{operator}/roles", ADMIN, {"role": "role-admin"})
    status, problem = await _call(
        edge, "POST", "/api/roles", OPERATOR, {"name": "root", "permissions": ["*:*"]}
    )
    assert (status, problem["code"]) == (403, "permission_exceeds_caller")
    status, _ = await _call(
        edge, "POST", "/api/roles", OPERATOR, {"name": "reader", "permissions": ["tasks:read"]}
    )
    assert status == 201


@pytest.mark.parametrize(("name", "status"), [("viewer", 422), ("ghost", 404), ("NO", 404)])
async def test_deleting_built_in_or_unknown_roles(edge: Harness, name: str, status: int) -> None:
    assert (await _call(edge, "DELETE", f"/api/roles/{name}", ADMIN))[0] == status
