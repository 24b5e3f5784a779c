"""The users projector against real Postgres: each event applied once, whatever is replayed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

import topics
from streams.envelope import Envelope, encode, new_envelope
from streams.pipeline import EventPipeline
from streams.records import Headers, Record
from streams.registry import default_registry
from tests.support.users_svc.worker_in_memory import HASH, OTHER_HASH
from tests.support.users_svc.worker_process import ensure_read_model, rows, unique_email
from users_svc.worker.projector import CREDENTIALS_APPLIERS, USER_EVENT_APPLIERS, UsersProjector

pytestmark = pytest.mark.integration
ADMIN = "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"


class _Nowhere:
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        raise AssertionError(f"the projector produced to {topic}")


@pytest.fixture(scope="module")
async def projector(database_url: str) -> AsyncIterator[UsersProjector]:
    await ensure_read_model(database_url)
    running = UsersProjector(database_url)
    yield running
    await running.stop()


def _pipelines(projector: UsersProjector) -> dict[str, EventPipeline]:
    def pipeline(spec: topics.TopicSpec, types: dict[str, Any]) -> EventPipeline:
        return EventPipeline(
            service=topics.USERS_SERVICE,
            topic=spec,
            handlers=dict.fromkeys(types, projector.project),
            registry=default_registry(),
            sender=_Nowhere(),
        )

    return {
        topics.USER_EVENTS.name: pipeline(topics.USER_EVENTS, USER_EVENT_APPLIERS),
        topics.USER_CREDENTIALS.name: pipeline(topics.USER_CREDENTIALS, CREDENTIALS_APPLIERS),
    }


def _event(topic: topics.TopicSpec, type_name: str, data: dict[str, Any], time: str) -> Envelope:
    entry = default_registry().latest(topic.name, type_name)
    envelope = new_envelope(
        source="/dafnck/users-svc", type=type_name, subject=data["user_id"],
        dataschema=entry.id, data=data,
    )
    envelope.time = time
    return envelope


async def _apply(pipelines: dict[str, EventPipeline], topic: str, envelope: Envelope) -> None:
    record = Record(topic, 0, 0, envelope.subject.encode(), encode(envelope), [])
    assert await pipelines[topic].process(record) == "handled"


async def test_replayed_events_change_the_read_model_once(
    projector: UsersProjector, database_url: str
) -> None:
    pipelines = _pipelines(projector)
    user_id, email = str(uuid.uuid4()), unique_email()
    events = topics.USER_EVENTS
    history = [
        _event(events, "UserCreated", {"user_id": user_id, "email": email,
               "display_name": "Ada", "roles": ["member"], "created_by": None},
               "2025-03-01T09:00:00.000001Z"),
        _event(events, "RoleAssigned", {"user_id": user_id, "role": "operator",
               "assigned_by": ADMIN}, "2025-03-01T09:01:00Z"),
        _event(events, "UserUpdated", {"user_id": user_id, "changes": {"display_name": "Ada K"},
               "updated_by": user_id}, "2025-03-01T09:02:00Z"),
        _event(events, "RoleRevoked", {"user_id": user_id, "role": "member",
               "revoked_by": ADMIN}, "2025-03-01T09:03:00Z"),
        _event(events, "UserDeactivated", {"user_id": user_id, "deactivated_by": ADMIN,
               "reason": "Left"}, "2025-03-01T09:04:00Z"),
    ]
    for _ in range(2):  # a replay from an older offset delivers it all again
        for envelope in history:
            await _apply(pipelines, events.name, envelope)
    [row] = await rows(
        database_url,
        "SELECT display_name, roles, status, created_at, updated_at"
        " FROM users.users WHERE id = %s",
        user_id,
    )
    # Times are the events' own (aware datetimes compare equal in any session time zone).
    assert row == (
        "Ada K",
        ["operator"],
        "deactivated",
        datetime(2025, 3, 1, 9, 0, 0, 1, tzinfo=UTC),
        datetime(2025, 3, 1, 9, 4, tzinfo=UTC),
    )
    applied = await rows(
        database_url,
        "SELECT count(*) FROM users.processed_events WHERE event_id = ANY(%s)",
        [e.id for e in history],
    )
    assert applied == [(len(history),)]


async def test_credentials_never_step_back_to_an_older_version(
    projector: UsersProjector, database_url: str
) -> None:
    pipelines = _pipelines(projector)
    user_id, email = str(uuid.uuid4()), unique_email()
    topic = topics.USER_CREDENTIALS

    def changed(version: int, password_hash: str, status: str) -> Envelope:
        data = {"user_id": user_id, "email_normalized": email, "password_hash": password_hash,
                "credentials_version": version, "status": status}
        return _event(topic, "CredentialsChanged", data, "2025-03-01T09:00:00Z")

    await _apply(pipelines, topic.name, changed(2, OTHER_HASH, "active"))
    await _apply(pipelines, topic.name, changed(1, HASH, "active"))  # compaction replay
    await _apply(pipelines, topic.name, changed(3, OTHER_HASH, "deactivated"))
    found = await rows(
        database_url,
        "SELECT password_hash, credentials_version, status FROM users.credentials"
        " WHERE user_id = %s",
        user_id,
    )
    assert found == [(OTHER_HASH, 3, "deactivated")]
