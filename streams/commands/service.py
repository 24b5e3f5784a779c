"""Answering commands inside a service: one reply per command on ``<context>-replies``.

A command handler is an ordinary kernel handler. It decides, changes its state, emits its
events, and answers with ``succeed``/``reject`` (or raises ``Rejection`` under ``replying``).
A domain refusal (name taken, not found) is a *reply*, never a dead letter: the caller is
owed the reason. A command whose envelope or data is invalid never reaches the handler; the
kernel dead-letters it. Replies are ordinary outputs, so the aggregate store's outbox
re-sends the very same reply (same id) when a command is redelivered.
"""

from __future__ import annotations

import copy
from typing import Any

import topics
from streams.commands.replies import (
    REPLY_TYPES,
    Reply,
    ReplyError,
    ReplyInvalid,
    ReplyStatus,
    replies_topic_name,
)
from streams.context import HandlerContext, PermanentError
from streams.envelope import Envelope
from streams.pipeline import Handler
from topics import TopicSpec


class Rejection(Exception):  # a decision of the domain, not a failure of the service
    """Raised by a command handler under ``replying`` to refuse the command with a reason."""

    def __init__(
        self, http_status: int, code: str, message: str, *, field: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.http_status = http_status
        self.error = ReplyError(code, message, field)


def replies_topic(ctx: HandlerContext) -> TopicSpec:
    """The catalog's replies topic for the command topic this command came from."""
    try:
        return topics.by_name(replies_topic_name(ctx.record.topic))
    except (KeyError, ValueError) as exc:
        # Not a <context>-commands topic (an internal step): the handler must name the topic.
        raise PermanentError(str(exc)) from None


def reply(
    ctx: HandlerContext,
    *,
    status: ReplyStatus = "succeeded",
    http_status: int | None = None,
    resource: dict[str, Any] | None = None,
    error: ReplyError | None = None,
    topic: TopicSpec | None = None,
    command_id: str | None = None,
    command_type: str | None = None,
) -> Envelope:
    """Queue the reply to the command in ``ctx``; produced with the handler's other outputs.

    ``command_id``/``command_type`` answer an earlier command instead, one that ``ctx``
    carries out as a later step (a command forwarded to another aggregate, say).
    """
    if (command_id is None) != (command_type is None):
        raise PermanentError("answering another command needs both command_id and command_type")
    if command_id is None or command_type is None:
        command_id, command_type = ctx.envelope.id, ctx.envelope.type
    if any(_is_reply(out.envelope, command_id) for out in ctx.outputs):
        raise PermanentError(f"command {command_id} is already answered")
    try:
        answer = Reply(command_id, command_type, status, http_status, resource, error)
    except ReplyInvalid as exc:
        raise PermanentError(f"invalid reply to {command_type}: {exc}") from None
    # The kernel keys an output by its subject: the command id as subject puts the reply on
    # the key each edge replica matches its pending commands by.
    return ctx.emit(topic or replies_topic(ctx), answer.type_name, command_id, answer.to_data())


def succeed(
    ctx: HandlerContext,
    resource: dict[str, Any] | None = None,
    *,
    http_status: int | None = None,
    topic: TopicSpec | None = None,
    command_id: str | None = None,
    command_type: str | None = None,
) -> Envelope:
    """Answer that the command was carried out, with the resulting resource."""
    return reply(
        ctx,
        http_status=http_status,
        resource=resource,
        topic=topic,
        command_id=command_id,
        command_type=command_type,
    )


def reject(
    ctx: HandlerContext,
    http_status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    status: ReplyStatus = "rejected",
    topic: TopicSpec | None = None,
    command_id: str | None = None,
    command_type: str | None = None,
) -> Envelope:
    """Answer that the command was refused (or failed), saying why."""
    return reply(
        ctx,
        status=status,
        http_status=http_status,
        error=ReplyError(code, message, field),
        topic=topic,
        command_id=command_id,
        command_type=command_type,
    )


def replying(handler: Handler, *, topic: TopicSpec | None = None) -> Handler:
    """Wrap a command handler: a ``Rejection`` becomes a rejected reply with no other effect."""

    # The wrapped handler must answer (succeed/reject) or raise Rejection; returning without
    # an answer is a bug, dead-lettered rather than leaving the caller waiting for nothing.
    async def run(ctx: HandlerContext) -> None:
        before = copy.deepcopy(ctx.state)
        try:
            await handler(ctx)
        except Rejection as refusal:
            # A refused command changes nothing: no state, and none of the events the
            # handler may have emitted before it decided to refuse.
            ctx.state = before
            ctx.outputs.clear()
            err = refusal.error
            reject(ctx, refusal.http_status, err.code, err.message, field=err.field, topic=topic)
            return
        if not any(_is_reply(out.envelope, ctx.envelope.id) for out in ctx.outputs):
            raise PermanentError(f"handler for {ctx.envelope.type} returned without replying")

    return run


def _is_reply(envelope: Envelope, command_id: str) -> bool:
    return envelope.type in REPLY_TYPES and envelope.subject == command_id
