"""CreateUser through the users worker's real pipelines: claim the email, then create the user."""

from __future__ import annotations

import uuid
from datetime import datetime

import topics
from tests.support.users_svc.worker_in_memory import HASH, UsersWorld
from users_svc.domain.claims import claim_key


async def test_registration_creates_the_user_and_answers_the_original_command() -> None:
    world = UsersWorld()
    command, user_id = await world.create_user("Ada@Example.COM")
    answer = world.reply(command)
    assert answer["command_type"] == "CreateUser" and answer["status"] == "succeeded"
    assert answer["http_status"] == 201
    view = answer["resource"]
    assert view == {
        "id": user_id,
        "kind": "user",
        "email": "Ada@Example.COM",
        "display_name": "Ada Lovelace",
        "roles": ["member"],
        "status": "active",
        "created_at": world.clock.now.isoformat(),
        "updated_at": world.clock.now.isoformat(),
    }
    # The reply travels keyed by the CreateUser id, the key the edge waits on.
    [reply_envelope] = world.on(topics.USER_REPLIES)
    assert reply_envelope.subject == command.id
    [registration] = world.on(topics.USER_REGISTRATIONS)
    assert registration.subject == user_id and registration.data["command_id"] == command.id
    # Events: the public fact without secrets, and the credentials on the internal topic.
    [created] = world.on(topics.USER_EVENTS)
    assert created.type == "UserCreated" and created.subject == user_id
    assert "password_hash" not in created.data
    assert datetime.fromisoformat(created.time) == world.clock.now  # the read model's created_at
    [credentials] = world.on(topics.USER_CREDENTIALS)
    assert credentials.data == {
        "user_id": user_id,
        "email_normalized": "ada@example.com",
        "password_hash": HASH,
        "credentials_version": 1,
        "status": "active",
    }
    assert world.table[claim_key("ada@example.com")]["state"]["claim"]["user_id"] == user_id


async def test_an_email_claimed_by_another_user_in_any_case_is_409_email_taken() -> None:
    world = UsersWorld()
    await world.create_user("ada@example.com")
    second, other_id = await world.create_user("ADA@Example.com")
    answer = world.reply(second)
    assert (answer["http_status"], answer["error"]["code"], answer["error"]["field"]) == (
        409,
        "email_taken",
        "email",
    )
    assert other_id not in world.table  # no registration went out for it
    assert len(world.on(topics.USER_REGISTRATIONS)) == 1
    assert len(world.on(topics.USER_EVENTS, "UserCreated")) == 1


async def test_a_retried_create_with_the_same_user_id_answers_201_again() -> None:
    world = UsersWorld()
    first, user_id = await world.create_user("grace@example.org")
    again, _ = await world.create_user("grace@example.org", user_id=user_id)
    assert world.reply(again)["http_status"] == 201
    assert world.reply(again)["resource"] == world.reply(first)["resource"]
    assert len(world.on(topics.USER_EVENTS, "UserCreated")) == 1


async def test_a_user_id_already_used_with_another_email_is_409_user_exists() -> None:
    world = UsersWorld()
    _, user_id = await world.create_user("grace@example.org")
    again, _ = await world.create_user("hopper@example.org", user_id=user_id)
    error = world.reply(again)["error"]
    assert (error["code"], error["field"]) == ("user_exists", "user_id")


async def test_a_refused_registration_claims_no_email() -> None:
    world = UsersWorld()
    refused, _ = await world.create_user("lin@example.com", roles=["ghost-role"])
    answer = world.reply(refused)
    assert (answer["http_status"], answer["error"]["code"]) == (422, "unknown_role")
    # Nobody holds the email: someone else may take it.
    taken, _ = await world.create_user("lin@example.com")
    assert world.reply(taken)["http_status"] == 201


async def test_a_create_keyed_by_another_email_is_refused_naming_the_field() -> None:
    world = UsersWorld()
    wrong, _ = await world.create_user("lin@example.com", subject="email:someone@else.org")
    answer = world.reply(wrong)
    assert (answer["http_status"], answer["error"]["code"], answer["error"]["field"]) == (
        422,
        "invalid_command",
        "email",
    )
    assert world.on(topics.USER_REGISTRATIONS) == []


async def test_a_redelivered_create_is_not_applied_twice_and_re_sends_the_same_outputs() -> None:
    world = UsersWorld()
    command, _ = await world.create_user("kay@example.com")
    before = [s.value for s in world.sender.sent]
    assert await world.deliver(command) == "duplicate"
    # The claim step's output (the registration) went out again, same id; the registration
    # step then saw a duplicate too and re-sent its reply and events unchanged.
    after = [s.value for s in world.sender.sent[len(before):]]
    assert sorted(after) == sorted(before)
    assert len({e.id for e in world.on(topics.USER_REPLIES)}) == 1


async def test_roles_may_be_empty_and_self_sign_up_has_no_creator() -> None:
    world = UsersWorld()
    data = {
        "user_id": str(uuid.uuid4()), "email": "self@example.com", "display_name": "Self",
        "password_hash": HASH, "roles": [], "created_by": None,
    }
    command = await world.send("CreateUser", claim_key("self@example.com"), data)
    assert world.reply(command)["resource"]["roles"] == []
    [created] = world.on(topics.USER_EVENTS, "UserCreated")
    assert created.data["created_by"] is None


async def test_the_registration_carries_the_claim_steps_admitted_fields() -> None:
    # The rules run once, on the claim: the second step creates what it was handed.
    world = UsersWorld()
    user_id = str(uuid.uuid4())
    data = {
        "user_id": user_id.upper(), "email": "Kim@Example.com", "display_name": "  Kim  ",
        "password_hash": HASH, "roles": ["operator", "member"], "created_by": None,
    }
    command = await world.send("CreateUser", claim_key("kim@example.com"), data)
    [registration] = world.on(topics.USER_REGISTRATIONS)
    assert registration.data == {
        "command_id": command.id, "command_type": "CreateUser", "user_id": user_id,
        "email": "Kim@Example.com", "display_name": "Kim", "password_hash": HASH,
        "roles": ["member", "operator"], "created_by": None,
    }
    view = world.reply(command)["resource"]
    assert (view["id"], view["display_name"], view["roles"]) == (
        user_id, "Kim", ["member", "operator"]
    )
