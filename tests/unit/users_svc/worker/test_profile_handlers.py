"""Commands on an existing user through the real pipeline: update, roles, deactivate, password."""

from __future__ import annotations

import uuid
from datetime import datetime

import topics
from tests.support.users_svc.worker_in_memory import ADMIN, OTHER_HASH, UsersWorld


async def _ada(world: UsersWorld) -> str:
    _, user_id = await world.create_user(f"ada-{uuid.uuid4().hex[:6]}@example.com")
    return user_id


async def test_update_answers_the_new_view_and_emits_what_changed() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    world.clock.advance(minutes=5)
    data = {"user_id": user_id, "display_name": "Ada King", "updated_by": user_id}
    command = await world.send("UpdateUser", user_id, data)
    answer = world.reply(command)
    assert answer["http_status"] == 200
    view = answer["resource"]
    assert view["display_name"] == "Ada King"
    assert view["updated_at"] == world.clock.now.isoformat() != view["created_at"]
    [updated] = world.on(topics.USER_EVENTS, "UserUpdated")
    assert updated.data["changes"] == {"display_name": "Ada King"}
    assert datetime.fromisoformat(updated.time) == world.clock.now


async def test_a_command_for_an_unknown_user_is_404_user_not_found() -> None:
    world = UsersWorld()
    ghost = str(uuid.uuid4())
    data = {"user_id": ghost, "display_name": "Nobody", "updated_by": ADMIN}
    answer = world.reply(await world.send("UpdateUser", ghost, data))
    assert (answer["http_status"], answer["error"]["code"]) == (404, "user_not_found")


async def test_a_command_keyed_by_another_user_is_refused() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    other = str(uuid.uuid4())
    data = {"user_id": user_id, "display_name": "Mallory", "updated_by": user_id}
    answer = world.reply(await world.send("UpdateUser", other, data))
    assert (answer["http_status"], answer["error"]["field"]) == (422, "user_id")
    assert world.on(topics.USER_EVENTS, "UserUpdated") == []


async def test_assigning_a_role_is_idempotent() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    data = {"user_id": user_id, "role": "operator", "assigned_by": ADMIN}
    first = world.reply(await world.send("AssignRole", user_id, data))
    world.clock.advance(minutes=1)
    again = world.reply(await world.send("AssignRole", user_id, data))
    assert first["http_status"] == again["http_status"] == 200
    assert first["resource"] == again["resource"]  # updated_at did not move either
    assert first["resource"]["roles"] == ["member", "operator"]
    assert len(world.on(topics.USER_EVENTS, "RoleAssigned")) == 1


async def test_revoking_a_role_not_held_changes_nothing() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    data = {"user_id": user_id, "role": "admin", "revoked_by": ADMIN}
    answer = world.reply(await world.send("RevokeRole", user_id, data))
    assert answer["http_status"] == 200 and answer["resource"]["roles"] == ["member"]
    revoke_member = {**data, "role": "member"}
    answer = world.reply(await world.send("RevokeRole", user_id, revoke_member))
    assert answer["resource"]["roles"] == []
    assert [e.data["role"] for e in world.on(topics.USER_EVENTS, "RoleRevoked")] == ["member"]


async def test_an_unknown_role_is_422() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    data = {"user_id": user_id, "role": "ghost", "assigned_by": ADMIN}
    answer = world.reply(await world.send("AssignRole", user_id, data))
    assert (answer["http_status"], answer["error"]["code"]) == (422, "unknown_role")


async def test_deactivation_ends_every_session_and_publishes_the_credentials() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    _, family_id, first = await world.start_session(user_id)
    data = {"user_id": user_id, "reason": "Left", "deactivated_by": ADMIN}
    answer = world.reply(await world.send("DeactivateUser", user_id, data))
    assert answer["http_status"] == 200 and answer["resource"]["status"] == "deactivated"
    assert len(world.on(topics.USER_EVENTS, "UserDeactivated")) == 1
    latest = world.on(topics.USER_CREDENTIALS)[-1].data
    assert (latest["status"], latest["credentials_version"]) == ("deactivated", 2)
    # The session is over, and no new one starts, whatever version the edge read.
    refresh, _ = await world.refresh(user_id, family_id, first)
    assert world.reply(refresh)["error"]["code"] == "invalid_refresh_token"
    for version in (1, 2):
        start, _, _ = await world.start_session(user_id, version=version)
        assert world.reply(start)["error"]["code"] == "invalid_credentials"
    # Deactivating again changes nothing.
    again = world.reply(await world.send("DeactivateUser", user_id, data))
    assert again["http_status"] == 200
    assert len(world.on(topics.USER_EVENTS, "UserDeactivated")) == 1
    # A deactivated account takes no profile changes.
    update = {"user_id": user_id, "display_name": "Back", "updated_by": ADMIN}
    refused = world.reply(await world.send("UpdateUser", user_id, update))
    assert (refused["http_status"], refused["error"]["code"]) == (409, "user_deactivated")


async def test_a_password_change_bumps_the_version_and_ends_every_session() -> None:
    world = UsersWorld()
    user_id = await _ada(world)
    _, family_id, first = await world.start_session(user_id)
    data = {"user_id": user_id, "password_hash": OTHER_HASH, "changed_by": user_id}
    answer = world.reply(await world.send("ChangePassword", user_id, data))
    assert answer["http_status"] == 200
    assert answer["resource"] == {"user_id": user_id, "credentials_version": 2}
    [changed] = world.on(topics.USER_EVENTS, "PasswordChanged")
    assert changed.data == {"user_id": user_id, "changed_by": user_id}
    latest = world.on(topics.USER_CREDENTIALS)[-1].data
    assert (latest["password_hash"], latest["credentials_version"]) == (OTHER_HASH, 2)
    refresh, _ = await world.refresh(user_id, family_id, first)
    assert world.reply(refresh)["error"]["code"] == "invalid_refresh_token"
