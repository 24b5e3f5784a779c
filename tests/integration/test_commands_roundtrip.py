"""Commands over Kafka end to end: HTTP → command topic → a real worker → reply → HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from streams import deadletter
from streams.envelope import Envelope, decode, encode
from streams.producer import EventPublisher
from tests.support.streams import command_worker as cw
from tests.support.streams.harness import headers_of, read_until

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def run(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[cw.CommandRun]:
    """A running command worker on the module's own topics."""
    async with cw.command_run(kafka_bootstrap, tmp_path_factory.mktemp("commands")) as run:
        yield run


@pytest.fixture(scope="module")
async def client(run: cw.CommandRun, redis_url: str) -> AsyncIterator[TestClient]:
    """The edge, its CommandBus reading the run's replies topic."""
    async with cw.edge_client(run, redis_url, timeout_s=20.0) as client:
        yield client


def _name() -> str:
    return f"thing-{uuid.uuid4().hex[:8]}"


async def _records(run: cw.CommandRun, topic: str, done: Any) -> list[Envelope]:
    return [decode(r.value) for r in await read_until(run.bootstrap, topic, done)]


async def _replies_to(run: cw.CommandRun, command_id: str, at_least: int = 1) -> list[Any]:
    def mine(rs: list[Any]) -> list[Any]:
        return [r for r in rs if r.key == command_id.encode()]

    topic = cw.replies_topic(run.prefix).name
    return mine(await read_until(run.bootstrap, topic, lambda rs: len(mine(rs)) >= at_least))


async def test_create_answers_201_with_the_resource_and_carries_caller_context(
    run: cw.CommandRun, client: TestClient
) -> None:
    name = _name()
    headers = {"X-Correlation-Id": "corr-create-1", "X-Test-Principal": "user-1"}
    response = await client.post("/things", json={"name": name}, headers=headers)
    assert response.status == 201, await response.text()
    resource = await response.json()
    assert resource["name"] == name and uuid.UUID(resource["id"])
    command_id = response.headers["X-Command-Id"]

    [record] = await _replies_to(run, command_id)
    reply = decode(record.value)
    assert reply.type == "CommandSucceeded"
    assert reply.subject == command_id and reply.causationid == command_id
    assert (reply.correlationid, reply.actor) == ("corr-create-1", "user-1")
    assert reply.data["resource"] == resource and reply.data["http_status"] == 201
    commands = await _records(
        run,
        cw.commands_topic(run.prefix).name,
        lambda rs: any(decode(r.value).id == command_id for r in rs),
    )
    [command] = [c for c in commands if c.id == command_id]
    assert (command.subject, command.correlationid, command.actor) == (
        name,
        "corr-create-1",
        "user-1",
    )

    status = await client.get(f"/api/commands/{command_id}", headers={"X-Test-Principal": "user-1"})
    assert status.status == 200
    body = await status.json()
    assert (body["status"], body["http_status"], body["resource"]) == ("succeeded", 201, resource)
    # Someone else's command is not theirs to read.
    other = await client.get(f"/api/commands/{command_id}", headers={"X-Test-Principal": "user-2"})
    assert other.status == 404


async def test_a_taken_name_is_rejected_409_naming_the_field_and_changes_nothing(
    run: cw.CommandRun, client: TestClient
) -> None:
    name = _name()
    first = await client.post("/things", json={"name": name})
    assert first.status == 201
    second = await client.post("/things", json={"name": name})
    assert second.status == 409
    assert second.content_type == PROBLEM
    problem = await second.json()
    assert (problem["status"], problem["code"], problem["field"]) == (409, "name_taken", "name")
    assert name in problem["detail"]
    assert problem["command_id"] == second.headers["X-Command-Id"]
    thing = run.things()[name]
    assert thing["state"] == await first.json()  # the refused command left the thing alone
    assert thing["commands"] == 2


async def test_invalid_command_data_is_refused_at_the_edge_naming_the_field(
    client: TestClient,
) -> None:
    response = await client.post("/things", json={"name": ""})
    assert response.status == 422 and response.content_type == PROBLEM
    problem = await response.json()
    assert (problem["code"], problem["field"]) == ("invalid_command", "name")
    assert "X-Command-Id" not in response.headers  # nothing was sent


async def test_an_invalid_command_envelope_is_dead_lettered_and_answered_rejected(
    run: cw.CommandRun,
) -> None:
    spec = cw.commands_topic(run.prefix)
    name = _name()
    async with EventPublisher(run.bootstrap, source="/it", registry=run.registry) as pub:
        bad = pub.build(spec, cw.CREATE_THING, {"name": name}, subject=name)
        bad.data = {"name": 42}
        await pub.send_raw(spec.name, encode(bad), key=name.encode())
        good = pub.build(spec, cw.CREATE_THING, {"name": name}, subject=name)
        await pub.publish(spec, good)  # same key, so handled after the bad one

    def dead(rs: list[Any]) -> list[Any]:
        return [r for r in rs if r.key == name.encode()]

    [record] = dead(await read_until(run.bootstrap, spec.dlq, lambda rs: bool(dead(rs))))
    assert headers_of(record)[deadletter.REASON] == deadletter.SCHEMA_INVALID
    assert decode(record.value).id == bad.id
    # Its caller is owed an answer: rejected, with the dead-letter reason and the field.
    [answer] = await _replies_to(run, bad.id)
    rejected = decode(answer.value)
    assert rejected.type == "CommandRejected" and rejected.causationid == bad.id
    assert rejected.data["status"] == "rejected" and rejected.data["http_status"] == 422
    assert rejected.data["error"]["code"] == "schema_invalid"
    assert rejected.data["error"]["field"] == "name"
    # The good one after it is carried out as usual.
    [ok] = await _replies_to(run, good.id)
    assert decode(ok.value).type == "CommandSucceeded"
