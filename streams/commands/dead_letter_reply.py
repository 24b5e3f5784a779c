"""A dead-lettered command is answered: ``CommandRejected`` with the dead-letter reason.

A command the pipeline sets aside (poison, schema-invalid, a handler that failed every
attempt) would otherwise leave its caller at ``202 pending`` forever. The pipeline that
dead-letters it also queues this reply, so the waiting request, and the command's status,
say ``rejected`` and why.

Nothing doubled: the reply's id is derived from the command's, so a command dead-lettered
again after a redelivery answers with the very same reply, and the edge records it once per
command id whatever it reads twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

import topics
from streams import deadletter
from streams.commands.replies import (
    COMMANDS_SUFFIX,
    REJECTED,
    Reply,
    ReplyError,
    replies_topic_name,
)
from streams.context import derived_id
from streams.deadletter import Failure
from streams.envelope import Envelope, EnvelopeError, decode, now_rfc3339
from streams.pipeline import CORRELATION_HEADER
from streams.records import Headers, Record
from streams.registry import SchemaRegistry
from streams.tracing import TRACEPARENT, new_trace, trace_from_headers
from topics import TopicKind, TopicSpec

# Every reason answers 422: resending the same command would be set aside again.
DEAD_LETTERED_STATUS = 422

log = logging.getLogger("dafnck.commands")


def catalog_replies_for(topic: TopicSpec, service: str) -> TopicSpec | None:
    """Where ``service`` answers the commands of ``topic`` (None: nobody waits on them)."""
    if topic.kind is not TopicKind.COMMANDS:
        return None
    candidates: list[TopicSpec] = []
    if topic.name.endswith(COMMANDS_SUFFIX):
        candidates = [t for t in topics.all_topics() if t.name == replies_topic_name(topic.name)]
    else:
        # An internal step topic (user-registrations): its records answer an earlier command
        # on the replies topic the service writes.
        candidates = [
            t for t in topics.all_topics() if t.kind is TopicKind.REPLIES and t.owner == service
        ]
    return candidates[0] if len(candidates) == 1 else None


@dataclass(frozen=True)
class OutgoingReply:
    """A reply ready for a ``Sender``: topic, key, value and headers."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers
    envelope: Envelope


def answered_command(topic: TopicSpec, envelope: Envelope) -> tuple[str, str] | None:
    """(command id, command type) a record of ``topic`` answers; None when nobody waits."""
    data: Any = envelope.data
    if isinstance(data, dict):
        command_id, command_type = data.get("command_id"), data.get("command_type")
        # A later step of an earlier command carries that command's id and type.
        if isinstance(command_id, str) and isinstance(command_type, str) and command_id:
            return command_id, command_type
    if topic.name.endswith(COMMANDS_SUFFIX):
        return envelope.id, envelope.type
    return None  # an internal record no caller waits on (a clock tick)


def rejection_error(failure: Failure, dlq_topic: str) -> ReplyError:
    """What the caller is told: the dead-letter reason as the code, and what to do."""
    code = failure.reason.replace("-", "_")
    if failure.reason == deadletter.HANDLER_ERROR:
        # The exception text is for operators (it is on the DLQ record), not for callers.
        tries = f" after {failure.attempts} attempts" if failure.attempts else ""
        message = (
            f"the service could not carry out this command{tries}; it was set aside "
            f"(dead-lettered: {failure.reason}) for an operator on {dlq_topic}"
        )
        return ReplyError(code, message)
    message = f"the command was set aside (dead-lettered: {failure.reason}): {failure.detail}"
    return ReplyError(code, message[:1000], _field(failure.path))


def dead_letter_reply(
    record: Record,
    failure: Failure,
    *,
    topic: TopicSpec,
    replies: TopicSpec,
    service: str,
    registry: SchemaRegistry,
) -> OutgoingReply | None:
    """The CommandRejected answering a dead-lettered record; None when nobody waits on it."""
    try:
        command = decode(record.value)
    except EnvelopeError:
        return None  # no id to answer: no caller can be waiting on bytes that are no command
    answered = answered_command(topic, command)
    if answered is None:
        return None
    command_id, command_type = answered
    reply = Reply(
        command_id,
        command_type,
        "rejected",
        DEAD_LETTERED_STATUS,
        error=rejection_error(failure, topic.dlq),
    )
    envelope = Envelope(
        id=derived_id(f"{command.id}/{service}/dead-lettered"),
        source=f"/dafnck/{service}",
        type=REJECTED,
        subject=command_id,
        time=now_rfc3339(),
        dataschema=registry.latest(replies.name, REJECTED).id,
        data=reply.to_data(),
        correlationid=command.correlationid or command.id,
        causationid=command.id,
        actor=command.actor,
    )
    registry.check(replies, envelope)
    trace = trace_from_headers(record.headers) or new_trace()
    headers: Headers = [
        (TRACEPARENT, trace.child().header.encode()),
        (CORRELATION_HEADER, str(envelope.correlationid or "").encode()),
    ]
    value = orjson.dumps(envelope.to_dict())
    return OutgoingReply(replies.name, command_id.encode(), value, headers, envelope)


def _field(path: str | None) -> str | None:
    # "$.data.name" -> "name": the caller knows its command's fields, not the envelope.
    if not path or not path.startswith("$.data."):
        return None
    return path.removeprefix("$.data.") or None
