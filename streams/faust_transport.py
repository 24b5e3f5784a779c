"""A Faust Kafka transport whose consumer hands records to the streams in batches.

Faust's stock consumer wraps *every* record in ``wait_first(callback, suspend_flow)``, which
creates two asyncio tasks per record; that alone capped a worker at ~6k records/s here. This
consumer guards a whole fetched batch with one ``wait_first``. Semantics are unchanged: when
flow is suspended (a rebalance), delivery of the rest of the batch is abandoned and the read
offset stays at the last delivered record, exactly as for the single record Faust abandons,
and those records are fetched again after the rebalance.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

SCHEME = "dafnck"


class BatchingConsumer(faust_aiokafka.Consumer):
    """aiokafka-backed Faust consumer that delivers each fetched batch under one guard."""

    async def _drain_messages(self, fetcher: Any) -> None:
        callback = self.callback
        getmany = self.getmany
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for

        async def deliver(batch: list[tuple[Any, Any]]) -> None:
            for tp, message in batch:
                offset = message.offset
                last = read_offset[tp]
                if last is not None and offset < last:
                    continue  # already delivered before a seek
                if last and offset - last > 1 and acks_enabled_for(message.topic):
                    # Compacted or transactional gaps must count as acked for commits.
                    await self._add_gap(tp, last + 1, offset)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
                await callback(message)
                read_offset[tp] = offset

        try:
            while not (consumer_stopped() or fetcher_stopped()):
                batch = [item async for item in getmany(timeout=1.0)]
                await asyncio.sleep(0)
                if batch and not self.should_stop:
                    await self.wait_first(deliver(batch), self.suspend_flow.wait())
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise


class Transport(faust_aiokafka.Transport):
    """The aiokafka transport with the batching consumer."""

    Consumer = BatchingConsumer


def register() -> None:
    """Make ``dafnck://host:port`` broker URLs select this transport."""
    TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
