"""Commands as request/reply over Kafka: the service's reply helpers and the edge's bus.

A command travels on ``<context>-commands`` keyed by its aggregate; the service answers on
``<context>-replies`` keyed by the command id with ``CommandSucceeded`` or
``CommandRejected``; the edge matches the answer to its caller, or answers 202 with the
command's status URL when the deadline passes first.
"""

from __future__ import annotations

from streams.commands.caused import Caused
from streams.commands.client import CommandBus, Completed, Outcome, Pending, default_reply_topics
from streams.commands.gate import CommandInDoubt, CommandNotSent
from streams.commands.idempotency import (
    IdempotencyConflict,
    IdempotencyKey,
    InvalidIdempotencyKey,
    fingerprint,
)
from streams.commands.replies import (
    REJECTED,
    REPLY_TYPES,
    SUCCEEDED,
    Reply,
    ReplyError,
    ReplyInvalid,
    ReplyStatus,
    replies_topic_name,
)
from streams.commands.reply_schema import reply_schemas
from streams.commands.service import Rejection, reject, replies_topic, reply, replying, succeed
from streams.commands.store import CommandStatus

__all__ = [
    "REJECTED",
    "REPLY_TYPES",
    "SUCCEEDED",
    "Caused",
    "CommandBus",
    "CommandInDoubt",
    "CommandNotSent",
    "CommandStatus",
    "Completed",
    "IdempotencyConflict",
    "IdempotencyKey",
    "InvalidIdempotencyKey",
    "Outcome",
    "Pending",
    "Rejection",
    "Reply",
    "ReplyError",
    "ReplyInvalid",
    "ReplyStatus",
    "default_reply_topics",
    "fingerprint",
    "reject",
    "replies_topic",
    "replies_topic_name",
    "reply",
    "reply_schemas",
    "replying",
    "succeed",
]
