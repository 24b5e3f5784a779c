"""What a handler sees: the consumed envelope, and ``emit`` for the events it causes."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from streams.envelope import Envelope, now_rfc3339, service_source
from streams.records import Record
from streams.registry import SchemaEntry, SchemaRegistry
from streams.tracing import TraceContext
from topics import TopicSpec

# Output ids are derived from the input id so a redelivered input re-emits the *same*
# events, which downstream idempotent consumers then recognise as duplicates.
_OUTPUT_NAMESPACE = uuid.UUID("6f1c2a53-8d0e-4f5b-9a57-0b6f3c1d2e4a")
_NAMESPACE_BYTES = _OUTPUT_NAMESPACE.bytes


def derived_id(name: str) -> str:
    """The UUIDv5 of ``name`` in the output namespace, as text (same as ``uuid.uuid5``).

    Written out because ``uuid.uuid5`` builds two UUID objects per call and was the
    single largest cost of emitting an event.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help; the event is dead-lettered at once."""


@dataclass(slots=True)
class Emitted:
    """An event a handler asked to produce, already validated."""

    topic: TopicSpec
    envelope: Envelope
    trace: TraceContext


@dataclass
class HandlerContext:
    """The consumed event and its schema, the aggregate's state, and the outputs emitted.

    ``state`` is this aggregate's state as the previous event left it (None at first); a
    handler sets or mutates it, and the pipeline saves it together with the mark that this
    event was applied.
    """

    envelope: Envelope
    schema: SchemaEntry
    record: Record
    service: str
    trace: TraceContext
    registry: SchemaRegistry
    state: Any = None
    outputs: list[Emitted] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        """The event's data payload."""
        return self.envelope.data

    def emit(
        self,
        topic: TopicSpec,
        type_name: str,
        subject: str,
        data: dict[str, Any],
        *,
        actor: str | None = None,
        time: str | None = None,
    ) -> Envelope:
        """Queue an event caused by this one; validated now, produced when the handler returns.

        ``time`` (RFC 3339) is when it happened, if the handler decided that itself (say, the
        moment a record it keeps was created); the current time otherwise.
        """
        if topic.owner != self.service:
            raise PermanentError(
                f"{self.service} may not write {topic.name}: its single writer is {topic.owner}"
            )
        if type_name not in topic.types:
            raise PermanentError(f"type {type_name!r} is not declared on {topic.name}")
        entry = self.registry.latest(topic.name, type_name)
        self.registry.validate_data(entry, data)
        seq = len(self.outputs)
        envelope = Envelope(
            id=derived_id(f"{self.envelope.id}/{self.service}/{seq}"),
            source=service_source(self.service),
            type=type_name,
            subject=subject,
            time=time or now_rfc3339(),
            dataschema=entry.id,
            data=data,
            correlationid=self.envelope.correlationid or self.envelope.id,
            causationid=self.envelope.id,
            actor=actor if actor is not None else self.envelope.actor,
        )
        self.outputs.append(Emitted(topic, envelope, self.trace.child()))
        return envelope
