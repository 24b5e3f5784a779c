"""A dead-lettered command is answered CommandRejected with the reason (in memory, no Kafka)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import topics
from schemas import schema_id
from streams import deadletter
from streams.commands import ReplyError, reply_schemas
from streams.commands.replies import Reply
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
STEPS = _spec("thing-steps", TopicKind.COMMANDS, SERVICE, ("ThingStep", "Tick"))
REPLIES = _spec("thing-replies", TopicKind.EVENTS, SERVICE, ("CommandSucceeded", "CommandRejected"))

NAMED = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}},
}
STEP = {
    "type": "object",
    "required": ["command_id", "command_type"],
    "properties": {"command_id": {"type": "string"}, "command_type": {"type": "string"}},
}


def _write(root: Path, topic: str, type_name: str, schema: dict[str, Any]) -> None:
    path = root / topic / type_name / "v1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**schema, "$id": schema_id(topic, type_name, 1)}))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    root = tmp_path_factory.mktemp("schemas")
    _write(root, COMMANDS.name, "CreateThing", NAMED)
    _write(root, STEPS.name, "ThingStep", STEP)
    _write(root, STEPS.name, "Tick", {"type": "object"})
    for type_name, schema in reply_schemas(REPLIES.name).items():
        _write(root, REPLIES.name, type_name, schema)
    return SchemaRegistry(root)


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes | None, bytes, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, key, value, list(headers)))

    def on(self, topic: str) -> list[tuple[bytes | None, bytes, Headers]]:
        return [(k, v, h) for t, k, v, h in self.sent if t == topic]

    def replies(self) -> list[Envelope]:
        return [decode(v) for _k, v, _h in self.on(REPLIES.name)]


async def always_fails(ctx: HandlerContext) -> None:
    raise RuntimeError("disk on fire: /secret/path")


async def never_called(ctx: HandlerContext) -> None:
    raise AssertionError("an invalid command must not reach its handler")


def _pipeline(
    registry: SchemaRegistry, handler: Handler, topic: TopicSpec = COMMANDS
) -> tuple[EventPipeline, FakeSender]:
    sender = FakeSender()
    pipeline = EventPipeline(
        service=SERVICE,
        topic=topic,
        handlers=dict.fromkeys(topic.types, handler),
        registry=registry,
        sender=sender,
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.0, max_backoff_s=0.0),
        replies=REPLIES,
        sleep=_no_sleep,
    )
    return pipeline, sender


async def _no_sleep(_seconds: float) -> None:
    return None


def _record(
    registry: SchemaRegistry,
    data: dict[str, Any],
    *,
    topic: TopicSpec = COMMANDS,
    type_name: str = "CreateThing",
    subject: str = "alpha",
) -> tuple[Record, Envelope]:
    envelope = new_envelope(
        source="/edge",
        type=type_name,
        subject=subject,
        dataschema=registry.latest(topic.name, type_name).id,
        data=data,
        correlationid="corr-1",
        actor="user-1",
    )
    return Record(topic.name, 1, 7, subject.encode(), encode(envelope), []), envelope


def _reply(envelope: Envelope) -> Reply:
    return Reply.from_data(envelope.data)


async def test_a_command_whose_handler_keeps_failing_is_dead_lettered_and_answered(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, always_fails)
    record, command = _record(registry, {"name": "alpha"})

    assert await pipeline.process(record) == "dead-lettered"

    [(_key, _value, dlq_headers)] = sender.on(COMMANDS.dlq)
    assert header(dlq_headers, deadletter.REASON) == deadletter.HANDLER_ERROR
    [(key, _v, _h)] = sender.on(REPLIES.name)
    [answer] = sender.replies()
    assert key == command.id.encode() and answer.subject == command.id
    assert answer.type == "CommandRejected"
    assert (answer.causationid, answer.correlationid, answer.actor) == (
        command.id,
        "corr-1",
        "user-1",
    )
    reply = _reply(answer)
    assert (reply.command_id, reply.command_type) == (command.id, "CreateThing")
    assert (reply.status, reply.http_status) == ("rejected", 422)
    assert reply.error is not None and reply.error.code == "handler_error"
    assert "handler-error" in reply.error.message and "3 attempts" in reply.error.message
    assert "/secret/path" not in reply.error.message  # the exception is for operators only
    # Dead letter first: a caller is never told "rejected" for a command not set aside.
    assert [t for t, *_ in sender.sent] == [COMMANDS.dlq, REPLIES.name]


async def test_a_redelivered_dead_lettered_command_is_answered_with_the_same_reply(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, always_fails)
    record, _command = _record(registry, {"name": "alpha"})

    await pipeline.process(record)
    await pipeline.process(record)  # redelivered after a crash before the commit

    first, second = sender.replies()
    assert first.id == second.id and first.data == second.data


async def test_a_schema_invalid_command_is_answered_naming_the_field(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, never_called)
    record, command = _record(registry, {"name": ""})

    assert await pipeline.process(record) == "dead-lettered"

    [answer] = sender.replies()
    reply = _reply(answer)
    assert reply.command_id == command.id and reply.http_status == 422
    assert reply.error == ReplyError(reply.error.code, reply.error.message, "name")
    assert reply.error.code == "schema_invalid"
    assert "schema-invalid" in reply.error.message


async def test_bytes_that_are_no_command_are_dead_lettered_with_no_reply(
    registry: SchemaRegistry,
) -> None:
    pipeline, sender = _pipeline(registry, never_called)
    record = Record(COMMANDS.name, 0, 3, b"k", b"\x00not json", [])

    assert await pipeline.process(record) == "dead-lettered"

    assert len(sender.on(COMMANDS.dlq)) == 1
    assert sender.replies() == []


async def test_a_later_step_answers_the_command_it_carries_out(registry: SchemaRegistry) -> None:
    pipeline, sender = _pipeline(registry, always_fails, topic=STEPS)
    data = {"command_id": "cmd-first", "command_type": "CreateThing"}
    record, step = _record(registry, data, topic=STEPS, type_name="ThingStep")

    await pipeline.process(record)

    [answer] = sender.replies()
    assert answer.subject == "cmd-first" and answer.causationid == step.id
    assert (_reply(answer).command_id, _reply(answer).command_type) == ("cmd-first", "CreateThing")


async def test_an_internal_record_nobody_waits_on_gets_no_reply(registry: SchemaRegistry) -> None:
    pipeline, sender = _pipeline(registry, always_fails, topic=STEPS)
    record, _tick = _record(registry, {}, topic=STEPS, type_name="Tick", subject="scheduler")

    assert await pipeline.process(record) == "dead-lettered"

    assert sender.replies() == []


def test_catalog_command_topics_are_answered_on_their_replies_topic() -> None:
    def replies_of(topic: TopicSpec, service: str) -> str | None:
        pipeline = EventPipeline(
            service=service,
            topic=topic,
            handlers={},
            registry=SchemaRegistry(),
            sender=FakeSender(),
        )
        return pipeline.replies.name if pipeline.replies is not None else None

    users = topics.USER_COMMANDS.consumer_groups[0]
    agents = topics.AGENT_COMMANDS.consumer_groups[0]
    assert replies_of(topics.USER_COMMANDS, users) == topics.USER_REPLIES.name
    assert replies_of(topics.USER_REGISTRATIONS, users) == topics.USER_REPLIES.name
    assert replies_of(topics.AGENT_COMMANDS, agents) == topics.AGENT_REPLIES.name
    assert replies_of(topics.USER_EVENTS, users) is None
