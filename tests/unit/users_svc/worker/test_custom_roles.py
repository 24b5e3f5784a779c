"""Custom roles through the users worker's real pipelines: define, assign, delete."""

from __future__ import annotations

import uuid

import pytest

import topics
from tests.support.users_svc.worker_in_memory import ADMIN, UsersWorld
from users_svc.domain.roles import role_key


def _define(name: str, permissions: list[str] | None = None) -> dict[str, object]:
    return {"name": name, "permissions": permissions or ["users:read", "agents:*"],
            "description": "Reads people", "defined_by": ADMIN}


async def _assign(world: UsersWorld, user_id: str, role: str, subject: str) -> dict[str, object]:
    data = {"user_id": user_id, "role": role, "assigned_by": ADMIN}
    return world.reply(await world.send("AssignRole", subject, data))


async def test_a_role_is_defined_once_on_its_own_aggregate() -> None:
    world = UsersWorld()
    answer = world.reply(await world.send("DefineRole", role_key("auditor"), _define("auditor")))
    assert answer["http_status"] == 201
    assert answer["resource"]["permissions"] == ["agents:*", "users:read"]
    [defined] = world.on(topics.USER_EVENTS, "RoleDefined")
    assert defined.subject == "role:auditor"
    again = world.reply(await world.send("DefineRole", role_key("auditor"), _define("auditor")))
    assert again["http_status"] == 201 and len(world.on(topics.USER_EVENTS)) == 1
    other = world.reply(await world.send(
        "DefineRole", role_key("auditor"), _define("auditor", ["tasks:read"])))
    assert (other["http_status"], other["error"]["code"]) == (409, "role_exists")


@pytest.mark.parametrize(
    ("name", "permissions", "code"),
    [
        ("admin", ["users:read"], "role_name_reserved"),
        ("auditor", ["users:fly"], "invalid_permission"),
        ("auditor", ["spaceships:read"], "invalid_permission"),
    ],
)
async def test_bad_definitions_are_refused(name: str, permissions: list[str], code: str) -> None:
    world = UsersWorld()
    answer = world.reply(await world.send("DefineRole", role_key(name), _define(name, permissions)))
    assert (answer["http_status"], answer["error"]["code"]) == (422, code)
    assert world.on(topics.USER_EVENTS) == []


async def test_a_defined_role_is_granted_in_two_steps_and_answers_the_assign() -> None:
    world = UsersWorld()
    await world.send("DefineRole", role_key("auditor"), _define("auditor"))
    _, user_id = await world.create_user(f"ada-{uuid.uuid4().hex[:6]}@example.com")
    data = {"user_id": user_id, "role": "auditor", "assigned_by": ADMIN}
    command = await world.send("AssignRole", role_key("auditor"), data)
    [grant] = world.on(topics.USER_REGISTRATIONS, "CustomRoleGrant")
    assert grant.subject == user_id and grant.data["command_id"] == command.id
    answer = world.reply(command)
    assert answer["http_status"] == 200 and answer["resource"]["roles"] == ["auditor", "member"]
    [assigned] = world.on(topics.USER_EVENTS, "RoleAssigned")
    assert assigned.data == {"user_id": user_id, "role": "auditor", "assigned_by": ADMIN}


async def test_an_undefined_role_is_refused_by_its_aggregate() -> None:
    world = UsersWorld()
    _, user_id = await world.create_user("ada@example.com")
    answer = await _assign(world, user_id, "ghost", role_key("ghost"))
    assert (answer["http_status"], answer["error"]["code"]) == (422, "unknown_role")
    assert world.on(topics.USER_REGISTRATIONS, "CustomRoleGrant") == []
    # Keyed by the user, a custom role is refused too: only its aggregate can vouch for it.
    await world.send("DefineRole", role_key("auditor"), _define("auditor"))
    direct = await _assign(world, user_id, "auditor", user_id)
    assert direct["error"]["code"] == "unknown_role"


async def test_a_grant_to_an_unknown_user_answers_404_to_the_assign() -> None:
    world = UsersWorld()
    await world.send("DefineRole", role_key("auditor"), _define("auditor"))
    ghost = str(uuid.uuid4())
    answer = await _assign(world, ghost, "auditor", role_key("auditor"))
    assert (answer["http_status"], answer["error"]["code"]) == (404, "user_not_found")


async def test_a_deleted_role_cannot_be_granted_and_its_name_is_retired() -> None:
    world = UsersWorld()
    await world.send("DefineRole", role_key("auditor"), _define("auditor"))
    world.clock.advance(minutes=1)
    delete = {"name": "auditor", "deleted_by": ADMIN}
    deleted = world.reply(await world.send("DeleteRole", role_key("auditor"), delete))
    assert deleted["http_status"] == 200
    assert deleted["resource"]["deleted_at"] == world.clock.now.isoformat()
    [event] = world.on(topics.USER_EVENTS, "RoleDeleted")
    assert event.subject == "role:auditor"
    again = world.reply(await world.send("DeleteRole", role_key("auditor"), delete))
    assert (again["http_status"], again["error"]["code"]) == (404, "role_not_found")
    reused = world.reply(await world.send("DefineRole", role_key("auditor"), _define("auditor")))
    assert (reused["http_status"], reused["error"]["code"]) == (409, "role_name_retired")
    _, user_id = await world.create_user("ada@example.com")
    refused = await _assign(world, user_id, "auditor", role_key("auditor"))
    assert refused["error"]["code"] == "unknown_role"


async def test_built_in_roles_cannot_be_deleted() -> None:
    world = UsersWorld()
    delete = {"name": "viewer", "deleted_by": ADMIN}
    answer = world.reply(await world.send("DeleteRole", role_key("viewer"), delete))
    assert (answer["http_status"], answer["error"]["code"]) == (422, "role_name_reserved")
