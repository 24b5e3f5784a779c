"""Typed payloads: a handler that opts in gets its data as a Struct, decoded once after
validation; other handlers still get a dict; invalid data is still dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson
import pytest

import topics
from schemas import SCHEMA_ROOT
from schemas.models.structs import AgentCreated, AgentStatusChanged
from streams import deadletter
from streams.aggregates import AggregateStore
from streams.context import HandlerContext
from streams.envelope import encode, new_envelope
from streams.payloads import PayloadTypes, TypedContext, typed
from streams.pipeline import EventPipeline, Handler
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry

REGISTRY = SchemaRegistry()


def _example(type_name: str) -> dict[str, Any]:
    path = SCHEMA_ROOT / "agent-events" / type_name / "v1.json"
    return dict(orjson.loads(path.read_bytes())["examples"][-1])


CREATED = _example("AgentCreated")
STATUS = _example("AgentStatusChanged")


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, value, list(headers)))


async def _no_sleep(_seconds: float) -> None:
    return None


def _pipeline(
    handlers: dict[str, Handler], payloads: PayloadTypes | None = None
) -> tuple[EventPipeline, FakeSender]:
    sender = FakeSender()
    pipeline = EventPipeline(
        service="agents-svc",
        topic=topics.AGENT_EVENTS,
        handlers=handlers,
        registry=REGISTRY,
        sender=sender,
        aggregates=AggregateStore({}),
        sleep=_no_sleep,
        payloads=payloads,
    )
    return pipeline, sender


def _record(type_name: str, data: dict[str, Any]) -> Record:
    envelope = new_envelope(
        source="/test",
        type=type_name,
        subject=data["agent_id"],
        dataschema=f"urn:dafnck:schema:agent-events/{type_name}/v1",
        data=data,
    )
    return Record("agent-events", 0, 1, data["agent_id"].encode(), encode(envelope), [])


async def test_a_valid_payload_arrives_typed() -> None:
    seen: list[Any] = []

    async def on_created(ctx: TypedContext[AgentCreated]) -> None:
        seen.append(ctx.payload)

    pipeline, _ = _pipeline({"AgentCreated": typed(on_created)})
    assert await pipeline.process(_record("AgentCreated", CREATED)) == "handled"
    [payload] = seen
    assert isinstance(payload, AgentCreated)
    assert payload.name == CREATED["name"] and payload.capacity == CREATED["capacity"]
    assert msgspec.to_builtins(payload) == CREATED


async def test_a_wire_name_that_is_a_keyword_reads_with_an_underscore() -> None:
    seen: list[AgentStatusChanged] = []

    async def on_status(ctx: TypedContext[AgentStatusChanged]) -> None:
        seen.append(ctx.payload)

    pipeline, _ = _pipeline({"AgentStatusChanged": typed(on_status)})
    assert await pipeline.process(_record("AgentStatusChanged", STATUS)) == "handled"
    assert (seen[0].from_, seen[0].to) == (STATUS["from"], STATUS["to"])


async def test_a_handler_not_opted_in_still_gets_a_dict() -> None:
    contexts: list[HandlerContext] = []

    async def on_created(ctx: HandlerContext) -> None:
        contexts.append(ctx)

    async def on_status(ctx: TypedContext[AgentStatusChanged]) -> None:
        contexts.append(ctx)

    pipeline, _ = _pipeline({"AgentCreated": on_created, "AgentStatusChanged": typed(on_status)})
    assert await pipeline.process(_record("AgentCreated", CREATED)) == "handled"
    [ctx] = contexts
    assert type(ctx) is HandlerContext
    assert isinstance(ctx.data, dict) and ctx.data == CREATED


async def test_invalid_data_is_dead_lettered_before_any_decode() -> None:
    called: list[str] = []

    async def on_created(ctx: TypedContext[AgentCreated]) -> None:
        called.append(ctx.envelope.id)

    pipeline, sender = _pipeline({"AgentCreated": typed(on_created)})
    record = _record("AgentCreated", {**CREATED, "capacity": "lots"})
    assert await pipeline.process(record) == "dead-lettered"
    [(topic, value, headers)] = sender.sent
    assert topic == "agent-events.dlq" and value == record.value
    assert header(headers, deadletter.REASON) == deadletter.SCHEMA_INVALID
    assert header(headers, deadletter.PATH) == "$.data.capacity"
    assert called == []


async def test_data_its_struct_refuses_is_dead_lettered() -> None:
    # Valid against the schema, refused by a Struct that drifted from it.
    class Drifted(msgspec.Struct, frozen=True, kw_only=True):
        agent_id: str
        capacity: str

    called: list[str] = []

    async def on_created(ctx: TypedContext[Drifted]) -> None:
        called.append(ctx.envelope.id)

    payloads = PayloadTypes({("AgentCreated", 1): Drifted})
    pipeline, sender = _pipeline({"AgentCreated": typed(on_created)}, payloads)
    assert await pipeline.process(_record("AgentCreated", CREATED)) == "dead-lettered"
    [(_, _, headers)] = sender.sent
    assert header(headers, deadletter.REASON) == deadletter.SCHEMA_INVALID
    assert "payload type refused" in (header(headers, deadletter.DETAIL) or "")
    assert called == []


async def test_the_payload_is_decoded_once_for_every_attempt() -> None:
    seen: list[AgentCreated] = []

    async def flaky(ctx: TypedContext[AgentCreated]) -> None:
        seen.append(ctx.payload)
        if len(seen) == 1:
            raise RuntimeError("transient")

    pipeline, _ = _pipeline({"AgentCreated": typed(flaky)})
    assert await pipeline.process(_record("AgentCreated", CREATED)) == "handled"
    assert len(seen) == 2 and seen[0] is seen[1]


def test_a_typed_handler_for_a_type_without_a_struct_is_refused_at_once() -> None:
    async def on_created(ctx: TypedContext[AgentCreated]) -> None:
        return None

    with pytest.raises(ValueError, match="AgentCreated"):
        _pipeline({"AgentCreated": typed(on_created)}, PayloadTypes())


def test_a_typed_handler_refuses_a_plain_context() -> None:
    async def on_created(ctx: TypedContext[AgentCreated]) -> None:
        return None

    ctx = HandlerContext.__new__(HandlerContext)
    with pytest.raises(TypeError, match="typed payload"):
        typed(on_created)(ctx)

