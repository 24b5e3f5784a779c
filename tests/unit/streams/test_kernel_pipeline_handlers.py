"""The pipeline around a handler: emitted events, tracing, retries, state and redelivery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

import topics
from schemas import SCHEMA_ROOT
from streams import deadletter
from streams.aggregates import AggregateRecord, AggregateStore
from streams.context import HandlerContext
from streams.envelope import Envelope, decode, new_envelope
from streams.pipeline import EventPipeline
from streams.records import Headers, Record, header
from streams.registry import SchemaRegistry
from streams.settings import RetryPolicy
from streams.tracing import parse_traceparent

REGISTRY = SchemaRegistry()
EXAMPLES: list[dict[str, Any]] = orjson.loads(
    (SCHEMA_ROOT / "agent-events/AgentCreated/v1.json").read_bytes()
)["examples"]
AGENT_ID = EXAMPLES[0]["agent_id"]
OTHER_AGENT_ID = EXAMPLES[1]["agent_id"]
CREATED_ID = "urn:dafnck:schema:agent-events/AgentCreated/v1"
STATUS_ID = "urn:dafnck:schema:agent-events/AgentStatusChanged/v1"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"

Handler = Callable[[HandlerContext], Awaitable[None]]


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers

    def header(self, name: str) -> str | None:
        return header(self.headers, name)

    @property
    def envelope(self) -> Envelope:
        return decode(self.value)


@dataclass
class FakeSender:
    sent: list[Sent] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append(Sent(topic, key, value, list(headers)))


@dataclass
class Run:
    pipeline: EventPipeline
    sender: FakeSender
    store: AggregateStore
    delays: list[float]

    async def process(self, record: Record) -> str:
        return await self.pipeline.process(record)


def _run(
    handlers: Mapping[str, Handler],
    *,
    retry: RetryPolicy | None = None,
    table: dict[str, Any] | None = None,
    service: str = "agents-svc",
) -> Run:
    sender = FakeSender()
    store = AggregateStore(table if table is not None else {})
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    pipeline = EventPipeline(
        service=service,
        topic=topics.AGENT_EVENTS,
        handlers=handlers,
        registry=REGISTRY,
        sender=sender,
        retry=retry,
        aggregates=store,
        sleep=sleep,
    )
    return Run(pipeline, sender, store, delays)


def _created(example: int = 0, *, correlationid: str | None = "req-42") -> Envelope:
    data = EXAMPLES[example]
    return new_envelope(
        source="/dafnck/edge",
        type="AgentCreated",
        subject=data["agent_id"],
        dataschema=CREATED_ID,
        data=dict(data),
        correlationid=correlationid,
        actor="user-7",
    )


def _status(to: str, agent_id: str = AGENT_ID, frm: str = "registered") -> Envelope:
    return new_envelope(
        source="/dafnck/agents-svc",
        type="AgentStatusChanged",
        subject=agent_id,
        dataschema=STATUS_ID,
        data={"agent_id": agent_id, "from": frm, "to": to},
    )


def _record(envelope: Envelope, *, traceparent: str | None = None, offset: int = 10) -> Record:
    headers: Headers = [("traceparent", traceparent.encode())] if traceparent else []
    value = orjson.dumps(envelope.to_dict())
    return Record("agent-events", 0, offset, envelope.subject.encode(), value, headers)


async def go_online(ctx: HandlerContext) -> None:
    """Each created agent comes online: one AgentStatusChanged per AgentCreated."""
    agent_id = ctx.data["agent_id"]
    ctx.emit(
        topics.AGENT_EVENTS,
        "AgentStatusChanged",
        agent_id,
        {"agent_id": agent_id, "from": "registered", "to": "online"},
    )


# --- outputs --------------------------------------------------------------------------------


async def test_an_emitted_event_is_produced_on_its_topic_caused_by_the_input() -> None:
    run = _run({"AgentCreated": go_online})
    source = _created()
    assert await run.process(_record(source)) == "handled"
    [sent] = run.sender.sent
    out = sent.envelope
    assert sent.topic == "agent-events"
    assert sent.key == AGENT_ID.encode() == out.subject.encode()
    assert out.type == "AgentStatusChanged"
    assert out.data == {"agent_id": AGENT_ID, "from": "registered", "to": "online"}
    assert out.causationid == source.id
    assert out.correlationid == "req-42"
    assert sent.header("correlationid") == "req-42"
    assert out.actor == "user-7"
    assert out.source == "/dafnck/agents-svc"
    assert out.id != source.id
    # What was produced is itself a valid event of the topic.
    assert REGISTRY.check(topics.AGENT_EVENTS, out).id == STATUS_ID


async def test_a_handler_may_date_an_event_with_the_moment_it_decided() -> None:
    # A handler that records "created at T" in its state dates the event T too, so a read
    # model built from the events shows exactly what the handler answered.
    async def dated(ctx: HandlerContext) -> None:
        agent_id = ctx.data["agent_id"]
        data = {"agent_id": agent_id, "from": "registered", "to": "online"}
        ctx.emit(topics.AGENT_EVENTS, "AgentStatusChanged", agent_id, data,
                 time="2025-03-01T09:00:00.123456Z")

    run = _run({"AgentCreated": dated})
    await run.process(_record(_created()))
    assert run.sender.sent[0].envelope.time == "2025-03-01T09:00:00.123456Z"


async def test_the_first_event_of_a_flow_is_the_correlation_root_of_its_outputs() -> None:
    run = _run({"AgentCreated": go_online})
    source = _created()
    source.correlationid = None
    await run.process(_record(source))
    assert run.sender.sent[0].envelope.correlationid == source.id


async def test_the_output_continues_the_input_trace_with_a_new_span() -> None:
    run = _run({"AgentCreated": go_online})
    incoming = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
    await run.process(_record(_created(), traceparent=incoming))
    [sent] = run.sender.sent
    trace = parse_traceparent(sent.header("traceparent"))
    assert trace is not None
    assert trace.trace_id == TRACE_ID
    assert trace.span_id != PARENT_SPAN


async def test_an_input_without_a_usable_trace_starts_a_new_one() -> None:
    run = _run({"AgentCreated": go_online})
    await run.process(_record(_created(), traceparent="00-garbage"))
    trace = parse_traceparent(run.sender.sent[0].header("traceparent"))
    assert trace is not None


async def test_output_ids_are_the_same_when_the_same_input_is_processed_again() -> None:
    record = _record(_created())
    first, second = _run({"AgentCreated": go_online}), _run({"AgentCreated": go_online})
    await first.process(record)
    await second.process(record)
    assert first.sender.sent[0].envelope.id == second.sender.sent[0].envelope.id
    # ...but a different input gets a different output id.
    third = _run({"AgentCreated": go_online})
    await third.process(_record(_created()))
    assert third.sender.sent[0].envelope.id != first.sender.sent[0].envelope.id


async def test_several_outputs_of_one_input_have_distinct_ids_in_emit_order() -> None:
    async def two_steps(ctx: HandlerContext) -> None:
        for frm, to in (("registered", "online"), ("online", "busy")):
            ctx.emit(
                topics.AGENT_EVENTS,
                "AgentStatusChanged",
                AGENT_ID,
                {"agent_id": AGENT_ID, "from": frm, "to": to},
            )

    run = _run({"AgentCreated": two_steps})
    await run.process(_record(_created()))
    outs = [s.envelope for s in run.sender.sent]
    assert [o.data["to"] for o in outs] == ["online", "busy"]
    assert len({o.id for o in outs}) == 2


async def test_emitting_to_a_topic_the_service_does_not_own_is_dead_lettered_at_once() -> None:
    calls: list[int] = []

    async def trespass(ctx: HandlerContext) -> None:
        calls.append(1)
        ctx.emit(topics.USER_EVENTS, "UserUpdated", AGENT_ID, {})

    run = _run({"AgentCreated": trespass})
    record = _record(_created())
    assert await run.process(record) == "dead-lettered"
    [sent] = run.sender.sent
    assert sent.topic == "agent-events.dlq"
    assert sent.value == record.value
    assert sent.header(deadletter.REASON) == deadletter.HANDLER_ERROR
    detail = sent.header(deadletter.DETAIL) or ""
    assert "PermanentError" in detail
    assert "user-events" in detail and "users-svc" in detail
    assert sent.header(deadletter.ATTEMPTS) == "1"
    assert calls == [1] and run.delays == []  # no retries
    assert run.store.table == {}


async def test_emitting_an_undeclared_type_is_dead_lettered_at_once() -> None:
    async def odd(ctx: HandlerContext) -> None:
        ctx.emit(topics.AGENT_EVENTS, "AgentTeleported", AGENT_ID, {})

    run = _run({"AgentCreated": odd})
    assert await run.process(_record(_created())) == "dead-lettered"
    detail = run.sender.sent[0].header(deadletter.DETAIL) or ""
    assert "'AgentTeleported' is not declared on agent-events" in detail
    assert run.delays == []


async def test_emitting_invalid_data_is_dead_lettered_naming_the_field_without_retry() -> None:
    async def sloppy(ctx: HandlerContext) -> None:
        ctx.emit(
            topics.AGENT_EVENTS,
            "AgentStatusChanged",
            AGENT_ID,
            {"agent_id": AGENT_ID, "from": "registered", "to": "exploded"},
        )

    run = _run({"AgentCreated": sloppy})
    assert await run.process(_record(_created())) == "dead-lettered"
    [sent] = run.sender.sent
    assert sent.topic == "agent-events.dlq"
    assert sent.header(deadletter.REASON) == deadletter.HANDLER_ERROR
    assert "$.data.to" in (sent.header(deadletter.DETAIL) or "")
    assert sent.header(deadletter.ATTEMPTS) == "1"
    assert run.delays == []


# --- retries --------------------------------------------------------------------------------


def _flaky(failures: int, calls: list[int]) -> Handler:
    async def handler(ctx: HandlerContext) -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError(f"downstream unavailable (call {len(calls)})")
        await go_online(ctx)

    return handler


async def test_a_transient_failure_is_retried_with_exponential_backoff_then_succeeds() -> None:
    calls: list[int] = []
    run = _run({"AgentCreated": _flaky(2, calls)})
    assert await run.process(_record(_created())) == "handled"
    assert len(calls) == 3
    assert run.delays == [0.2, 0.4]
    [sent] = run.sender.sent
    assert sent.topic == "agent-events"


async def test_a_persistent_failure_is_dead_lettered_after_every_attempt() -> None:
    calls: list[int] = []
    run = _run({"AgentCreated": _flaky(99, calls)})
    record = _record(_created())
    assert await run.process(record) == "dead-lettered"
    assert len(calls) == 3
    assert run.delays == [0.2, 0.4]
    [sent] = run.sender.sent
    assert (sent.topic, sent.key, sent.value) == ("agent-events.dlq", record.key, record.value)
    assert sent.header(deadletter.REASON) == deadletter.HANDLER_ERROR
    assert sent.header(deadletter.ATTEMPTS) == "3"
    assert "downstream unavailable (call 3)" in (sent.header(deadletter.DETAIL) or "")
    # Nothing was applied: the event is not marked, the state untouched.
    assert run.store.table == {}


async def test_a_custom_policy_sets_attempts_and_caps_the_backoff() -> None:
    calls: list[int] = []
    policy = RetryPolicy(attempts=5, initial_backoff_s=0.1, max_backoff_s=0.3)
    run = _run({"AgentCreated": _flaky(99, calls)}, retry=policy)
    assert await run.process(_record(_created())) == "dead-lettered"
    assert len(calls) == 5
    assert run.delays == [0.1, 0.2, 0.3, 0.3]
    assert run.sender.sent[0].header(deadletter.ATTEMPTS) == "5"


async def test_a_single_attempt_policy_dead_letters_without_waiting() -> None:
    calls: list[int] = []
    run = _run({"AgentCreated": _flaky(1, calls)}, retry=RetryPolicy(attempts=1))
    assert await run.process(_record(_created())) == "dead-lettered"
    assert (len(calls), run.delays) == (1, [])


def test_a_zero_attempt_policy_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match="DAFNCK_HANDLER_ATTEMPTS"):
        RetryPolicy(attempts=0)


# --- state and idempotency ------------------------------------------------------------------


async def record_statuses(ctx: HandlerContext) -> None:
    """State: the list of statuses this agent went through."""
    ctx.state = [*(ctx.state or []), ctx.data["to"]]


async def test_a_handler_sees_the_state_the_previous_event_left() -> None:
    seen: list[Any] = []

    async def handler(ctx: HandlerContext) -> None:
        seen.append(ctx.state)
        await record_statuses(ctx)

    run = _run({"AgentStatusChanged": handler})
    await run.process(_record(_status("online"), offset=1))
    await run.process(_record(_status("busy", frm="online"), offset=2))
    await run.process(_record(_status("online", OTHER_AGENT_ID), offset=3))
    assert seen == [None, ["online"], None]
    assert run.store.state(AGENT_ID) == ["online", "busy"]
    assert run.store.state(OTHER_AGENT_ID) == ["online"]


async def test_a_redelivered_event_is_a_duplicate_and_is_not_applied_twice() -> None:
    calls: list[int] = []

    async def handler(ctx: HandlerContext) -> None:
        calls.append(1)
        await record_statuses(ctx)

    run = _run({"AgentStatusChanged": handler})
    record = _record(_status("online"))
    assert await run.process(record) == "handled"
    assert await run.process(record) == "duplicate"
    assert calls == [1]
    assert run.store.state(AGENT_ID) == ["online"]


async def test_a_redelivered_event_re_sends_its_outputs_with_the_same_ids() -> None:
    calls: list[int] = []

    async def handler(ctx: HandlerContext) -> None:
        calls.append(1)
        await go_online(ctx)

    run = _run({"AgentCreated": handler})
    record = _record(_created(), traceparent=f"00-{TRACE_ID}-{PARENT_SPAN}-01")
    await run.process(record)
    assert await run.process(record) == "duplicate"
    assert calls == [1]
    first, again = run.sender.sent
    assert again.topic == first.topic and again.key == first.key
    assert again.envelope == first.envelope
    assert again.header("traceparent") == first.header("traceparent")


async def test_a_failed_attempt_leaves_no_trace_in_the_retry() -> None:
    seen: list[Any] = []

    async def handler(ctx: HandlerContext) -> None:
        seen.append(orjson.loads(orjson.dumps(ctx.state)))
        ctx.state.setdefault("count", 0)
        ctx.state["count"] += 1
        ctx.state["log"].append(ctx.data["to"])
        ctx.emit(
            topics.AGENT_EVENTS,
            "AgentStatusChanged",
            AGENT_ID,
            {"agent_id": AGENT_ID, "from": "online", "to": "busy"},
        )
        if len(seen) == 1:
            raise TimeoutError("first attempt times out after its edits")

    table: dict[str, Any] = {}
    AggregateStore(table).save(AGENT_ID, AggregateRecord(state={"count": 0, "log": []}))
    run = _run({"AgentStatusChanged": handler}, table=table)
    assert await run.process(_record(_status("online"))) == "handled"
    # The retry starts from the stored state, not from the failed attempt's edits.
    assert seen == [{"count": 0, "log": []}, {"count": 0, "log": []}]
    assert run.store.state(AGENT_ID) == {"count": 1, "log": ["online"]}
    # Only the successful attempt's output is produced.
    assert len(run.sender.sent) == 1
    assert run.delays == [0.2]


async def test_a_dead_lettered_event_leaves_the_stored_state_as_it_was() -> None:
    async def handler(ctx: HandlerContext) -> None:
        ctx.state.append("half-done")
        raise RuntimeError("always")

    table: dict[str, Any] = {}
    store = AggregateStore(table)
    store.save(AGENT_ID, store.load(AGENT_ID).advance("earlier", ["online"], []))
    run = _run({"AgentStatusChanged": handler}, table=table)
    assert await run.process(_record(_status("busy", frm="online"))) == "dead-lettered"
    assert run.store.state(AGENT_ID) == ["online"]
    assert run.store.load(AGENT_ID).applied == ["earlier"]


@pytest.mark.parametrize("name", ["", "a", "4f1d/agents-svc/0", "é" * 80])
def test_derived_output_ids_are_standard_uuid5(name: str) -> None:
    import uuid

    from streams.context import _OUTPUT_NAMESPACE, derived_id

    assert derived_id(name) == str(uuid.uuid5(_OUTPUT_NAMESPACE, name))
