"""Feeding agent-events to the projector in batches, from a Faust agent.

``consume_batches(app, projector)`` adds one agent that takes up to ``max_batch`` records
(or what arrived within ``within_s``) and hands them to ``BatchProjection.handle``. Like
the kernel's pipeline, a record that is not a valid envelope of the topic goes to the
dead-letter twin and never stops the stream (and so does an event its owner, the
scheduler, did not write: ``foreign-source``); a failing batch is retried with backoff, and
when it still fails its events are applied one by one so only the culprit is dead-lettered.
Offsets are committed after ``handle`` returns (Faust's ``take_events`` acks then).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust

import topics
from agents_svc.worker.projector.event_writer import APPLIERS, Projector
from streams import deadletter
from streams.deadletter import Failure
from streams.envelope import Envelope, EnvelopeError, decode
from streams.metrics import EVENTS_DEAD_LETTERED
from streams.outages import outage_of
from streams.pipeline import OUTAGE_LOG_EVERY
from streams.records import Record, Sender, normalize_headers
from streams.registry import SchemaRegistry, SchemaViolation, default_registry
from streams.settings import RetryPolicy, WorkerSettings
from streams.worker import FaustSender
from topics import TopicSpec

DEFAULT_MAX_BATCH = 1000
DEFAULT_WITHIN_S = 0.05

log = logging.getLogger("agents_svc.worker.projector.event_writer")


class BatchProjection:
    """Checks a batch of records, applies the good ones, dead-letters the rest."""

    def __init__(
        self,
        projector: Projector,
        *,
        service: str,
        sender: Sender,
        topic: TopicSpec = topics.AGENT_EVENTS,
        registry: SchemaRegistry | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.projector = projector
        self.service = service
        self.sender = sender
        self.topic = topic
        self.registry = registry or default_registry()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    async def handle(self, records: Sequence[Record]) -> None:
        """Project a batch: invalid records dead-lettered, the rest in one transaction."""
        good: list[tuple[Record, Envelope]] = []
        for record in records:
            checked = await self._check(record)
            if checked is not None and checked.type in APPLIERS:
                good.append((record, checked))
        if not good:
            return
        if await self._apply([envelope for _, envelope in good]):
            return
        # The batch keeps failing: find the event(s) at fault, apply all the others.
        for record, envelope in good:
            if not await self._apply([envelope], attempts=1):
                await self._dead_letter(
                    record, Failure(deadletter.HANDLER_ERROR, "see log", None, 1)
                )

    async def _apply(self, envelopes: list[Envelope], attempts: int | None = None) -> bool:
        attempts = attempts or self.retry.attempts
        attempt = outages = 0
        while attempt < attempts:
            attempt += 1
            try:
                await self.projector.apply_batch(envelopes)
                return True
            except Exception as exc:
                if (dependency := outage_of(exc)) is not None:
                    # Postgres down is no fault of the events: hold the batch until it answers
                    # rather than dead-letter events the read model would then never show.
                    attempt -= 1
                    outages += 1
                    if outages == 1 or outages % OUTAGE_LOG_EVERY == 0:
                        log.warning(
                            "read model unavailable; holding the batch until it answers",
                            extra={
                                "events": len(envelopes),
                                "dependency": dependency,
                                "waits": outages,
                                "error": repr(exc),
                            },
                        )
                    await self._sleep(self.retry.backoff(outages))
                    continue
                log.warning(
                    "projection failed",
                    extra={"events": len(envelopes), "attempt": attempt, "error": repr(exc)},
                )
                if attempt < attempts:
                    await self._sleep(self.retry.backoff(attempt))
        return False

    async def _check(self, record: Record) -> Envelope | None:
        try:
            envelope = decode(record.value)
        except EnvelopeError as exc:
            await self._dead_letter(record, Failure(exc.reason, exc.detail))
            return None
        if record.key is not None and record.key.decode("utf-8", "replace") != envelope.subject:
            failure = Failure(
                deadletter.NOT_ENVELOPE, "subject must equal the record key", "$.subject"
            )
            await self._dead_letter(record, failure)
            return None
        if foreign := deadletter.foreign_source(self.topic, envelope):
            await self._dead_letter(record, foreign)
            return None
        try:
            self.registry.check(self.topic, envelope)
        except SchemaViolation as exc:
            await self._dead_letter(record, Failure(exc.reason, exc.detail, exc.path))
            return None
        return envelope

    async def _dead_letter(self, record: Record, failure: Failure) -> None:
        log.warning(
            "record dead-lettered",
            extra={
                "offset": record.offset,
                "partition": record.partition,
                "reason": failure.reason,
            },
        )
        await deadletter.dead_letter(self.sender, self.topic, record, failure, self.service)
        EVENTS_DEAD_LETTERED.labels(self.service, self.topic.name, failure.reason).inc()


def consume_batches(
    app: faust.App,
    projector: Projector,
    *,
    topic: TopicSpec = topics.AGENT_EVENTS,
    max_batch: int = DEFAULT_MAX_BATCH,
    within_s: float = DEFAULT_WITHIN_S,
) -> BatchProjection:
    """Add a Faust agent projecting ``topic`` in batches (stateless: the read model dedups)."""
    settings: WorkerSettings = app.dafnck_settings  # type: ignore[attr-defined]
    batches = BatchProjection(
        projector,
        service=settings.service,
        sender=FaustSender(app),
        topic=topic,
        retry=settings.retry,
    )
    source = app.topic(
        topic.name,
        key_serializer="raw",
        value_serializer="raw",
        partitions=topic.partitions,
        allow_empty=True,
    )

    async def project(stream: Any) -> None:
        # A faust Stream (StreamT, its declared type, does not list take_events).
        async for events in stream.take_events(max_batch, within=within_s):
            await batches.handle([_record(event.message) for event in events])

    app.agent(source, name=f"{settings.service}.{topic.name}.projector")(project)
    return batches


def _record(msg: Any) -> Record:
    return Record(
        msg.topic, msg.partition, msg.offset, msg.key, msg.value, normalize_headers(msg.headers)
    )
