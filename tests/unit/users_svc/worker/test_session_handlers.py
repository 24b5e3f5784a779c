"""Sessions through the real pipeline: sign-in, rotation, reuse, expiry, sign-out, failures."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import topics
from tests.support.users_svc.worker_in_memory import OTHER_HASH, UsersWorld, email_hash


async def _signed_up(world: UsersWorld) -> str:
    _, user_id = await world.create_user(f"ada-{uuid.uuid4().hex[:6]}@example.com")
    return user_id


async def test_a_session_starts_with_the_roles_and_the_refresh_expiry() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    command, family_id, _ = await world.start_session(user_id)
    answer = world.reply(command)
    assert answer["http_status"] == 201
    assert answer["resource"] == {
        "user_id": user_id,
        "roles": ["member"],
        "family_id": family_id,
        "refresh_expires_at": (world.clock.now + timedelta(days=7)).isoformat(),
    }
    [login] = world.on(topics.USER_EVENTS, "LoginSucceeded")
    assert login.data == {
        "user_id": user_id,
        "family_id": family_id,
        "client_ip": "203.0.113.7",
        "user_agent": "pytest",
    }


async def test_a_session_for_stale_credentials_is_401() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    # The edge verified the old password against a read model that had not caught up.
    change = {"user_id": user_id, "password_hash": OTHER_HASH, "changed_by": user_id}
    await world.send("ChangePassword", user_id, change)
    stale, _, _ = await world.start_session(user_id, version=1)
    answer = world.reply(stale)
    assert (answer["http_status"], answer["error"]["code"]) == (401, "invalid_credentials")
    assert world.on(topics.USER_EVENTS, "LoginSucceeded") == []
    current, _, _ = await world.start_session(user_id, version=2)
    assert world.reply(current)["http_status"] == 201


async def test_a_session_for_an_unknown_user_is_401_like_a_wrong_password() -> None:
    world = UsersWorld()
    command, _, _ = await world.start_session(str(uuid.uuid4()))
    answer = world.reply(command)
    assert (answer["http_status"], answer["error"]["code"]) == (401, "invalid_credentials")


async def test_each_refresh_rotates_and_slides_the_expiry() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    _, family_id, first = await world.start_session(user_id)
    world.clock.advance(minutes=15)
    command, second = await world.refresh(user_id, family_id, first)
    answer = world.reply(command)
    assert answer["http_status"] == 200
    assert answer["resource"]["family_id"] == family_id
    assert answer["resource"]["refresh_expires_at"] == (
        world.clock.now + timedelta(days=7)
    ).isoformat()
    world.clock.advance(minutes=15)
    command, _ = await world.refresh(user_id, family_id, second)
    assert world.reply(command)["http_status"] == 200


async def test_reuse_of_a_used_token_revokes_the_family_and_is_reported() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    _, family_id, first = await world.start_session(user_id)
    _, second = await world.refresh(user_id, family_id, first)
    world.clock.advance(seconds=30)  # past the edge's grace window: this is reuse
    reuse, _ = await world.refresh(user_id, family_id, first)
    answer = world.reply(reuse)
    assert (answer["http_status"], answer["error"]["code"]) == (401, "token_reuse_detected")
    [detected] = world.on(topics.USER_EVENTS, "TokenReuseDetected")
    assert detected.data == {"user_id": user_id, "family_id": family_id}
    assert datetime.fromisoformat(detected.time) == world.clock.now
    # The legitimate holder's newest token is dead too.
    after, _ = await world.refresh(user_id, family_id, second)
    answer = world.reply(after)
    assert (answer["http_status"], answer["error"]["code"]) == (401, "invalid_refresh_token")
    assert len(world.on(topics.USER_EVENTS, "TokenReuseDetected")) == 1


async def test_unknown_and_expired_tokens_are_401_invalid_refresh_token() -> None:
    world = UsersWorld(ttl=timedelta(minutes=30))
    user_id = await _signed_up(world)
    _, family_id, first = await world.start_session(user_id)
    forged, _ = await world.refresh(user_id, family_id, f"dkr.{user_id}.{family_id}.guess")
    assert world.reply(forged)["error"]["code"] == "invalid_refresh_token"
    other_family, _ = await world.refresh(user_id, str(uuid.uuid4()), first)
    assert world.reply(other_family)["error"]["code"] == "invalid_refresh_token"
    world.clock.advance(minutes=30)
    expired, _ = await world.refresh(user_id, family_id, first)
    assert world.reply(expired)["error"]["code"] == "invalid_refresh_token"
    assert world.on(topics.USER_EVENTS, "TokenReuseDetected") == []


async def test_ending_a_session_revokes_its_family_once() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    _, family_id, first = await world.start_session(user_id)
    data = {"user_id": user_id, "family_id": family_id, "by": user_id}
    answer = world.reply(await world.send("EndSession", user_id, data))
    assert (answer["http_status"], answer["resource"]) == (200, {"revoked": [family_id]})
    [out] = world.on(topics.USER_EVENTS, "LoggedOut")
    assert out.data == {"user_id": user_id, "family_id": family_id, "everywhere": False}
    again = world.reply(await world.send("EndSession", user_id, data))
    assert again["resource"] == {"revoked": []}
    assert len(world.on(topics.USER_EVENTS, "LoggedOut")) == 1
    refresh, _ = await world.refresh(user_id, family_id, first)
    assert world.reply(refresh)["error"]["code"] == "invalid_refresh_token"


async def test_ending_all_sessions_revokes_every_open_family() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    families = [(await world.start_session(user_id))[1] for _ in range(3)]
    await world.send("EndSession", user_id, {"user_id": user_id, "family_id": families[0],
                                             "by": user_id})
    answer = world.reply(await world.send("EndAllSessions", user_id,
                                          {"user_id": user_id, "by": user_id}))
    assert answer["http_status"] == 200
    assert answer["resource"] == {"revoked": families[1:]}
    everywhere = world.on(topics.USER_EVENTS, "LoggedOut")[-1]
    assert everywhere.data == {"user_id": user_id, "family_id": None, "everywhere": True}


async def test_a_login_failure_is_recorded_and_answered_202() -> None:
    world = UsersWorld()
    user_id = await _signed_up(world)
    digest = email_hash("nobody@example.com")
    unknown = {"user_id": None, "email_hash": digest, "client_ip": None,
               "reason": "bad_credentials"}
    answer = world.reply(await world.send("RecordLoginFailure", f"email:{digest}", unknown))
    assert (answer["http_status"], answer["resource"]) == (202, {})
    known = {"user_id": user_id, "email_hash": email_hash("ada@example.com"),
             "client_ip": "2001:db8::7", "reason": "throttled"}
    await world.send("RecordLoginFailure", user_id, known)
    first, second = world.on(topics.USER_EVENTS, "LoginFailed")
    assert (first.subject, first.data) == (f"email:{digest}", unknown)
    assert (second.subject, second.data) == (user_id, known)
