"""Reading topics on every replica: all partitions, no consumer group, from the end.

Used where each replica must see every record because it cannot know which of them holds
the interested party (a command's caller, an agent's connection), and only records produced
after it started matter, so it begins at the end of each partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.kafka_admin.cluster import admin_session, describe

OnRecord = Callable[[ConsumerRecord], Awaitable[None]]

log = logging.getLogger("dafnck.fanout")


class FanoutReader:
    """Consumes every partition of some topics from their end and hands each record on."""

    def __init__(self, bootstrap: str, topics: Sequence[str], on_record: OnRecord) -> None:
        if not topics:
            raise ValueError("a fan-out reader needs at least one topic")
        self.bootstrap = bootstrap
        self.topics = tuple(topics)
        self.on_record = on_record
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
            # seek_to_end is lazy; resolving each position now means a record produced after
            # start() returns is never skipped.
            for tp in partitions:
                await consumer.position(tp)
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer), name=f"fanout:{self.topics[0]}")

    async def stop(self) -> None:
        """Stop consuming."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _partitions(self) -> list[TopicPartition]:
        # Every partition as the cluster has it (it may have grown past the catalog); asking
        # the admin API lists topics without a Metadata request that could auto-create them.
        async with admin_session(self.bootstrap) as admin:
            cluster = await describe(admin, [])
        found: list[TopicPartition] = []
        for name in self.topics:
            if name not in cluster:
                raise RuntimeError(f"topic {name!r} does not exist: run `dafnck topics apply`")
            found.extend(TopicPartition(name, p) for p in range(cluster[name].partitions))
        return found

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=500)
            except Exception:
                log.exception("reading failed; retrying", extra={"topics": self.topics})
                await asyncio.sleep(1.0)
                continue
            for records in batch.values():
                for record in records:
                    try:
                        await self.on_record(record)
                    except Exception:
                        log.exception("handling a record failed", extra={"topic": record.topic})
