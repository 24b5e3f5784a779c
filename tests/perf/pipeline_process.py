"""``EventPipeline.process`` timed without a broker, with a plain and with a typed handler."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import topics
from schemas import schema_path
from schemas.models.structs import AgentStatusChanged
from streams.aggregates import AggregateStore
from streams.context import HandlerContext
from streams.envelope import encode, new_envelope
from streams.payloads import TypedContext, typed
from streams.pipeline import EventPipeline, Handler
from streams.records import Headers, Record
from streams.registry import SchemaRegistry


class _NoSender:
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        return None


def status_records(count: int) -> list[Record]:
    """``count`` valid AgentStatusChanged records, one agent each."""
    path = schema_path("agent-events", "AgentStatusChanged", 1)
    status: dict[str, Any] = json.loads(path.read_text())["examples"][-1]
    records = []
    for offset in range(count):
        agent_id = str(uuid.uuid4())
        envelope = new_envelope(
            source="/dafnck/agents-svc",
            type="AgentStatusChanged",
            subject=agent_id,
            dataschema="urn:dafnck:schema:agent-events/AgentStatusChanged/v1",
            data={**status, "agent_id": agent_id},
        )
        records.append(Record("agent-events", 0, offset, agent_id.encode(), encode(envelope), []))
    return records


async def _plain(ctx: HandlerContext) -> None:
    ctx.state = {"status": ctx.data["to"]}


async def _typed(ctx: TypedContext[AgentStatusChanged]) -> None:
    ctx.state = {"status": ctx.payload.to}


async def pipeline_us(records: list[Record], rounds: int = 5) -> dict[str, float]:
    """Best µs/event of ``EventPipeline.process`` per handler kind, ABBA over ``rounds``."""
    registry = SchemaRegistry()
    kinds: dict[str, tuple[Handler, bool]] = {
        "plain": (_plain, False),
        "typed": (typed(_typed), False),
        "plain, aggregate state": (_plain, True),
        "typed, aggregate state": (typed(_typed), True),
    }
    best: dict[str, float] = {}
    for round_no in range(rounds):
        names = list(kinds) if round_no % 2 == 0 else list(reversed(kinds))
        for name in names:
            handler, stateful = kinds[name]
            pipeline = EventPipeline(
                service="agents-svc",
                topic=topics.AGENT_EVENTS,
                handlers={"AgentStatusChanged": handler},
                registry=registry,
                sender=_NoSender(),
                aggregates=AggregateStore({}) if stateful else None,
            )
            started = time.perf_counter()
            for record in records:
                await pipeline.process(record)
            took = (time.perf_counter() - started) / len(records) * 1e6
            best[name] = min(best.get(name, took), took)
    return best
