"""Exactly one effect per command: Idempotency-Key retries and redelivered commands."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from aiokafka.errors import KafkaConnectionError

from streams.envelope import decode
from streams.http.commands import COMMANDS
from streams.producer import EventPublisher
from tests.support.streams import command_worker as cw
from tests.support.streams.harness import read_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def run(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[cw.CommandRun]:
    """A running command worker on the module's own topics."""
    async with cw.command_run(kafka_bootstrap, tmp_path_factory.mktemp("idem")) as run:
        yield run


@pytest.fixture(scope="module")
async def client(run: cw.CommandRun, redis_url: str) -> AsyncIterator[TestClient]:
    """The edge, its CommandBus reading the run's replies topic."""
    async with cw.edge_client(run, redis_url, timeout_s=20.0) as client:
        yield client


def _name() -> str:
    return f"thing-{uuid.uuid4().hex[:8]}"


def _keyed(records: list[Any], key: str) -> list[Any]:
    return [r for r in records if r.key == key.encode()]


async def test_retries_with_one_key_return_the_first_result_and_send_nothing_new(
    run: cw.CommandRun, client: TestClient
) -> None:
    name = _name()
    headers = {"Idempotency-Key": str(uuid.uuid4()), "X-Test-Principal": "user-1"}
    # Two first attempts racing, then retries of the same body spelled differently.
    racing = await asyncio.gather(
        *(client.post("/things", json={"name": name}, headers=headers) for _ in range(2))
    )
    spaced = f'{{ "name" :  "{name}" }}'
    retries = [
        await client.post(
            "/things", data=spaced, headers={**headers, "Content-Type": "application/json"}
        )
        for _ in range(2)
    ]
    answers = [*racing, *retries]
    assert [r.status for r in answers] == [201] * 4
    assert len({r.headers["X-Command-Id"] for r in answers}) == 1
    bodies = [await r.json() for r in answers]
    assert all(b == bodies[0] for b in bodies) and bodies[0]["name"] == name
    command_id = answers[0].headers["X-Command-Id"]

    # A keyless command for the same thing, handled after anything the retries could have
    # sent (same key, same partition): it is refused, and it is only the second command.
    fence = await client.post("/things", json={"name": name}, headers={"X-Test-Principal": "u"})
    assert fence.status == 409
    fence_id = fence.headers["X-Command-Id"]
    assert run.things()[name] == {"state": bodies[0], "commands": 2}
    commands = _keyed(
        await read_until(
            run.bootstrap,
            cw.commands_topic(run.prefix).name,
            lambda rs: any(decode(r.value).id == fence_id for r in rs),
        ),
        name,
    )
    assert [decode(r.value).id for r in commands] == [command_id, fence_id]
    replies = await read_until(
        run.bootstrap, cw.replies_topic(run.prefix).name, lambda rs: bool(_keyed(rs, fence_id))
    )
    assert len(_keyed(replies, command_id)) == 1


async def test_one_key_with_a_different_body_is_refused_422(
    run: cw.CommandRun, client: TestClient
) -> None:
    key = str(uuid.uuid4())
    name = _name()
    first = await client.post(
        "/things", json={"name": name}, headers={"Idempotency-Key": key, "X-Test-Principal": "u1"}
    )
    assert first.status == 201
    other = await client.post(
        "/things",
        json={"name": _name()},
        headers={"Idempotency-Key": key, "X-Test-Principal": "u1"},
    )
    assert other.status == 422 and other.content_type == "application/problem+json"
    problem = await other.json()
    assert problem["code"] == "idempotency_key_reused"
    assert problem["command_id"] == first.headers["X-Command-Id"]
    # Keys belong to their principal: another caller's same key is a new command.
    theirs = await client.post(
        "/things", json={"name": name}, headers={"Idempotency-Key": key, "X-Test-Principal": "u2"}
    )
    assert theirs.status == 409
    assert theirs.headers["X-Command-Id"] != first.headers["X-Command-Id"]


async def test_a_redelivered_command_re_sends_the_same_reply_and_applies_once(
    run: cw.CommandRun,
) -> None:
    spec = cw.commands_topic(run.prefix)
    name = _name()
    async with EventPublisher(run.bootstrap, source="/it", registry=run.registry) as pub:
        command = pub.build(spec, cw.CREATE_THING, {"name": name}, subject=name)
        await pub.publish(spec, command)
        await pub.publish(spec, command)  # the same command again, as after a producer retry

    records = await read_until(
        run.bootstrap,
        cw.replies_topic(run.prefix).name,
        lambda rs: len(_keyed(rs, command.id)) >= 2,
    )
    replies = [decode(r.value) for r in _keyed(records, command.id)]
    assert len(replies) == 2
    assert replies[0].id == replies[1].id
    assert orjson.dumps(replies[0].data) == orjson.dumps(replies[1].data)
    assert replies[0].data["status"] == "succeeded"
    assert run.things()[name]["commands"] == 1


async def test_a_command_that_could_not_be_sent_is_503_and_a_retry_sends_it_once(
    run: cw.CommandRun, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = client.app[COMMANDS].bus
    real_send = bus.publisher.send_soon

    async def broker_down(*args: Any, **kwargs: Any) -> Any:
        raise KafkaConnectionError("broker unreachable")

    monkeypatch.setattr(bus.publisher, "send_soon", broker_down)
    name = _name()
    headers = {"Idempotency-Key": str(uuid.uuid4()), "X-Test-Principal": "u1"}
    down = await client.post("/things", json={"name": name}, headers=headers)
    assert down.status == 503 and down.headers["Retry-After"]
    assert (await down.json())["code"] == "commands_unavailable"

    monkeypatch.setattr(bus.publisher, "send_soon", real_send)
    retry = await client.post("/things", json={"name": name}, headers=headers)
    assert retry.status == 201  # the key was released: the retry is sent, not "pending"
    assert run.things()[name]["commands"] == 1
