"""The edge's side of request/reply: send a command, then its reply or, past the deadline, its id.

A command is made known in Redis (``pending``) before it is published, its reply is awaited
in-process, and every reply any replica reads is recorded, so a caller that got ``Pending``
can ask any replica later. Nothing here ever reports success without the service's reply.
Getting a command into Kafka has its own deadline (``send_timeout_s``); past it the caller
learns that Kafka or Redis is unavailable instead of waiting for the outage to end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis.asyncio import Redis

import topics
from streams.commands.caused import NOTHING, Caused
from streams.commands.gate import CommandInDoubt, CommandNotSent, KafkaGate
from streams.commands.idempotency import IdempotencyKey, IdempotencyStore
from streams.commands.listener import Heard, ReplyListener
from streams.commands.replies import Reply, replies_topic_name
from streams.commands.store import CommandRecords, CommandStatus
from streams.envelope import Envelope
from streams.producer import EventPublisher
from streams.registry import SchemaRegistry
from topics import TopicSpec

DEFAULT_TIMEOUT_S = 5.0
# How long getting a command into Kafka may take (Redis bookkeeping, then Kafka's ack) before
# the caller is told it is unavailable; within DEFAULT_TIMEOUT_S, the whole request's deadline.
DEFAULT_SEND_TIMEOUT_S = 3.0
REPLIES_KIND = "replies"
T = TypeVar("T")

log = logging.getLogger("dafnck.commands")


@dataclass(frozen=True)
class Completed:
    """The service answered within the deadline; ``caused``: the events it caused, by topic.

    ``caused`` is empty for a rejection, a reply read back from the status record, or one
    from a worker that does not tell (no ``dafnck-caused`` header).
    """

    reply: Reply
    caused: Caused = field(default=NOTHING)


@dataclass(frozen=True)
class Pending:
    """No answer yet; the command's status is at ``/api/commands/<command_id>``."""

    command_id: str


Outcome = Completed | Pending


def default_reply_topics() -> tuple[TopicSpec, ...]:
    """Every replies topic of the catalog."""
    # Compared by value so this needs no TopicKind.REPLIES member until the catalog has one.
    return tuple(t for t in topics.all_topics() if t.kind.value == REPLIES_KIND)


class CommandBus:
    """Publishes commands and matches their replies; start it with the edge app."""

    def __init__(
        self,
        bootstrap: str,
        redis: Redis,
        *,
        replies: tuple[TopicSpec, ...] | list[TopicSpec] | None = None,
        registry: SchemaRegistry | None = None,
        source: str = "/dafnck/edge",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
    ) -> None:
        reply_topics = default_reply_topics() if replies is None else tuple(replies)
        self.timeout_s = timeout_s
        self.send_timeout_s = send_timeout_s
        self.publisher = EventPublisher(bootstrap, source=source, registry=registry)
        self.gate = KafkaGate(self.publisher.reachable)
        self.records = CommandRecords(redis)
        self.idempotency = IdempotencyStore(redis)
        self._reply_topics = frozenset(t.name for t in reply_topics)
        self.listener = ReplyListener(bootstrap, sorted(self._reply_topics), self._record)
        self._cleanups: set[asyncio.Future[None]] = set()

    async def start(self) -> None:
        """Start listening (positions pinned) before the first command can be sent."""
        await self.listener.start()
        try:
            await self.publisher.__aenter__()
        except BaseException:
            await self.listener.stop()
            raise

    async def stop(self) -> None:
        """Stop the producer and the listener."""
        await self.publisher.__aexit__(None, None, None)
        await self.listener.stop()

    async def __aenter__(self) -> CommandBus:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def build(
        self,
        spec: TopicSpec,
        type_name: str,
        subject: str,
        data: dict[str, Any],
        *,
        actor: str | None = None,
        correlationid: str | None = None,
    ) -> Envelope:
        """The command's envelope, validated: SchemaViolation names the field at fault."""
        if replies_topic_name(spec.name) not in self._reply_topics:
            raise ValueError(f"no replies topic is read for {spec.name}; its replies would be lost")
        return self.publisher.build(
            spec, type_name, data, subject=subject, actor=actor, correlationid=correlationid
        )

    async def send(
        self,
        spec: TopicSpec,
        envelope: Envelope,
        *,
        idempotency: IdempotencyKey | None = None,
        timeout_s: float | None = None,
    ) -> Outcome:
        """Publish a built command and await its reply until the deadline."""
        # With an idempotency key already used for the same request nothing is published:
        # the first command's outcome is awaited instead (IdempotencyConflict if it differs).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout_s or self.timeout_s)
        # Kafka's acknowledgement has its own deadline, whatever the reply's: a caller that
        # waits for no reply (a tiny ``timeout_s``) must not take a healthy broker for down.
        sent_by = loop.time() + self.send_timeout_s
        if idempotency is not None:
            claim = self.idempotency.claim(idempotency, envelope.id)
            earlier = await _within(sent_by, "redis", claim)
            if earlier is not None:
                return await self.wait(earlier, deadline=deadline)
        # Registered before publishing: the reply can arrive before the publish is acked.
        waiter = self.listener.expect(envelope.id)
        try:
            try:
                await self.gate.admit()
                pending = self.records.put_pending(envelope.id, envelope.type, envelope.actor)
                await _within(sent_by, "redis", pending)
                # Queued within the deadline, or not at all (metadata of a topic never seen).
                queued = await _within(sent_by, "kafka", self.publisher.send_soon(spec, envelope))
            except Exception:
                await self._unsend(envelope.id, idempotency)
                raise
            await self._acknowledged(queued, envelope.id, idempotency, sent_by)
            return await self._await(waiter, envelope.id, deadline)
        finally:
            self.listener.forget(envelope.id, waiter)

    async def wait(self, command_id: str, *, deadline: float | None = None) -> Outcome:
        """Await the reply to a command sent earlier (by any replica)."""
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self.timeout_s
        # Waiter first, record second: a reply recorded in between is seen by one of them.
        waiter = self.listener.expect(command_id)
        try:
            known = await self.records.get(command_id)
            if known is not None and known.reply is not None:
                return Completed(known.reply, known.caused)
            return await self._await(waiter, command_id, deadline)
        finally:
            self.listener.forget(command_id, waiter)

    async def status(self, command_id: str) -> CommandStatus | None:
        """What is known of a command; None when unknown or expired."""
        return await self.records.get(command_id)

    async def _await(
        self, waiter: asyncio.Future[Heard], command_id: str, deadline: float
    ) -> Outcome:
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            reply, caused = await asyncio.wait_for(waiter, max(remaining, 0.0))
            return Completed(reply, caused)
        except TimeoutError:
            return Pending(command_id)

    async def _acknowledged(
        self,
        queued: asyncio.Future[Any],
        command_id: str,
        idempotency: IdempotencyKey | None,
        sent_by: float,
    ) -> None:
        remaining = max(sent_by - asyncio.get_running_loop().time(), 0.0)
        try:
            await asyncio.wait_for(asyncio.shield(queued), remaining)
        except TimeoutError:
            # Still in the producer's buffer: delivered if Kafka returns while we run. Its key
            # and status stay, so a retry with the same key cannot send it twice, unless the
            # delivery fails for good, when the command is forgotten as never sent.
            self.gate.close(f"command {command_id} not acknowledged in time")
            queued.add_done_callback(
                lambda done: self._undelivered(done, command_id, idempotency)
            )
            raise CommandInDoubt(command_id) from None
        except Exception:
            await self._unsend(command_id, idempotency)
            raise

    def _undelivered(
        self, done: asyncio.Future[Any], command_id: str, idempotency: IdempotencyKey | None
    ) -> None:
        if done.cancelled() or done.exception() is not None:
            task = asyncio.ensure_future(self._unsend(command_id, idempotency))
            self._cleanups.add(task)
            task.add_done_callback(self._cleanups.discard)

    async def _record(self, envelope: Envelope, reply: Reply, caused: Caused) -> None:
        await self.records.put_reply(
            reply, actor=envelope.actor, reply_id=envelope.id, caused=caused
        )

    async def _unsend(self, command_id: str, idempotency: IdempotencyKey | None) -> None:
        # Publishing failed, so the command does not exist: say so, and let a retry with the
        # same key send it afresh. Errors here must not hide the original failure.
        try:
            await self.records.forget(command_id)
            if idempotency is not None:
                await self.idempotency.release(idempotency, command_id)
        except Exception:
            log.exception("cleaning up an unsent command failed", extra={"command_id": command_id})


async def _within(deadline: float, dependency: str, step: Awaitable[T]) -> T:
    """``step``'s result, or CommandNotSent naming ``dependency`` when it misses the deadline."""
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        return await asyncio.wait_for(step, max(remaining, 0.0))
    except TimeoutError:
        raise CommandNotSent(dependency, f"{dependency} did not answer in time") from None
