"""Dead-lettering: a record the pipeline cannot use goes, byte for byte, to ``<topic>.dlq``.

The reason and the record's origin travel in headers so an operator (or a replay tool) can
see why it failed and where it came from; the original headers are kept as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.envelope import Envelope, is_from_service, now_rfc3339, service_source
from streams.records import Headers, Record, Sender
from topics import TopicSpec

REASON = "dlq.reason"
DETAIL = "dlq.detail"
PATH = "dlq.path"
ORIGINAL_TOPIC = "dlq.original.topic"
ORIGINAL_PARTITION = "dlq.original.partition"
ORIGINAL_OFFSET = "dlq.original.offset"
SERVICE = "dlq.service"
FAILED_AT = "dlq.failed.at"
ATTEMPTS = "dlq.attempts"

# The reasons a record is dead-lettered, as they appear in the ``dlq.reason`` header.
NOT_JSON = "not-json"
NOT_ENVELOPE = "not-envelope"
UNKNOWN_TYPE = "unknown-type"
SCHEMA_INVALID = "schema-invalid"
HANDLER_ERROR = "handler-error"
# An event on a topic that a read model follows, but not written by the topic's owner.
FOREIGN_SOURCE = "foreign-source"
REASONS = (NOT_JSON, NOT_ENVELOPE, UNKNOWN_TYPE, SCHEMA_INVALID, HANDLER_ERROR, FOREIGN_SOURCE)

_MAX_DETAIL = 1000


@dataclass(frozen=True)
class Failure:
    """Why a record could not be processed."""

    reason: str
    detail: str
    path: str | None = None
    attempts: int = 0


def foreign_source(topic: TopicSpec, envelope: Envelope) -> Failure | None:
    """A ``foreign-source`` failure unless the envelope comes from the topic's single writer.

    Read models only project what the owning service decided: an event someone else put
    on the topic (by hand, or a misbehaving client) would show a resource its owner never
    saw. The check holds against mistakes, not forgery; Kafka ACLs keep writers out.
    """
    if is_from_service(envelope.source, topic.owner):
        return None
    writer = service_source(topic.owner)
    detail = f"source {envelope.source!r} is not {topic.name}'s writer ({writer})"
    return Failure(FOREIGN_SOURCE, detail, "$.source")


def dead_letter_headers(record: Record, failure: Failure, service: str) -> Headers:
    """The original headers followed by the ``dlq.*`` headers describing the failure."""
    ours: Headers = [
        (REASON, failure.reason.encode()),
        (DETAIL, failure.detail[:_MAX_DETAIL].encode("utf-8", "replace")),
        (ORIGINAL_TOPIC, record.topic.encode()),
        (ORIGINAL_PARTITION, str(record.partition).encode()),
        (ORIGINAL_OFFSET, str(record.offset).encode()),
        (SERVICE, service.encode()),
        (FAILED_AT, now_rfc3339().encode()),
    ]
    if failure.path:
        ours.append((PATH, failure.path.encode()))
    if failure.attempts:
        ours.append((ATTEMPTS, str(failure.attempts).encode()))
    kept = [(k, v) for k, v in record.headers if not k.startswith("dlq.")]
    return kept + ours


async def dead_letter(
    sender: Sender, spec: TopicSpec, record: Record, failure: Failure, service: str
) -> None:
    """Send the record's original bytes to the topic's dead-letter twin."""
    await sender.send(
        spec.dlq, record.key, record.value or b"", dead_letter_headers(record, failure, service)
    )
