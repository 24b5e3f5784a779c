"""Service accounts and API keys through the users worker's real pipeline (no Kafka)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest

import topics
from tests.support.users_svc.worker_in_memory import ADMIN, UsersWorld
from users_svc.domain.api_keys import issue_api_key, verify_api_key
from users_svc.domain.errors import DomainError
from users_svc.domain.service_accounts import (
    MAX_ACTIVE_KEYS,
    add_api_key,
    create_service_account,
    key_view,
)
from users_svc.domain.sessions import Account

HASH = hashlib.sha256(b"a secret").hexdigest()


async def _account(world: UsersWorld, roles: list[str] | None = None) -> str:
    account_id = str(uuid.uuid4())
    data = {"user_id": account_id, "name": "ingest-agent", "roles": roles or ["member"],
            "created_by": ADMIN}
    answer = world.reply(await world.send("CreateServiceAccount", account_id, data))
    assert answer["http_status"] == 201, answer
    return account_id


def _key(account_id: str, key_id: str = "ab12cd34", **extra: object) -> dict[str, object]:
    return {"user_id": account_id, "key_id": key_id, "name": "host 7", "scopes": ["agents:read"],
            "secret_hash": HASH, "expires_at": None, "issued_by": ADMIN, **extra}


async def test_a_service_account_is_a_user_of_kind_service_without_credentials() -> None:
    world = UsersWorld()
    account_id = await _account(world, ["operator"])
    [reply] = world.on(topics.USER_REPLIES)
    view = reply.data["resource"]
    assert (view["kind"], view["email"], view["roles"]) == ("service", None, ["operator"])
    [created] = world.on(topics.USER_EVENTS)
    assert created.type == "ServiceAccountCreated" and created.subject == account_id
    assert world.on(topics.USER_CREDENTIALS) == []  # nothing to sign in with


async def test_creating_it_again_answers_the_same_account_and_a_taken_id_is_409() -> None:
    world = UsersWorld()
    account_id = await _account(world)
    data = {"user_id": account_id, "name": "ingest-agent", "roles": ["member"],
            "created_by": ADMIN}
    again = world.reply(await world.send("CreateServiceAccount", account_id, data))
    assert again["http_status"] == 201 and len(world.on(topics.USER_EVENTS)) == 1
    other = world.reply(await world.send(
        "CreateServiceAccount", account_id, {**data, "name": "something else"}))
    assert (other["http_status"], other["error"]["code"]) == (409, "user_exists")


async def test_a_key_is_stored_hashed_and_published_without_its_hash() -> None:
    world = UsersWorld()
    account_id = await _account(world)
    answer = world.reply(await world.send("IssueApiKey", account_id, _key(account_id)))
    assert answer["http_status"] == 201
    assert answer["resource"] == {
        "id": "ab12cd34", "service_account_id": account_id, "name": "host 7",
        "scopes": ["agents:read"], "status": "active",
        "created_at": world.clock.now.isoformat(), "expires_at": None, "revoked_at": None,
    }
    [issued] = world.on(topics.USER_EVENTS, "ApiKeyIssued")
    assert issued.subject == account_id and "secret_hash" not in issued.data
    [stored] = world.on(topics.USER_CREDENTIALS, "ApiKeyChanged")
    assert stored.subject == "apikey:ab12cd34" and stored.data["secret_hash"] == HASH


async def test_the_same_key_again_is_a_retry_another_with_its_id_is_refused() -> None:
    world = UsersWorld()
    account_id = await _account(world)
    await world.send("IssueApiKey", account_id, _key(account_id))
    retry = world.reply(await world.send("IssueApiKey", account_id, _key(account_id)))
    assert retry["http_status"] == 201 and len(world.on(topics.USER_EVENTS, "ApiKeyIssued")) == 1
    clash = _key(account_id, secret_hash=hashlib.sha256(b"other").hexdigest())
    refused = world.reply(await world.send("IssueApiKey", account_id, clash))
    assert (refused["http_status"], refused["error"]["code"]) == (409, "api_key_exists")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"scopes": ["agents:fly"]}, "invalid_permission"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "invalid_expiry"),
    ],
)
async def test_a_bad_key_is_refused_with_a_reason(change: dict[str, object], code: str) -> None:
    world = UsersWorld()
    account_id = await _account(world)
    answer = world.reply(await world.send("IssueApiKey", account_id, _key(account_id, **change)))
    assert (answer["http_status"], answer["error"]["code"]) == (422, code)


async def test_people_have_no_api_keys() -> None:
    world = UsersWorld()
    _, user_id = await world.create_user("ada@example.com")
    answer = world.reply(await world.send("IssueApiKey", user_id, _key(user_id)))
    assert (answer["http_status"], answer["error"]["code"]) == (422, "not_a_service_account")


async def test_revoking_is_idempotent_and_says_so_once() -> None:
    world = UsersWorld()
    account_id = await _account(world)
    await world.send("IssueApiKey", account_id, _key(account_id))
    world.clock.advance(minutes=3)
    revoke = {"user_id": account_id, "key_id": "ab12cd34", "revoked_by": ADMIN}
    first = world.reply(await world.send("RevokeApiKey", account_id, revoke))
    again = world.reply(await world.send("RevokeApiKey", account_id, revoke))
    assert first["resource"]["status"] == again["resource"]["status"] == "revoked"
    assert first["resource"]["revoked_at"] == world.clock.now.isoformat()
    assert len(world.on(topics.USER_EVENTS, "ApiKeyRevoked")) == 1
    [_, revoked] = world.on(topics.USER_CREDENTIALS, "ApiKeyChanged")
    assert revoked.data["revoked_at"] is not None
    unknown = world.reply(await world.send(
        "RevokeApiKey", account_id, {**revoke, "key_id": "00000000"}))
    assert (unknown["http_status"], unknown["error"]["code"]) == (404, "api_key_not_found")


async def test_deactivating_a_service_account_publishes_no_credentials() -> None:
    world = UsersWorld()
    account_id = await _account(world)
    data = {"user_id": account_id, "reason": "retired", "deactivated_by": ADMIN}
    answer = world.reply(await world.send("DeactivateUser", account_id, data))
    assert answer["resource"]["status"] == "deactivated"
    assert world.on(topics.USER_CREDENTIALS) == []
    refused = world.reply(await world.send("IssueApiKey", account_id, _key(account_id)))
    assert refused["error"]["code"] == "user_deactivated"


def test_usable_keys_are_bounded_per_account() -> None:
    world = UsersWorld()
    user, _ = create_service_account(
        user_id=str(uuid.uuid4()), name="bot", roles=[], created_by=ADMIN, now=world.clock.now
    )
    account = Account(user)
    for n in range(MAX_ACTIVE_KEYS):
        account, _, _ = add_api_key(
            account, key_id=f"{n:08d}", name="k", scopes=["agents:read"], secret_hash=HASH,
            expires_at=None, issued_by=ADMIN, now=world.clock.now,
        )
    with pytest.raises(DomainError, match="too_many_api_keys"):
        add_api_key(
            account, key_id="zzzzzzzz", name="k", scopes=["agents:read"], secret_hash=HASH,
            expires_at=None, issued_by=ADMIN, now=world.clock.now,
        )


def test_a_service_account_takes_built_in_roles_only_and_a_clean_name() -> None:
    now = UsersWorld().clock.now
    with pytest.raises(DomainError, match="unknown_role"):
        create_service_account(
            user_id=str(uuid.uuid4()), name="bot", roles=["ml-reviewer"], created_by=ADMIN,
            now=now,
        )
    with pytest.raises(DomainError) as refused:
        create_service_account(
            user_id=str(uuid.uuid4()), name=" ", roles=[], created_by=ADMIN, now=now
        )
    assert refused.value.field == "name" and refused.value.code == "name_required"


def test_a_key_view_never_shows_the_secret_and_tells_expired_from_active() -> None:
    now = UsersWorld().clock.now
    issued = issue_api_key(
        owner_id=str(uuid.uuid4()), name="k", scopes=["agents:read"],
        owner_permissions=["*:*"], now=now, expires_at=now + timedelta(hours=1),
    )
    assert verify_api_key(issued.record, issued.key, now=now)
    view = key_view(issued.record, now)
    assert issued.key not in str(view) and issued.record.secret_hash not in str(view)
    assert key_view(issued.record, now + timedelta(hours=2))["status"] == "expired"
