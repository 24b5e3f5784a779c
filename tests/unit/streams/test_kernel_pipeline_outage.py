"""A handler that meets Postgres or Redis down waits the outage out; it is not poison."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg2
import pytest
from psycopg2.extensions import QueryCanceledError
from redis.exceptions import ConnectionError as RedisConnectionError

import topics
from schemas import SCHEMA_ROOT
from streams.context import HandlerContext
from streams.envelope import new_envelope
from streams.pipeline import EventPipeline
from streams.readmodel_pool import ReadModelUnavailable
from streams.records import Headers, Record
from streams.registry import SchemaRegistry
from streams.settings import RetryPolicy

REGISTRY = SchemaRegistry()
EXAMPLE: dict[str, Any] = orjson.loads(
    (SCHEMA_ROOT / "agent-events/AgentCreated/v1.json").read_bytes()
)["examples"][0]
AGENT_ID = EXAMPLE["agent_id"]


@dataclass
class World:
    failures: list[BaseException]
    sent: list[str] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    calls: int = 0

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append(topic)

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)

    async def handler(self, ctx: HandlerContext) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)

    def pipeline(self) -> EventPipeline:
        return EventPipeline(
            service="agents-svc",
            topic=topics.AGENT_EVENTS,
            handlers={"AgentCreated": self.handler},
            registry=REGISTRY,
            sender=self,
            retry=RetryPolicy(attempts=3, initial_backoff_s=0.1, max_backoff_s=2.0),
            sleep=self.sleep,
        )


def _record() -> Record:
    envelope = new_envelope(
        source="/test",
        type="AgentCreated",
        subject=AGENT_ID,
        dataschema="urn:dafnck:schema:agent-events/AgentCreated/v1",
        data=dict(EXAMPLE),
    )
    return Record("agent-events", 0, 1, AGENT_ID.encode(), orjson.dumps(envelope.to_dict()), [])


def _wrapped_pg() -> ReadModelUnavailable:
    try:
        raise psycopg2.OperationalError("connection refused")
    except psycopg2.OperationalError as exc:
        try:
            raise ReadModelUnavailable("postgres") from exc
        except ReadModelUnavailable as outer:
            return outer


@pytest.mark.parametrize(
    "outage",
    [
        psycopg2.OperationalError("Connection refused"),
        psycopg2.InterfaceError("connection already closed"),
        RedisConnectionError("Connection refused"),
        _wrapped_pg(),
    ],
    ids=["pg-refused", "pg-closed", "redis-refused", "read-model"],
)
async def test_a_long_outage_is_waited_out_and_the_record_handled(outage: BaseException) -> None:
    world = World([outage] * 25)  # far more than the three attempts a faulty record gets

    assert await world.pipeline().process(_record()) == "handled"

    assert world.calls == 26
    assert not [t for t in world.sent if t.endswith(".dlq")]
    assert max(world.delays) == 2.0  # backing off, capped


async def test_an_outage_then_a_fault_still_gets_its_three_attempts() -> None:
    outage = psycopg2.OperationalError("Connection refused")
    world = World([outage, outage, RuntimeError("bug"), RuntimeError("bug"), RuntimeError("bug")])

    assert await world.pipeline().process(_record()) == "dead-lettered"

    assert world.calls == 5 and world.sent == ["agent-events.dlq"]


@pytest.mark.parametrize(
    "fault",
    [RuntimeError("bug"), QueryCanceledError("statement timeout")],
    ids=["bug", "query-cancelled"],
)
async def test_a_fault_is_dead_lettered_after_its_attempts(fault: BaseException) -> None:
    world = World([fault] * 10)

    assert await world.pipeline().process(_record()) == "dead-lettered"

    assert world.calls == 3 and world.sent == ["agent-events.dlq"]
