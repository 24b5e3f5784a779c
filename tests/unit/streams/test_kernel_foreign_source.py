"""Read-model consumers take only what a topic's owning service wrote; the rest is dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

import topics
from agents_svc.worker.projector.event_batches import BatchProjection
from schemas import SCHEMA_ROOT
from streams import deadletter
from streams.context import HandlerContext
from streams.envelope import encode, is_from_service, new_envelope
from streams.metrics import EVENTS_DEAD_LETTERED
from streams.pipeline import EventPipeline
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry

REGISTRY = SchemaRegistry()
EXAMPLE: dict[str, Any] = orjson.loads(
    (SCHEMA_ROOT / "agent-events/AgentCreated/v1.json").read_bytes()
)["examples"][0]


@dataclass
class FakeSender:
    sent: list[tuple[str, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, list(headers)))


class FakeProjector:
    def __init__(self) -> None:
        self.applied: list[str] = []

    async def apply_batch(self, events: list[Any]) -> int:
        self.applied += [e.source for e in events]
        return len(events)


def _record(source: str, offset: int = 0) -> Record:
    envelope = new_envelope(
        source=source,
        type="AgentCreated",
        subject=EXAMPLE["agent_id"],
        dataschema="urn:dafnck:schema:agent-events/AgentCreated/v1",
        data=EXAMPLE,
    )
    return Record("agent-events", 0, offset, envelope.subject.encode(), encode(envelope), [])


def _dead_lettered(service: str) -> float:
    labels = (service, topics.AGENT_EVENTS.name, deadletter.FOREIGN_SOURCE)
    return EVENTS_DEAD_LETTERED.labels(*labels)._value.get()


@pytest.mark.parametrize(
    ("source", "owned"),
    [
        ("/dafnck/agents-svc", True),
        ("/dafnck/agents-svc/3f9a01bc", True),
        ("/dafnck/cli", False),
        ("/dafnck/agents-svc-evil", False),
        ("agents-svc", False),
    ],
)
def test_owner_source_is_the_service_or_one_of_its_instances(source: str, owned: bool) -> None:
    assert is_from_service(source, topics.AGENTS_SERVICE) is owned


async def test_a_projecting_pipeline_dead_letters_a_foreign_event() -> None:
    sender, handled = FakeSender(), []

    async def project(ctx: HandlerContext) -> None:
        handled.append(ctx.envelope.source)

    pipeline = EventPipeline(
        service="test-projector",
        topic=topics.AGENT_EVENTS,
        handlers={"AgentCreated": project},
        registry=REGISTRY,
        sender=sender,
        owner_only=True,
    )
    before = _dead_lettered("test-projector")
    assert await pipeline.process(_record("/dafnck/cli")) == "dead-lettered"
    assert await pipeline.process(_record("/dafnck/agents-svc", 1)) == "handled"
    assert handled == ["/dafnck/agents-svc"]
    [(topic, headers)] = sender.sent
    assert topic == "agent-events.dlq"
    assert header(headers, deadletter.REASON) == "foreign-source"
    assert header(headers, deadletter.PATH) == "$.source"
    assert _dead_lettered("test-projector") == before + 1


async def test_a_plain_pipeline_still_takes_any_source() -> None:
    handled: list[str] = []

    async def track(ctx: HandlerContext) -> None:
        handled.append(ctx.envelope.source)

    pipeline = EventPipeline(
        service="test-tracker",
        topic=topics.AGENT_EVENTS,
        handlers={"AgentCreated": track},
        registry=REGISTRY,
        sender=FakeSender(),
    )
    assert await pipeline.process(_record("/dafnck/cli")) == "handled"


async def test_the_agents_batch_projection_applies_only_the_schedulers_events() -> None:
    sender, projector = FakeSender(), FakeProjector()
    batches = BatchProjection(
        projector,  # type: ignore[arg-type]
        service="test-batches",
        sender=sender,
        registry=REGISTRY,
    )
    before = _dead_lettered("test-batches")
    await batches.handle([_record("/dafnck/cli"), _record("/dafnck/agents-svc", 1)])
    assert projector.applied == ["/dafnck/agents-svc"]
    assert [(t, header(h, deadletter.REASON)) for t, h in sender.sent] == [
        ("agent-events.dlq", "foreign-source")
    ]
    assert _dead_lettered("test-batches") == before + 1
