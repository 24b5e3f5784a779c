"""The users worker for real: commands over Kafka via the CommandBus, Postgres read model.

Everything a client of the edge relies on: CreateUser answers 201 (or 409 for a taken email,
in any case), the read model shows the user and their credentials, a restart loses nothing
and duplicates nothing, and sessions start, rotate, catch reuse and end as specified.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from redis.asyncio import Redis

import topics
from streams.commands import CommandBus, Completed, Outcome, Pending, Reply
from streams.tooling.stack import Endpoints
from tests.support.users_svc.worker_in_memory import HASH, token
from tests.support.users_svc.worker_process import (
    UsersWorker,
    ensure_read_model,
    ensure_users_topics,
    rows,
    unique_email,
)
from users_svc.domain.claims import claim_key
from users_svc.domain.token_family import hash_token

pytestmark = pytest.mark.integration
REPLY_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
async def worker(
    endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[UsersWorker]:
    """A running users worker on the real topics, group and read model."""
    await ensure_users_topics(endpoints.kafka_bootstrap)
    await ensure_read_model(endpoints.database_url)
    running = UsersWorker(endpoints, tmp_path_factory.mktemp("users-worker"))
    await asyncio.to_thread(running.start)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.stop)


@pytest.fixture(scope="module")
async def bus(endpoints: Endpoints, worker: UsersWorker) -> AsyncIterator[CommandBus]:
    """The edge's command bus, reading user-replies."""
    redis = Redis.from_url(endpoints.redis_url)
    async with CommandBus(
        endpoints.kafka_bootstrap, redis, replies=[topics.USER_REPLIES], timeout_s=REPLY_TIMEOUT_S
    ) as command_bus:
        yield command_bus
    await redis.aclose()


async def _send(
    bus: CommandBus, type_name: str, subject: str, data: dict[str, Any],
    *, timeout_s: float | None = None,
) -> tuple[str, Outcome]:
    envelope = bus.build(topics.USER_COMMANDS, type_name, subject, data, actor="it-user")
    return envelope.id, await bus.send(topics.USER_COMMANDS, envelope, timeout_s=timeout_s)


async def _ask(bus: CommandBus, type_name: str, subject: str, data: dict[str, Any]) -> Reply:
    _, outcome = await _send(bus, type_name, subject, data)
    assert isinstance(outcome, Completed), f"no reply to {type_name} in {REPLY_TIMEOUT_S}s"
    return outcome.reply


def _create(email: str, user_id: str | None = None) -> tuple[str, dict[str, Any]]:
    data = {
        "user_id": user_id or str(uuid.uuid4()),
        "email": email,
        "display_name": "Integration Ada",
        "password_hash": HASH,
        "roles": ["member"],
        "created_by": None,
    }
    return claim_key(email), data


async def _eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.2)


async def _user_rows(database_url: str, user_id: str) -> list[tuple[Any, ...]]:
    return await rows(
        database_url,
        "SELECT email, email_normalized, display_name, roles, status, created_at"
        " FROM users.users WHERE id = %s",
        user_id,
    )


async def _credential_rows(database_url: str, user_id: str) -> list[tuple[Any, ...]]:
    return await rows(
        database_url,
        "SELECT email_normalized, password_hash, credentials_version, status"
        " FROM users.credentials WHERE user_id = %s",
        user_id,
    )


async def _read_model_has(database_url: str, user_id: str) -> None:
    async def both() -> bool:
        users = await _user_rows(database_url, user_id)
        credentials = await _credential_rows(database_url, user_id)
        return bool(users) and bool(credentials)

    await _eventually(both, f"read model rows of user {user_id}")


async def test_create_user_answers_201_and_the_same_email_in_any_case_409(
    bus: CommandBus,
) -> None:
    email = unique_email()
    subject, data = _create(email)
    created = await _ask(bus, "CreateUser", subject, data)
    assert (created.status, created.http_status) == ("succeeded", 201)
    assert created.resource is not None
    assert (created.resource["id"], created.resource["email"]) == (data["user_id"], email)
    assert created.resource["status"] == "active"

    subject, again = _create(email.upper())
    refused = await _ask(bus, "CreateUser", subject, again)
    assert (refused.status, refused.http_status) == ("rejected", 409)
    assert refused.error is not None
    assert (refused.error.code, refused.error.field) == ("email_taken", "email")


async def test_the_read_model_shows_the_user_and_their_credentials(
    bus: CommandBus, endpoints: Endpoints
) -> None:
    email = unique_email().replace("it-", "It-")
    subject, data = _create(email)
    created = await _ask(bus, "CreateUser", subject, data)
    assert created.resource is not None
    await _read_model_has(endpoints.database_url, data["user_id"])
    [user] = await _user_rows(endpoints.database_url, data["user_id"])
    assert user[:5] == (email, email.lower(), "Integration Ada", ["member"], "active")
    # The row says what the reply said, to the microsecond.
    assert user[5] == datetime.fromisoformat(created.resource["created_at"])
    [credentials] = await _credential_rows(endpoints.database_url, data["user_id"])
    assert credentials == (email.lower(), HASH, 1, "active")


async def test_a_restarted_worker_catches_up_loses_nothing_and_duplicates_nothing(
    bus: CommandBus, worker: UsersWorker, endpoints: Endpoints
) -> None:
    database_url = endpoints.database_url
    before_email = unique_email()
    subject, before = _create(before_email)
    assert (await _ask(bus, "CreateUser", subject, before)).http_status == 201
    await _read_model_has(database_url, before["user_id"])

    await asyncio.to_thread(worker.stop)
    # Sent while nobody listens: the caller gets the command id to wait on.
    while_down_email = unique_email()
    subject, while_down = _create(while_down_email)
    command_id, outcome = await _send(bus, "CreateUser", subject, while_down, timeout_s=1.0)
    assert isinstance(outcome, Pending)

    # A fresh local store: the aggregates come back from their changelog.
    await asyncio.to_thread(worker.start, fresh_state=True)
    answered = await bus.wait(command_id, deadline=asyncio.get_running_loop().time() + 60)
    assert isinstance(answered, Completed) and answered.reply.http_status == 201
    await _read_model_has(database_url, while_down["user_id"])

    # The claim made before the restart still holds.
    subject, taken = _create(before_email)
    refused = await _ask(bus, "CreateUser", subject, taken)
    assert refused.error is not None and refused.error.code == "email_taken"

    for user_id in (before["user_id"], while_down["user_id"]):
        counted = await rows(
            database_url,
            "SELECT (SELECT count(*) FROM users.users WHERE id = %s),"
            " (SELECT count(*) FROM users.credentials WHERE user_id = %s)",
            user_id,
            user_id,
        )
        assert counted == [(1, 1)], user_id
    emails = await rows(
        database_url,
        "SELECT count(*) FROM users.users WHERE email_normalized IN (%s, %s)",
        before_email,
        while_down_email,
    )
    assert emails == [(2,)]


async def _signed_up(bus: CommandBus) -> str:
    subject, data = _create(unique_email())
    assert (await _ask(bus, "CreateUser", subject, data)).http_status == 201
    return str(data["user_id"])


def _start(user_id: str, family_id: str, first: str, version: int = 1) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "family_id": family_id,
        "refresh_token_hash": hash_token(first),
        "credentials_version": version,
        "client_ip": "127.0.0.1",
        "user_agent": "pytest-integration",
    }


def _refresh(user_id: str, family_id: str, presented: str, successor: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "family_id": family_id,
        "presented_token_hash": hash_token(presented),
        "new_token_hash": hash_token(successor),
    }


async def test_sessions_start_rotate_catch_reuse_and_end(bus: CommandBus) -> None:
    user_id = await _signed_up(bus)
    family_id = str(uuid.uuid4())
    first = token(user_id, family_id)

    started = await _ask(bus, "StartSession", user_id, _start(user_id, family_id, first))
    assert started.http_status == 201 and started.resource is not None
    assert (started.resource["family_id"], started.resource["roles"]) == (family_id, ["member"])

    second = token(user_id, family_id)
    rotated = await _ask(bus, "RefreshSession", user_id,
                         _refresh(user_id, family_id, first, second))
    assert rotated.http_status == 200

    reused = await _ask(bus, "RefreshSession", user_id,
                        _refresh(user_id, family_id, first, token(user_id, family_id)))
    assert reused.error is not None
    assert (reused.http_status, reused.error.code) == (401, "token_reuse_detected")
    dead = await _ask(bus, "RefreshSession", user_id,
                      _refresh(user_id, family_id, second, token(user_id, family_id)))
    assert dead.error is not None
    assert (dead.http_status, dead.error.code) == (401, "invalid_refresh_token")

    stale = await _ask(bus, "StartSession", user_id,
                       _start(user_id, str(uuid.uuid4()), token(user_id, family_id), 7))
    assert stale.error is not None
    assert (stale.http_status, stale.error.code) == (401, "invalid_credentials")

    other_family = str(uuid.uuid4())
    other_first = token(user_id, other_family)
    again = await _ask(bus, "StartSession", user_id, _start(user_id, other_family, other_first))
    assert again.http_status == 201
    ended = await _ask(bus, "EndAllSessions", user_id, {"user_id": user_id, "by": user_id})
    assert (ended.http_status, ended.resource) == (200, {"revoked": [other_family]})
    after = await _ask(bus, "RefreshSession", user_id,
                       _refresh(user_id, other_family, other_first, token(user_id, other_family)))
    assert after.error is not None and after.error.code == "invalid_refresh_token"
