"""The per-record pipeline every consumed topic runs through.

record → decode envelope → check type and schema → load the aggregate (a redelivered event
re-sends its recorded outputs and stops here) → handler (with retries) → save state, the
applied mark and the outputs in one write → produce the outputs. A record that fails any
step goes to the topic's dead-letter twin with the reason; the pipeline never stops on a
bad record and never drops one silently.

Retry policy: a handler exception is retried ``RetryPolicy.attempts`` times in total with
exponential backoff, holding the partition (so per-key order is kept); after the last
attempt, or at once for ``PermanentError``, the record is dead-lettered as
``handler-error``. A handler that meets Postgres or Redis down (``streams.outages``) is
retried until the dependency answers, never dead-lettered for it.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import orjson

from streams import deadletter
from streams.aggregates import AggregateRecord, AggregateStore, StoredOutput
from streams.context import Emitted, HandlerContext, PermanentError
from streams.deadletter import Failure
from streams.envelope import EnvelopeError, decode
from streams.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_PRODUCED,
    HANDLER_LATENCY,
    HANDLER_RETRIES,
)
from streams.outages import outage_of
from streams.payloads import PayloadTypes, TypedContext, TypedHandler, default_payload_types
from streams.records import Headers, Record, Sender
from streams.registry import SchemaRegistry, SchemaViolation
from streams.settings import RetryPolicy
from streams.tracing import TRACEPARENT, new_trace, trace_from_headers
from topics import TopicSpec

Handler = Callable[[HandlerContext], Awaitable[None]]
Outcome = Literal["handled", "ignored", "duplicate", "dead-lettered"]
CORRELATION_HEADER = "correlationid"
OUTAGE_LOG_EVERY = 20  # while waiting out an outage, one line per this many tries

log = logging.getLogger("dafnck.pipeline")


class EventPipeline:
    """Processes the records of one topic for one service."""

    def __init__(
        self,
        *,
        service: str,
        topic: TopicSpec,
        handlers: Mapping[str, Handler],
        registry: SchemaRegistry,
        sender: Sender,
        retry: RetryPolicy | None = None,
        aggregates: AggregateStore | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        replies: TopicSpec | None = None,
        owner_only: bool = False,
        payloads: PayloadTypes | None = None,
    ) -> None:
        self.service = service
        # Read-model consumers take only what the topic's owner wrote (``foreign-source``).
        self.owner_only = owner_only
        self.topic = topic
        self.handlers = dict(handlers)
        self.registry = registry
        self.sender = sender
        self.retry = retry or RetryPolicy()
        self.aggregates = aggregates
        self._sleep = sleep
        # Types whose handler opted in to a typed payload (``streams.payloads.typed``).
        self._typed = {t for t, h in self.handlers.items() if isinstance(h, TypedHandler)}
        self.payloads = payloads or (default_payload_types() if self._typed else PayloadTypes())
        if missing := sorted(t for t in self._typed if not self.payloads.knows(t)):
            raise ValueError(f"typed handlers for types without a payload type: {missing}")
        # Where a dead-lettered command is answered as rejected (see
        # streams.commands.dead_letter_reply); None on topics nobody waits on.
        self.replies = replies or _catalog_replies(topic, service)
        # Metric children resolved once: labels() is a dict lookup plus a lock per call.
        self._consumed = {
            outcome: EVENTS_CONSUMED.labels(service, topic.name, outcome)
            for outcome in ("handled", "ignored", "duplicate", "dead-lettered")
        }
        self._latency = {
            t: HANDLER_LATENCY.labels(service, topic.name, t) for t in topic.types
        }
        self._produced: dict[tuple[str, str], Any] = {}

    async def process(self, record: Record) -> Outcome:
        """Run one record through the pipeline and say what became of it."""
        started = time.perf_counter()
        try:
            envelope = decode(record.value)
        except EnvelopeError as exc:
            return await self._dead_letter(record, Failure(exc.reason, exc.detail))
        if record.key is not None and record.key.decode("utf-8", "replace") != envelope.subject:
            return await self._dead_letter(
                record,
                Failure(deadletter.NOT_ENVELOPE, "subject must equal the record key", "$.subject"),
            )
        if self.owner_only and (foreign := deadletter.foreign_source(self.topic, envelope)):
            return await self._dead_letter(record, foreign)
        try:
            schema = self.registry.check(self.topic, envelope)
        except SchemaViolation as exc:
            return await self._dead_letter(record, Failure(exc.reason, exc.detail, exc.path))

        handler = self.handlers.get(envelope.type)
        if handler is None:
            self._consumed["ignored"].inc()
            return "ignored"
        payload = None
        if envelope.type in self._typed:
            # Decoded once, at the edge: every attempt below sees the same typed payload.
            try:
                payload = self.payloads.decode(schema, envelope.data)
            except SchemaViolation as exc:
                return await self._dead_letter(record, Failure(exc.reason, exc.detail, exc.path))
        aggregate = AggregateRecord()
        if self.aggregates is not None:
            aggregate = self.aggregates.load(envelope.subject)
            if aggregate.has_applied(envelope.id):
                return await self._redelivered(aggregate, envelope.id)

        trace = trace_from_headers(record.headers) or new_trace()
        ctx: HandlerContext | None = None
        attempt = outages = 0
        while attempt < self.retry.attempts:
            attempt += 1
            if (attempt > 1 or outages) and self.aggregates is not None:
                # A table shared with another topic's agent may have changed during the backoff.
                aggregate = self.aggregates.load(envelope.subject)
            if payload is None:
                ctx = HandlerContext(envelope, schema, record, self.service, trace, self.registry)
            else:
                ctx = TypedContext(
                    envelope, schema, record, self.service, trace, self.registry, payload=payload
                )
            # Each attempt starts from the stored state, never from a failed attempt's edits.
            ctx.state = copy.deepcopy(aggregate.state)
            try:
                await handler(ctx)
                break
            except (PermanentError, SchemaViolation) as exc:
                return await self._handler_failed(record, envelope.type, exc, attempt)
            except Exception as exc:
                if outage_of(exc) is not None:
                    # Postgres or Redis down is no fault of the record: hold the partition
                    # (keeping per-key order) until it answers; it is not an attempt.
                    attempt -= 1
                    outages += 1
                    await self._wait_out(envelope.type, exc, outages)
                    continue
                if attempt >= self.retry.attempts:
                    return await self._handler_failed(record, envelope.type, exc, attempt)
                HANDLER_RETRIES.labels(self.service, self.topic.name, envelope.type).inc()
                log.warning(
                    "handler failed, retrying",
                    extra={
                        "event_id": envelope.id,
                        "type": envelope.type,
                        "attempt": attempt,
                        "error": repr(exc),
                    },
                )
                await self._sleep(self.retry.backoff(attempt))
        assert ctx is not None
        outputs = [_stored(out) for out in ctx.outputs]
        if self.aggregates is not None:
            # Saved before producing: a crash in between re-sends from the outbox.
            self.aggregates.save(
                envelope.subject, aggregate.advance(envelope.id, ctx.state, outputs)
            )
        for out in outputs:
            await self._produce(out, outputs)
        self._consumed["handled"].inc()
        self._latency[envelope.type].observe(time.perf_counter() - started)
        return "handled"

    async def _wait_out(self, type_name: str, exc: BaseException, outages: int) -> None:
        if outages == 1 or outages % OUTAGE_LOG_EVERY == 0:
            log.warning(
                "dependency unavailable; holding the record until it answers",
                extra={"type": type_name, "waits": outages, "error": repr(exc)},
            )
        await self._sleep(self.retry.backoff(outages))

    async def _redelivered(self, aggregate: AggregateRecord, event_id: str) -> Outcome:
        # Already applied: its effect stands; its outputs may not have reached Kafka before
        # a crash, so send them again with their original ids.
        outbox = aggregate.outbox.get(event_id, [])
        for out in outbox:
            await self._produce(out, outbox)
        self._consumed["duplicate"].inc()
        log.info("redelivered event not re-applied", extra={"event_id": event_id})
        return "duplicate"

    async def _produce(self, out: StoredOutput, outputs: Sequence[StoredOutput] = ()) -> None:
        envelope = out.envelope
        headers = [
            (TRACEPARENT, out.traceparent.encode()),
            (CORRELATION_HEADER, str(envelope.get("correlationid") or "").encode()),
            *_caused_headers(out, outputs),  # a reply says what its siblings caused
        ]
        value = orjson.dumps(envelope)
        await self.sender.send(out.topic, str(envelope["subject"]).encode(), value, headers)
        counter = self._produced.get((out.topic, envelope["type"]))
        if counter is None:
            counter = EVENTS_PRODUCED.labels(self.service, out.topic, envelope["type"])
            self._produced[(out.topic, envelope["type"])] = counter
        counter.inc()

    async def _handler_failed(
        self, record: Record, type_name: str, exc: BaseException, attempts: int
    ) -> Outcome:
        log.error(
            "handler failed, dead-lettering",
            extra={"type": type_name, "attempts": attempts, "error": repr(exc)},
        )
        return await self._dead_letter(
            record, Failure(deadletter.HANDLER_ERROR, repr(exc), attempts=attempts)
        )

    async def _dead_letter(self, record: Record, failure: Failure) -> Outcome:
        log.warning(
            "record dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": failure.reason,
                "detail": failure.detail,
            },
        )
        await deadletter.dead_letter(self.sender, self.topic, record, failure, self.service)
        if self.replies is not None:
            # After the dead letter: a caller is never told "rejected" for a command that
            # was not set aside.
            await self._answer_dead_lettered(record, failure, self.replies)
        EVENTS_DEAD_LETTERED.labels(self.service, self.topic.name, failure.reason).inc()
        self._consumed["dead-lettered"].inc()
        return "dead-lettered"


    async def _answer_dead_lettered(
        self, record: Record, failure: Failure, replies: TopicSpec
    ) -> None:
        from streams.commands.dead_letter_reply import dead_letter_reply  # imports this module

        try:
            answer = dead_letter_reply(
                record,
                failure,
                topic=self.topic,
                replies=replies,
                service=self.service,
                registry=self.registry,
            )
        except Exception as exc:
            # The record is dead-lettered either way; the missing answer is worth a line.
            log.error("dead-lettered command not answered", extra={"error": repr(exc)})
            return
        if answer is not None:
            await self.sender.send(answer.topic, answer.key, answer.value, answer.headers)


def _catalog_replies(topic: TopicSpec, service: str) -> TopicSpec | None:
    from streams.commands.dead_letter_reply import catalog_replies_for  # imports this module

    return catalog_replies_for(topic, service)


def _caused_headers(out: StoredOutput, outputs: Sequence[StoredOutput]) -> Headers:
    from streams.commands.caused import caused_headers  # imports this module

    return caused_headers(out, outputs)


def _stored(out: Emitted) -> StoredOutput:
    return StoredOutput(out.topic.name, out.envelope.to_dict(), out.trace.header)
