"""Reading replies on every edge replica: all partitions, no consumer group, from the end.

Each replica must see every reply (it cannot know which replica a command's caller is
waiting on), so there is no group to share partitions in; and a replica only cares about
replies to commands sent after it started, so it begins at the end of each partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.commands.replies import REPLY_TYPES, Reply, ReplyInvalid
from streams.envelope import Envelope, EnvelopeError, decode
from streams.topic_admin.cluster import admin_session, describe

OnReply = Callable[[Envelope, Reply], Awaitable[None]]

log = logging.getLogger("dafnck.commands")


class ReplyListener:
    """Consumes reply topics; resolves in-process waiters after ``on_reply`` has run."""

    def __init__(self, bootstrap: str, topics: Sequence[str], on_reply: OnReply) -> None:
        if not topics:
            raise ValueError("a reply listener needs at least one replies topic")
        self.bootstrap = bootstrap
        self.topics = tuple(topics)
        self.on_reply = on_reply
        self._waiters: dict[str, set[asyncio.Future[Reply]]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Assign every partition and pin its position at the current end before returning."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            isolation_level="read_committed",
        )
        partitions = await self._partitions()
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            # seek_to_end is lazy; resolving each position now means a reply produced after
            # start() returns (the earliest a command can be sent) is never skipped.
            for tp in partitions:
                await consumer.position(tp)
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer), name="reply-listener")

    async def stop(self) -> None:
        """Stop consuming; waiters still pending are left to their timeouts."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    def expect(self, command_id: str) -> asyncio.Future[Reply]:
        """A future the reply to ``command_id`` resolves; register it before sending."""
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(command_id, set()).add(future)
        return future

    def forget(self, command_id: str, future: asyncio.Future[Reply]) -> None:
        """Drop a waiter (answered or timed out)."""
        waiters = self._waiters.get(command_id)
        if waiters is not None:
            waiters.discard(future)
            if not waiters:
                del self._waiters[command_id]

    async def _partitions(self) -> list[TopicPartition]:
        # Every partition as the cluster has it (it may have grown past the catalog); asking
        # the admin API lists topics without a Metadata request that could auto-create them.
        async with admin_session(self.bootstrap) as admin:
            cluster = await describe(admin, [])
        found: list[TopicPartition] = []
        for name in self.topics:
            if name not in cluster:
                raise RuntimeError(
                    f"replies topic {name!r} does not exist: run `dafnck topics apply`"
                )
            found.extend(TopicPartition(name, p) for p in range(cluster[name].partitions))
        return found

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=500)
            except Exception:
                log.exception("reading replies failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for records in batch.values():
                for record in records:
                    await self._handle(record)

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            envelope = decode(record.value)
            if envelope.type not in REPLY_TYPES:
                raise ReplyInvalid(f"type {envelope.type!r} is not a reply")
            reply = Reply.from_data(envelope.data)
        except (EnvelopeError, ReplyInvalid) as exc:
            # The edge is no place to dead-letter a service's output; say so and move on.
            log.warning(
                "unusable reply skipped",
                extra={"topic": record.topic, "offset": record.offset, "error": str(exc)},
            )
            return
        try:
            await self.on_reply(envelope, reply)
        except Exception:
            # Recording failed (Redis down?): the waiters here still deserve their answer.
            log.exception("recording reply failed", extra={"command_id": reply.command_id})
        for future in self._waiters.pop(reply.command_id, set()):
            if not future.done():
                future.set_result(reply)
