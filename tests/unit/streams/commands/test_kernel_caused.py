"""A success reply says what its command caused (``dafnck-caused``); the edge reads it back."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from schemas import schema_id
from streams.aggregates import AggregateStore
from streams.commands import Rejection, reply_schemas, replying, succeed
from streams.commands.caused import (
    CAUSED_HEADER,
    NOTHING,
    Caused,
    decode_caused,
    encode_caused,
)
from streams.commands.listener import ReplyListener
from streams.context import HandlerContext
from streams.envelope import Envelope, decode, encode, new_envelope
from streams.pipeline import EventPipeline, Handler
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry
from streams.settings import RetryPolicy
from topics import Compatibility, TopicKind, TopicSpec

SERVICE = "things-svc"


def _spec(name: str, kind: TopicKind, owner: str, types: tuple[str, ...]) -> TopicSpec:
    groups = (SERVICE,) if kind is TopicKind.COMMANDS else ()
    return TopicSpec(
        name, kind, 2, 1, 3_600_000, "delete", "key", owner, types, groups, Compatibility.BACKWARD
    )


COMMANDS = _spec("thing-commands", TopicKind.COMMANDS, "edge", ("CreateThing",))
REPLIES = _spec("thing-replies", TopicKind.EVENTS, SERVICE, ("CommandSucceeded", "CommandRejected"))
EVENTS = _spec("thing-events", TopicKind.EVENTS, SERVICE, ("ThingCreated", "ThingAudited"))
LOG = _spec("thing-log", TopicKind.EVENTS, SERVICE, ("ThingCreated",))
NAMED = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}},
}


def _write(root: Path, topic: str, type_name: str, schema: dict[str, Any]) -> None:
    path = root / topic / type_name / "v1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**schema, "$id": schema_id(topic, type_name, 1)}))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    root = tmp_path_factory.mktemp("schemas")
    _write(root, COMMANDS.name, "CreateThing", NAMED)
    for topic, type_name in (
        (EVENTS, "ThingCreated"),
        (EVENTS, "ThingAudited"),
        (LOG, "ThingCreated"),
    ):
        _write(root, topic.name, type_name, NAMED)
    for type_name, schema in reply_schemas(REPLIES.name).items():
        _write(root, REPLIES.name, type_name, schema)
    return SchemaRegistry(root)


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes | None, bytes, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, key, value, list(headers)))

    def replies(self) -> list[tuple[Envelope, Headers]]:
        return [(decode(v), h) for t, _k, v, h in self.sent if t == REPLIES.name]


async def create_thing(ctx: HandlerContext) -> None:
    name = ctx.data["name"]
    if name == "taken":
        ctx.emit(EVENTS, "ThingCreated", name, {"name": name})  # undone by the refusal
        raise Rejection(409, "name_taken", f"{name} exists", field="name")
    ctx.emit(EVENTS, "ThingCreated", name, {"name": name})
    ctx.emit(EVENTS, "ThingAudited", name, {"name": name})
    ctx.emit(LOG, "ThingCreated", name, {"name": name})
    succeed(ctx, {"name": name}, topic=REPLIES)


def _pipeline(
    registry: SchemaRegistry, handler: Handler, table: dict[str, Any]
) -> tuple[EventPipeline, FakeSender]:
    sender = FakeSender()
    pipeline = EventPipeline(
        service=SERVICE,
        topic=COMMANDS,
        handlers={"CreateThing": handler},
        registry=registry,
        sender=sender,
        aggregates=AggregateStore(table),
        replies=REPLIES,
    )
    return pipeline, sender


def _command(registry: SchemaRegistry, name: str) -> tuple[Envelope, Record]:
    envelope = new_envelope(
        source="/edge",
        type="CreateThing",
        subject=name,
        dataschema=registry.latest(COMMANDS.name, "CreateThing").id,
        data={"name": name},
    )
    return envelope, Record(COMMANDS.name, 0, 0, name.encode(), encode(envelope), [])


def test_the_header_round_trips_and_counts_per_topic_and_type() -> None:
    caused = Caused(
        "c-1", {"thing-events": {"ThingCreated": 1, "ThingAudited": 2}, "thing-log": {"X": 1}}
    )
    back = decode_caused([(CAUSED_HEADER, encode_caused(caused))])
    assert back == caused
    assert dict(back) == {"thing-events": 3, "thing-log": 1}  # a Mapping: topic -> count
    assert back.count({"thing-events": {"ThingCreated"}}) == 1
    assert back.count({"thing-events": {"ThingCreated", "ThingAudited"}, "other": {"X"}}) == 3


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("traceparent", b"00-x")],
        [(CAUSED_HEADER, b"not json")],
        [(CAUSED_HEADER, b'{"causationid": 1, "events": {}}')],
        [(CAUSED_HEADER, b'{"causationid": "c", "events": {"t": {"T": -1}}}')],
        [(CAUSED_HEADER, b'{"causationid": "c", "events": {"t": ["T"]}}')],
    ],
)
def test_an_absent_or_unreadable_header_caused_nothing(headers: Headers) -> None:
    caused = decode_caused(headers)
    assert caused is NOTHING and dict(caused) == {} and caused.causationid is None


async def test_a_success_reply_counts_the_events_the_same_handler_emitted(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES), {})
    command, record = _command(registry, "alpha")
    assert await pipeline.process(record) == "handled"
    [(reply, headers)] = sender.replies()
    caused = decode_caused(headers)
    assert caused.causationid == command.id == reply.causationid
    assert caused.by_type == {
        "thing-events": {"ThingCreated": 1, "ThingAudited": 1},
        "thing-log": {"ThingCreated": 1},
    }
    events = [h for t, _k, _v, h in sender.sent if t != REPLIES.name]
    assert len(events) == 3 and all(header(h, CAUSED_HEADER) is None for h in events)


async def test_a_redelivered_command_re_sends_the_reply_with_the_same_header(
    registry: SchemaRegistry,
) -> None:
    table: dict[str, Any] = {}
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES), table)
    _command_env, record = _command(registry, "beta")
    await pipeline.process(record)
    again, resent = _pipeline(registry, replying(create_thing, topic=REPLIES), table)
    assert await again.process(record) == "duplicate"
    [(first, h1)] = sender.replies()
    [(second, h2)] = resent.replies()
    assert first.id == second.id
    assert header(h1, CAUSED_HEADER) == header(h2, CAUSED_HEADER) is not None


async def test_a_rejection_causes_nothing(registry: SchemaRegistry) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES), {})
    _env, record = _command(registry, "taken")
    await pipeline.process(record)
    [(reply, headers)] = sender.replies()
    assert reply.type == "CommandRejected"
    assert header(headers, CAUSED_HEADER) is None
    assert len(sender.sent) == 1  # the refused event is gone too


async def test_a_dead_lettered_command_is_answered_without_a_caused_header(
    registry: SchemaRegistry,
) -> None:
    async def broken(ctx: HandlerContext) -> None:
        ctx.emit(EVENTS, "ThingCreated", "x", {"name": "x"})
        raise ValueError("boom")

    pipeline, sender = _pipeline(registry, broken, {})
    pipeline.retry = RetryPolicy(attempts=1)
    _env, record = _command(registry, "gamma")
    assert await pipeline.process(record) == "dead-lettered"
    [(reply, headers)] = sender.replies()
    assert reply.type == "CommandRejected"
    assert decode_caused(headers) is NOTHING


def _consumed(envelope: Envelope, headers: Headers) -> Any:
    return SimpleNamespace(
        topic=REPLIES.name, offset=0, value=encode(envelope), headers=tuple(headers)
    )


async def test_the_listener_resolves_waiters_with_what_the_command_caused(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES), {})
    command, record = _command(registry, "delta")
    await pipeline.process(record)
    [(reply_env, headers)] = sender.replies()

    async def recorded(_envelope: Envelope, _reply: object) -> None:
        return None

    listener = ReplyListener("unused:9092", [REPLIES.name], recorded)
    waiter = listener.expect(command.id)
    await listener._handle(_consumed(reply_env, headers))
    reply, caused = await asyncio.wait_for(waiter, 1)
    assert reply.command_id == command.id and caused["thing-events"] == 2

    # An older worker's reply (no header): answered, nothing known to wait for.
    waiter = listener.expect(command.id)
    await listener._handle(_consumed(reply_env, []))
    _reply, caused = await asyncio.wait_for(waiter, 1)
    assert caused is NOTHING
