"""The pipeline dead-letters every kind of unusable record, byte for byte, and carries on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pytest

import topics
from schemas import SCHEMA_ROOT
from streams import deadletter
from streams.aggregates import AggregateStore
from streams.context import HandlerContext
from streams.envelope import encode, new_envelope
from streams.pipeline import EventPipeline
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry

REGISTRY = SchemaRegistry()
EXAMPLE: dict[str, Any] = orjson.loads(
    (SCHEMA_ROOT / "agent-events/AgentCreated/v1.json").read_bytes()
)["examples"][0]
AGENT_ID = EXAMPLE["agent_id"]
CREATED_ID = "urn:dafnck:schema:agent-events/AgentCreated/v1"
ANY_PATH = "<any>"  # the registry reports this one at "$": only its presence is checked


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass
class FakeSender:
    sent: list[Sent] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append(Sent(topic, key, value, list(headers)))


@dataclass
class Run:
    pipeline: EventPipeline
    sender: FakeSender
    table: dict[str, Any]
    handled: list[str]
    delays: list[float]


@pytest.fixture
def run() -> Run:
    sender = FakeSender()
    table: dict[str, Any] = {}
    handled: list[str] = []
    delays: list[float] = []

    async def on_created(ctx: HandlerContext) -> None:
        handled.append(ctx.envelope.id)

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    pipeline = EventPipeline(
        service="agents-svc",
        topic=topics.AGENT_EVENTS,
        handlers={"AgentCreated": on_created},
        registry=REGISTRY,
        sender=sender,
        aggregates=AggregateStore(table),
        sleep=sleep,
    )
    return Run(pipeline, sender, table, handled, delays)


def _value(**changes: Any) -> bytes:
    envelope = new_envelope(
        source="/test",
        type="AgentCreated",
        subject=AGENT_ID,
        dataschema=CREATED_ID,
        data=dict(EXAMPLE),
        correlationid="req-1",
    )
    return orjson.dumps({**envelope.to_dict(), **changes})


def _record(value: bytes | None, *, key: bytes | None = AGENT_ID.encode()) -> Record:
    headers = [("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01"), ("tenant", b"t1")]
    return Record("agent-events", 2, 4711, key, value, headers)


POISON = [
    ("not-json", b"\x00\x01 definitely not json", deadletter.NOT_JSON, None),
    ("array", b"[1, 2]", deadletter.NOT_ENVELOPE, None),
    ("no-envelope", orjson.dumps({"hello": "world"}), deadletter.NOT_ENVELOPE, None),
    ("old-specversion", _value(specversion="0.3"), deadletter.NOT_ENVELOPE, None),
    ("xml", _value(datacontenttype="application/xml"), deadletter.NOT_ENVELOPE, None),
    ("data-array", _value(data=[1]), deadletter.NOT_ENVELOPE, None),
    ("tombstone", None, deadletter.NOT_ENVELOPE, None),
    ("foreign-type", _value(type="AgentTeleported"), deadletter.UNKNOWN_TYPE, "$.type"),
    (
        "unknown-dataschema",
        _value(dataschema="urn:dafnck:schema:agent-events/AgentCreated/v7"),
        deadletter.UNKNOWN_TYPE,
        ANY_PATH,
    ),
    (
        "dataschema-of-other-type",
        _value(dataschema="urn:dafnck:schema:agent-events/AgentDeleted/v1"),
        deadletter.UNKNOWN_TYPE,
        "$.dataschema",
    ),
    (
        "schema-invalid",
        _value(data={**EXAMPLE, "capacity": "lots"}),
        deadletter.SCHEMA_INVALID,
        "$.data.capacity",
    ),
    (
        "bad-uuid",
        _value(data={**EXAMPLE, "project_id": "p-1"}),
        deadletter.SCHEMA_INVALID,
        "$.data.project_id",
    ),
]


@pytest.mark.parametrize(
    ("value", "reason", "path"), [p[1:] for p in POISON], ids=[p[0] for p in POISON]
)
async def test_each_poison_kind_goes_to_the_dead_letter_twin_as_it_came(
    run: Run, value: bytes | None, reason: str, path: str | None
) -> None:
    record = _record(value)
    assert await run.pipeline.process(record) == "dead-lettered"
    [sent] = run.sender.sent
    assert sent.topic == "agent-events.dlq"
    assert sent.key == AGENT_ID.encode()
    assert sent.value == (value or b"")
    assert sent.header(deadletter.REASON) == reason
    assert sent.header(deadletter.ORIGINAL_TOPIC) == "agent-events"
    assert sent.header(deadletter.ORIGINAL_PARTITION) == "2"
    assert sent.header(deadletter.ORIGINAL_OFFSET) == "4711"
    assert sent.header(deadletter.SERVICE) == "agents-svc"
    assert sent.header(deadletter.DETAIL)
    failed_at = sent.header(deadletter.FAILED_AT)
    assert failed_at is not None and datetime.fromisoformat(failed_at)
    if path == ANY_PATH:
        assert sent.header(deadletter.PATH)
    else:
        assert sent.header(deadletter.PATH) == path
    assert sent.header(deadletter.ATTEMPTS) is None  # the handler never ran
    # The record's own headers travel with it.
    assert sent.header("tenant") == "t1"
    assert sent.header("traceparent") == record.headers[0][1].decode()
    assert run.handled == [] and run.table == {} and run.delays == []


async def test_the_dead_letter_detail_says_what_is_wrong(run: Run) -> None:
    await run.pipeline.process(_record(_value(data={**EXAMPLE, "capacity": "lots"})))
    await run.pipeline.process(_record(orjson.dumps({"hello": "world"})))
    schema_detail, envelope_detail = (s.header(deadletter.DETAIL) for s in run.sender.sent)
    assert schema_detail is not None and '"lots" is not of type "integer"' in schema_detail
    assert envelope_detail is not None and "missing attribute(s)" in envelope_detail
    assert "specversion" in envelope_detail and "subject" in envelope_detail


async def test_a_key_other_than_the_subject_is_dead_lettered(run: Run) -> None:
    value = _value()
    other_key = b"0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b"
    assert await run.pipeline.process(_record(value, key=other_key)) == "dead-lettered"
    [sent] = run.sender.sent
    assert (sent.topic, sent.key, sent.value) == ("agent-events.dlq", other_key, value)
    assert sent.header(deadletter.REASON) == deadletter.NOT_ENVELOPE
    assert sent.header(deadletter.PATH) == "$.subject"
    assert "record key" in (sent.header(deadletter.DETAIL) or "")
    assert run.handled == []


async def test_a_record_without_key_is_still_processed(run: Run) -> None:
    assert await run.pipeline.process(_record(_value(), key=None)) == "handled"
    assert len(run.handled) == 1


async def test_a_valid_neighbour_is_handled_after_poison(run: Run) -> None:
    assert await run.pipeline.process(_record(b"garbage")) == "dead-lettered"
    assert await run.pipeline.process(_record(None)) == "dead-lettered"
    good = _value()
    assert await run.pipeline.process(_record(good)) == "handled"
    assert run.handled == [orjson.loads(good)["id"]]
    assert [s.topic for s in run.sender.sent] == ["agent-events.dlq", "agent-events.dlq"]


async def test_a_type_without_handler_is_ignored_and_produces_nothing(run: Run) -> None:
    value = orjson.dumps(
        new_envelope(
            source="/test",
            type="AgentStatusChanged",
            subject=AGENT_ID,
            dataschema="urn:dafnck:schema:agent-events/AgentStatusChanged/v1",
            data={"agent_id": AGENT_ID, "from": "registered", "to": "online"},
        ).to_dict()
    )
    assert await run.pipeline.process(_record(value)) == "ignored"
    assert run.sender.sent == []
    assert run.table == {}
    assert run.handled == []


async def test_an_ignored_type_is_still_validated(run: Run) -> None:
    # No handler does not mean no contract: invalid data of a known type is still poison.
    envelope = new_envelope(
        source="/test",
        type="AgentStatusChanged",
        subject=AGENT_ID,
        dataschema="urn:dafnck:schema:agent-events/AgentStatusChanged/v1",
        data={"agent_id": AGENT_ID, "from": "registered", "to": "exploded"},
    )
    assert await run.pipeline.process(_record(encode(envelope))) == "dead-lettered"
    [sent] = run.sender.sent
    assert sent.header(deadletter.REASON) == deadletter.SCHEMA_INVALID
    assert sent.header(deadletter.PATH) == "$.data.to"
