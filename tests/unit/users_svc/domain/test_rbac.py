"""RBAC: permission format, built-in roles' allow/deny table, custom roles, wildcards."""

from __future__ import annotations

import pytest

from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import (
    BUILTIN_ROLES,
    CustomRole,
    check_permission,
    define_custom_role,
    effective_permissions,
    parse_permission,
    permissions_cover,
)

NO_CUSTOM: dict[str, CustomRole] = {}
ROLES = ["admin", "operator", "member", "viewer"]

# (permission, who may) for each built-in role, on real actions of the platform.
TABLE: list[tuple[str, set[str]]] = [
    ("agents:read", {"admin", "operator", "member", "viewer"}),
    ("tasks:read", {"admin", "operator", "member", "viewer"}),
    ("analytics:read", {"admin", "operator", "member", "viewer"}),
    ("projects:read", {"admin", "operator", "member", "viewer"}),
    ("agents:create", {"admin", "operator", "member"}),
    ("tasks:create", {"admin", "operator", "member"}),
    ("agents:update", {"admin", "operator"}),
    ("workflows:execute", {"admin", "operator"}),
    ("workflows:pause", {"admin", "operator"}),
    ("workflows:resume", {"admin", "operator"}),
    ("tasks:redistribute", {"admin", "operator"}),
    ("tasks:assign", {"admin", "operator"}),
    ("users:read", {"admin", "operator"}),
    ("agents:delete", {"admin"}),
    ("users:create", {"admin"}),
    ("users:update", {"admin"}),
    ("roles:assign", {"admin"}),
    ("roles:create", {"admin"}),
    ("projects:create", {"admin"}),
    ("notifications:send", {"admin"}),
    ("analytics:export", {"admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("permission", "allowed_for"), TABLE, ids=[p for p, _ in TABLE])
def test_builtin_role_allow_deny_table(role: str, permission: str, allowed_for: set[str]) -> None:
    resource, action = permission.split(":")
    assert check_permission([role], NO_CUSTOM, resource, action) is (role in allowed_for)


def test_viewer_is_read_only() -> None:
    assert all(p.endswith(":read") for p in BUILTIN_ROLES["viewer"])


def test_members_update_their_own_agents_and_tasks_only() -> None:
    assert check_permission(["member"], NO_CUSTOM, "agents", "update", owns=True)
    assert check_permission(["member"], NO_CUSTOM, "tasks", "update", owns=True)
    assert not check_permission(["member"], NO_CUSTOM, "agents", "update")
    assert not check_permission(["member"], NO_CUSTOM, "workflows", "update", owns=True)
    assert check_permission(["operator"], NO_CUSTOM, "agents", "update")


def test_no_roles_and_unknown_roles_grant_nothing() -> None:
    assert not check_permission([], NO_CUSTOM, "agents", "read")
    assert not check_permission(["deleted-role"], NO_CUSTOM, "agents", "read")


def test_roles_add_up() -> None:
    auditor = define_custom_role("auditor", ["analytics:export"])
    custom = {"auditor": auditor}
    assert check_permission(["viewer", "auditor"], custom, "analytics", "export")
    assert check_permission(["viewer", "auditor"], custom, "tasks", "read")
    assert not check_permission(["viewer"], custom, "analytics", "export")


def test_custom_role_wildcards() -> None:
    custom = {
        "agent-admin": define_custom_role("agent-admin", ["agents:*"]),
        "reader": define_custom_role("reader", ["*:read"]),
    }
    assert check_permission(["agent-admin"], custom, "agents", "delete")
    assert not check_permission(["agent-admin"], custom, "tasks", "delete")
    assert check_permission(["reader"], custom, "users", "read")
    assert not check_permission(["reader"], custom, "users", "update")


def test_effective_permissions() -> None:
    assert effective_permissions(["admin", "viewer"], NO_CUSTOM) == frozenset({"*:*"})
    member = effective_permissions(["member", "viewer"], NO_CUSTOM)
    assert "agents:create" in member and "agents:update_own" in member
    assert member == BUILTIN_ROLES["member"]


@pytest.mark.parametrize(
    "text", ["agents", "agents:read:extra", ":read", "agents:", "Agents:read", "agentz:read",
             "agents:raed", "agents read"],
)
def test_malformed_permissions_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_permission(text)
    assert caught.value.code == "invalid_permission"
    assert caught.value.field == "permissions"
    assert repr(text) in caught.value.message


def test_valid_permissions_parse() -> None:
    for text in ("agents:read", "*:read", "agents:*", "*:*", "tasks:update_own"):
        assert str(parse_permission(text)) == text


@pytest.mark.parametrize(
    ("name", "permissions", "code", "field"),
    [
        ("admin", ["agents:read"], "role_name_reserved", "name"),
        ("viewer", ["agents:read"], "role_name_reserved", "name"),
        ("ML-Reviewer", ["agents:read"], "invalid_role_name", "name"),
        ("1st", ["agents:read"], "invalid_role_name", "name"),
        ("x" * 65, ["agents:read"], "invalid_role_name", "name"),
        ("reviewer", ["agents:look"], "invalid_permission", "permissions"),
        ("reviewer", [], "permissions_required", "permissions"),
    ],
)
def test_custom_role_definition_errors(
    name: str, permissions: list[str], code: str, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        define_custom_role(name, permissions)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_custom_role_permissions_are_deduplicated_and_sorted() -> None:
    role = define_custom_role("ml-reviewer", ["tasks:update", "agents:read", "tasks:update"])
    assert role.permissions == ("agents:read", "tasks:update")


def test_checks_must_name_a_concrete_permission() -> None:
    with pytest.raises(ValueError):
        check_permission(["admin"], NO_CUSTOM, "*", "read")


def test_cover_rules_for_delegation() -> None:
    assert permissions_cover(["*:*"], "agents:*")
    assert permissions_cover(["agents:*"], "agents:delete")
    assert permissions_cover(["*:read"], "tasks:read")
    assert permissions_cover(["tasks:update"], "tasks:update_own")
    assert not permissions_cover(["tasks:update_own"], "tasks:update")
    assert not permissions_cover(["agents:read"], "agents:*")
    assert not permissions_cover(["agents:read"], "*:read")
