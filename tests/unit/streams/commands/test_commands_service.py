"""A command handler's replies through the real pipeline (in memory: no Kafka, no Faust)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from schemas import schema_id
from streams import deadletter
from streams.aggregates import AggregateStore
from streams.commands import (
    Rejection,
    ReplyError,
    reject,
    reply,
    reply_schemas,
    replying,
    succeed,
)
from streams.context import HandlerContext
from streams.envelope import Envelope, decode, encode, new_envelope
from streams.pipeline import EventPipeline, Handler
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry
from topics import Compatibility, TopicKind, TopicSpec

SERVICE = "things-svc"


def _spec(name: str, kind: TopicKind, owner: str, types: tuple[str, ...]) -> TopicSpec:
    groups = (SERVICE,) if kind is TopicKind.COMMANDS else ()
    return TopicSpec(
        name, kind, 2, 1, 3_600_000, "delete", "key", owner, types, groups, Compatibility.BACKWARD
    )


COMMANDS = _spec("thing-commands", TopicKind.COMMANDS, "edge", ("CreateThing",))
REPLIES = _spec("thing-replies", TopicKind.EVENTS, SERVICE, ("CommandSucceeded", "CommandRejected"))
EVENTS = _spec("thing-events", TopicKind.EVENTS, SERVICE, ("ThingCreated",))


def _write(root: Path, topic: str, type_name: str, schema: dict) -> None:
    path = root / topic / type_name / "v1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**schema, "$id": schema_id(topic, type_name, 1)}))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    root = tmp_path_factory.mktemp("schemas")
    named = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1}},
    }
    _write(root, COMMANDS.name, "CreateThing", named)
    _write(root, EVENTS.name, "ThingCreated", named)
    for type_name, schema in reply_schemas(REPLIES.name).items():
        _write(root, REPLIES.name, type_name, schema)
    return SchemaRegistry(root)


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes | None, bytes, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, key, value, list(headers)))

    def on(self, topic: str) -> list[Envelope]:
        return [decode(value) for t, _k, value, _h in self.sent if t == topic]


async def create_thing(ctx: HandlerContext) -> None:
    name = ctx.data["name"]
    ctx.emit(EVENTS, "ThingCreated", ctx.envelope.subject, {"name": name})
    if ctx.state is not None:
        raise Rejection(409, "name_taken", f"{name} exists", field="name")
    ctx.state = {"name": name}
    succeed(ctx, {"name": name}, http_status=201, topic=REPLIES)


def _pipeline(
    registry: SchemaRegistry, handler: Handler, table: dict | None = None
) -> tuple[EventPipeline, FakeSender]:
    sender = FakeSender()
    store = AggregateStore({} if table is None else table)
    pipeline = EventPipeline(
        service=SERVICE,
        topic=COMMANDS,
        handlers={"CreateThing": handler},
        registry=registry,
        sender=sender,
        aggregates=store,
    )
    return pipeline, sender


def _command(registry: SchemaRegistry, name: str = "alpha", data: dict | None = None) -> Record:
    envelope = new_envelope(
        source="/edge",
        type="CreateThing",
        subject=name,
        dataschema=registry.latest(COMMANDS.name, "CreateThing").id,
        data={"name": name} if data is None else data,
        correlationid="corr-1",
        actor="user-1",
    )
    return Record(COMMANDS.name, 0, 0, name.encode(), encode(envelope), [])


async def test_a_success_reply_is_keyed_by_the_command_and_carries_its_context(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES))
    record = _command(registry)
    assert await pipeline.process(record) == "handled"
    command = decode(record.value)
    [reply_] = sender.on(REPLIES.name)
    [(_topic, key, _v, _h)] = [s for s in sender.sent if s[0] == REPLIES.name]
    assert key == command.id.encode() and reply_.subject == command.id
    assert (reply_.causationid, reply_.correlationid, reply_.actor) == (
        command.id,
        "corr-1",
        "user-1",
    )
    assert reply_.type == "CommandSucceeded"
    assert reply_.data == {
        "command_id": command.id,
        "command_type": "CreateThing",
        "status": "succeeded",
        "http_status": 201,
        "resource": {"name": "alpha"},
    }
    assert len(sender.on(EVENTS.name)) == 1


async def test_a_rejection_is_a_reply_not_a_dead_letter_and_has_no_other_effect(
    registry: SchemaRegistry,
) -> None:
    table: dict = {}
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES), table)
    await pipeline.process(_command(registry))
    state_before = table["alpha"]["state"]
    assert await pipeline.process(_command(registry)) == "handled"
    rejected = sender.on(REPLIES.name)[-1]
    assert rejected.type == "CommandRejected"
    assert rejected.data["error"] == {
        "code": "name_taken",
        "message": "alpha exists",
        "field": "name",
    }
    assert rejected.data["http_status"] == 409
    assert table["alpha"]["state"] == state_before
    assert len(sender.on(EVENTS.name)) == 1  # the refused command's event never went out
    assert not sender.on(COMMANDS.dlq)


async def test_a_redelivered_command_re_sends_the_identical_reply(registry: SchemaRegistry) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES))
    record = _command(registry)
    await pipeline.process(record)
    assert await pipeline.process(record) == "duplicate"
    first, again = [s for s in sender.sent if s[0] == REPLIES.name]
    assert first[1:3] == again[1:3]  # same key, same bytes: same reply id


async def test_invalid_command_data_is_dead_lettered_without_a_reply(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, replying(create_thing, topic=REPLIES))
    assert await pipeline.process(_command(registry, data={"name": 7})) == "dead-lettered"
    assert not sender.on(REPLIES.name)
    [(_t, _k, _v, headers)] = [s for s in sender.sent if s[0] == COMMANDS.dlq]
    assert header(headers, deadletter.REASON) == deadletter.SCHEMA_INVALID


async def _silent(ctx: HandlerContext) -> None:
    ctx.state = {"touched": True}


async def _twice(ctx: HandlerContext) -> None:
    succeed(ctx, topic=REPLIES)
    succeed(ctx, topic=REPLIES)


async def _lying(ctx: HandlerContext) -> None:
    reply(ctx, status="succeeded", http_status=409, topic=REPLIES)


async def _rejected_as_200(ctx: HandlerContext) -> None:
    reply(ctx, status="rejected", http_status=200, error=ReplyError("x", "y"), topic=REPLIES)


@pytest.mark.parametrize("handler", [_silent, _twice, _lying, _rejected_as_200])
async def test_handler_bugs_dead_letter_at_once_rather_than_answer_wrongly(
    registry: SchemaRegistry, handler: Handler
) -> None:
    pipeline, sender = _pipeline(registry, replying(handler, topic=REPLIES))
    assert await pipeline.process(_command(registry)) == "dead-lettered"
    assert not sender.on(REPLIES.name)
    [(_t, _k, _v, headers)] = [s for s in sender.sent if s[0] == COMMANDS.dlq]
    assert header(headers, deadletter.ATTEMPTS) == "1"  # a bug: not retried


# --- a later step answers the original command -------------------------------------------

STEPS = _spec("thing-steps", TopicKind.COMMANDS, SERVICE, ("FinishThing",))


@pytest.fixture(scope="module")
def step_registry(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    root = tmp_path_factory.mktemp("step-schemas")
    step = {
        "type": "object",
        "required": ["command_id", "name"],
        "additionalProperties": False,
        "properties": {"command_id": {"type": "string"}, "name": {"type": "string"}},
    }
    _write(root, STEPS.name, "FinishThing", step)
    for type_name, schema in reply_schemas(REPLIES.name).items():
        _write(root, REPLIES.name, type_name, schema)
    return SchemaRegistry(root)


def _step_pipeline(registry: SchemaRegistry, handler: Handler) -> tuple[EventPipeline, FakeSender]:
    sender = FakeSender()
    pipeline = EventPipeline(
        service=SERVICE,
        topic=STEPS,
        handlers={"FinishThing": handler},
        registry=registry,
        sender=sender,
        aggregates=AggregateStore({}),
    )
    return pipeline, sender


def _step(registry: SchemaRegistry, command_id: str = "cmd-1") -> Record:
    envelope = new_envelope(
        source="/dafnck/things-svc",
        type="FinishThing",
        subject="alpha",
        dataschema=registry.latest(STEPS.name, "FinishThing").id,
        data={"command_id": command_id, "name": "alpha"},
        correlationid="corr-1",
        actor="user-1",
    )
    return Record(STEPS.name, 0, 0, b"alpha", encode(envelope), [])


async def finish_thing(ctx: HandlerContext) -> None:
    original = ctx.data["command_id"]
    succeed(ctx, {"name": "alpha"}, http_status=201, topic=REPLIES,
            command_id=original, command_type="CreateThing")


async def refuse_thing(ctx: HandlerContext) -> None:
    reject(ctx, 409, "name_taken", "alpha exists", field="name", topic=REPLIES,
           command_id=ctx.data["command_id"], command_type="CreateThing")


async def test_a_later_step_answers_the_original_command(step_registry: SchemaRegistry) -> None:
    pipeline, sender = _step_pipeline(step_registry, finish_thing)
    record = _step(step_registry, "cmd-42")
    assert await pipeline.process(record) == "handled"
    [answer] = sender.on(REPLIES.name)
    [(_topic, key, _v, _h)] = [s for s in sender.sent if s[0] == REPLIES.name]
    # Keyed and addressed to the command the caller waits for, not to the step.
    assert key == b"cmd-42" and answer.subject == "cmd-42"
    assert answer.data["command_id"] == "cmd-42"
    assert answer.data["command_type"] == "CreateThing"
    assert (answer.correlationid, answer.actor) == ("corr-1", "user-1")
    assert answer.causationid == decode(record.value).id  # the step caused it


async def test_a_later_step_can_refuse_the_original_command(
    step_registry: SchemaRegistry,
) -> None:
    pipeline, sender = _step_pipeline(step_registry, refuse_thing)
    await pipeline.process(_step(step_registry, "cmd-7"))
    [answer] = sender.on(REPLIES.name)
    assert answer.type == "CommandRejected" and answer.subject == "cmd-7"
    assert answer.data["http_status"] == 409
    assert answer.data["command_type"] == "CreateThing"


async def _half_named(ctx: HandlerContext) -> None:
    succeed(ctx, topic=REPLIES, command_id=ctx.data["command_id"])


async def _no_replies_topic(ctx: HandlerContext) -> None:
    # A step's own topic is no <context>-commands topic: there is no replies topic to infer.
    succeed(ctx, command_id=ctx.data["command_id"], command_type="CreateThing")


@pytest.mark.parametrize("handler", [_half_named, _no_replies_topic])
async def test_a_step_that_answers_wrongly_is_dead_lettered_at_once(
    step_registry: SchemaRegistry, handler: Handler
) -> None:
    pipeline, sender = _step_pipeline(step_registry, handler)
    assert await pipeline.process(_step(step_registry)) == "dead-lettered"
    assert not sender.on(REPLIES.name)
    [(_t, _k, _v, headers)] = [s for s in sender.sent if s[0] == STEPS.dlq]
    assert header(headers, deadletter.ATTEMPTS) == "1"
