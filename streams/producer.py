"""Publishing envelopes from outside a worker (the CLI, the edge, tests), validated first."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

import topics
from streams.envelope import Envelope, encode, new_envelope
from streams.pipeline import CORRELATION_HEADER
from streams.records import Headers
from streams.registry import SchemaRegistry, default_registry
from streams.tracing import TRACEPARENT, new_trace
from topics import TopicSpec


class EventPublisher:
    """An aiokafka producer that refuses to send anything its schema would reject."""

    def __init__(
        self, bootstrap: str, *, source: str, registry: SchemaRegistry | None = None
    ) -> None:
        self.source = source
        self.registry = registry or default_registry()
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> EventPublisher:
        # Created here, not in __init__, so building and validating needs no connection.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=topics.max_request_bytes(),
        )
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("use EventPublisher as 'async with EventPublisher(...) as p'")
        return self._producer

    def build(
        self,
        topic: TopicSpec,
        type_name: str,
        data: dict[str, Any],
        *,
        subject: str,
        actor: str | None = None,
        correlationid: str | None = None,
    ) -> Envelope:
        """An envelope for the newest schema of the type; SchemaViolation when data is invalid."""
        entry = self.registry.latest(topic.name, type_name)
        envelope = new_envelope(
            source=self.source,
            type=type_name,
            subject=subject,
            dataschema=entry.id,
            data=data,
            actor=actor,
            correlationid=correlationid,
        )
        self.registry.check(topic, envelope)
        return envelope

    async def publish(self, topic: TopicSpec, envelope: Envelope) -> tuple[int, int]:
        """Validate and produce an envelope keyed by its subject; returns (partition, offset)."""
        meta = await (await self.send_soon(topic, envelope))
        return meta.partition, meta.offset

    async def send_soon(self, topic: TopicSpec, envelope: Envelope) -> asyncio.Future[Any]:
        """Validate and queue an envelope; the returned future resolves once Kafka has it.

        For callers that keep sending while earlier records are in flight (an agent's
        connection acknowledging reports in order), instead of one round trip each.
        """
        self.registry.check(topic, envelope)
        headers: Headers = [
            (TRACEPARENT, new_trace().header.encode()),
            (CORRELATION_HEADER, (envelope.correlationid or envelope.id).encode()),
        ]
        return await self._started().send(
            topic.name, encode(envelope), key=envelope.subject.encode(), headers=headers
        )

    async def reachable(self) -> bool:
        """True when a metadata request reaches the cluster (sends no record)."""
        return bool(await self._started().client.force_metadata_update())

    async def send_raw(
        self, topic: str, value: bytes, *, key: bytes | None = None, headers: Headers | None = None
    ) -> tuple[int, int]:
        """Produce bytes as they are, unvalidated (for tests of the dead-letter path)."""
        meta = await self._started().send_and_wait(topic, value, key=key, headers=headers)
        return meta.partition, meta.offset
