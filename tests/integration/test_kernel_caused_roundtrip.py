"""What a command caused, through a real worker and Kafka, back to the edge's CommandBus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from streams.commands import CommandBus, Completed
from streams.commands.caused import CAUSED_HEADER, decode_caused
from tests.support.streams import command_worker as cw
from tests.support.streams.harness import headers_of, read_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def run(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[cw.CommandRun]:
    """A running command worker on the module's own topics."""
    async with cw.command_run(kafka_bootstrap, tmp_path_factory.mktemp("caused")) as run:
        yield run


async def test_the_bus_hears_what_a_success_caused(run: cw.CommandRun, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    bus = CommandBus(
        run.bootstrap,
        redis,
        replies=[cw.replies_topic(run.prefix)],
        registry=run.registry,
        timeout_s=20.0,
    )
    try:
        async with bus:
            name = f"thing-{uuid.uuid4().hex[:8]}"
            spec = cw.commands_topic(run.prefix)
            command = bus.build(spec, cw.CREATE_THING, name, {"name": name})
            outcome = await bus.send(spec, command)
            # The status record keeps it too, so a later wait (Idempotency-Key replay) can.
            known = await bus.status(command.id)
            replayed = await bus.wait(command.id)
    finally:
        await redis.aclose()
    assert isinstance(outcome, Completed) and outcome.reply.status == "succeeded"
    # The test worker emits no event besides its reply: it caused nothing, and says so.
    assert outcome.caused.causationid == command.id
    assert dict(outcome.caused) == {}
    assert known is not None and known.caused.causationid == command.id
    assert isinstance(replayed, Completed) and replayed.caused.causationid == command.id

    topic = cw.replies_topic(run.prefix).name
    [record] = [
        r
        for r in await read_until(
            run.bootstrap, topic, lambda rs: any(r.key == command.id.encode() for r in rs)
        )
        if r.key == command.id.encode()
    ]
    assert CAUSED_HEADER in headers_of(record)
    assert decode_caused(list(record.headers)).causationid == command.id
