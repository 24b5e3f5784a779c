"""Service accounts, API keys and custom roles: projected into Postgres and queried by the edge."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

import topics
from streams.envelope import Envelope, encode, new_envelope
from streams.pipeline import EventPipeline
from streams.records import Headers, Record
from streams.registry import default_registry
from tests.support.users_svc.worker_process import ensure_read_model
from users_svc.api.readmodel import PgReadModel, UserQuery
from users_svc.worker.projector import CREDENTIALS_APPLIERS, USER_EVENT_APPLIERS, UsersProjector

pytestmark = pytest.mark.integration
ADMIN = "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"
HASH = hashlib.sha256(b"secret").hexdigest()


class _Nowhere:
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        raise AssertionError(f"the projector produced to {topic}")


@pytest.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[tuple[UsersProjector, PgReadModel]]:
    await ensure_read_model(database_url)
    projector, read_model = UsersProjector(database_url), PgReadModel(database_url)
    yield projector, read_model
    await projector.stop()
    await read_model.close()


async def _process(projector: UsersProjector, topic: topics.TopicSpec, envelope: Envelope) -> None:
    appliers = USER_EVENT_APPLIERS if topic is topics.USER_EVENTS else CREDENTIALS_APPLIERS
    pipeline = EventPipeline(
        service=topics.USERS_SERVICE, topic=topic,
        handlers=dict.fromkeys(appliers, projector.project), registry=default_registry(),
        sender=_Nowhere(),
    )
    record = Record(topic.name, 0, 0, envelope.subject.encode(), encode(envelope), [])
    assert await pipeline.process(record) == "handled"


async def _apply(
    projector: UsersProjector, topic: topics.TopicSpec, type_name: str, subject: str,
    data: dict[str, Any], time: str = "2025-03-01T09:00:00Z",
) -> Envelope:
    entry = default_registry().latest(topic.name, type_name)
    envelope = new_envelope(
        source="/dafnck/users-svc", type=type_name, subject=subject, dataschema=entry.id,
        data=data,
    )
    envelope.time = time
    await _process(projector, topic, envelope)
    return envelope


def _key_state(account: str, key_id: str, revoked_at: str | None) -> dict[str, Any]:
    return {
        "key_id": key_id, "user_id": account, "name": "host 7", "scopes": ["agents:read"],
        "secret_hash": HASH, "created_at": "2025-03-01T09:00:00+00:00", "expires_at": None,
        "revoked_at": revoked_at,
    }


async def test_a_service_account_and_its_keys_reach_the_read_model(
    world: tuple[UsersProjector, PgReadModel],
) -> None:
    projector, read_model = world
    account, key_id = str(uuid.uuid4()), uuid.uuid4().hex[:8]
    await _apply(projector, topics.USER_EVENTS, "ServiceAccountCreated", account,
                 {"user_id": account, "name": "ingest", "roles": ["operator"],
                  "created_by": ADMIN})
    issued = await _apply(projector, topics.USER_CREDENTIALS, "ApiKeyChanged",
                          f"apikey:{key_id}", _key_state(account, key_id, None))
    view = await read_model.user(account)
    assert view is not None and (view["kind"], view["email"]) == ("service", None)
    services = await read_model.users(UserQuery(limit=200, kind="service", role="operator"))
    assert account in [u["id"] for u in services.items]
    stored = await read_model.api_key(key_id)
    assert stored is not None and stored.owner_active and stored.owner_roles == ("operator",)
    assert stored.record.secret_hash == HASH and stored.record.revoked_at is None

    await _apply(projector, topics.USER_CREDENTIALS, "ApiKeyChanged", f"apikey:{key_id}",
                 _key_state(account, key_id, "2025-03-02T10:00:00+00:00"))
    # A compaction replay of the older state never un-revokes the key.
    await _process(projector, topics.USER_CREDENTIALS, replace(issued, id=str(uuid.uuid4())))
    [kept] = await read_model.api_keys_of(account)
    assert kept.prefix == key_id and kept.revoked_at is not None


async def test_an_unknown_key_id_is_none(world: tuple[UsersProjector, PgReadModel]) -> None:
    _, read_model = world
    assert await read_model.api_key("zz" + uuid.uuid4().hex[:6]) is None


async def test_custom_roles_come_and_go_with_their_events(
    world: tuple[UsersProjector, PgReadModel],
) -> None:
    projector, read_model = world
    name = f"r-{uuid.uuid4().hex[:10]}"
    data = {"name": name, "permissions": ["tasks:*", "users:read"], "description": "e2e",
            "defined_by": ADMIN}
    await _apply(projector, topics.USER_EVENTS, "RoleDefined", f"role:{name}", data)
    [row] = [r for r in await read_model.custom_roles() if r.name == name]
    assert row.permissions == ("tasks:*", "users:read") and row.defined_by == ADMIN
    await _apply(projector, topics.USER_EVENTS, "RoleDeleted", f"role:{name}",
                 {"name": name, "deleted_by": ADMIN})
    assert name not in {r.name for r in await read_model.custom_roles()}
