"""Read-your-writes on a real Postgres: projectors record applied commands, the edge is notified.

A throwaway schema per test; a minimal projector (idempotent by event id, like the contexts')
records what it newly applied. The outage is a TCP proxy between the waiter and Postgres that
is cut and restored (test_readmodel_applied_outage).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiopg
import pytest

from streams.envelope import Envelope, new_envelope
from streams.http.read_your_writes import AppliedWaiter
from streams.readmodel_applied import applied_commands_ddl, record_applied

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)


@dataclass
class Projection:
    """A schema with ``applied_commands`` and a projector that applies each event id once."""

    pool: aiopg.Pool
    schema: str

    async def project(self, *events: Envelope) -> int:
        async with self.pool.acquire() as conn, conn.cursor() as cur, cur.begin():
            await cur.execute(
                f"INSERT INTO {self.schema}.processed_events (event_id)"
                " SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                ([e.id for e in events],),
            )
            fresh = {row[0] for row in await cur.fetchall()}
            # Only what was not applied before counts: redelivery must not add up.
            await record_applied(cur, self.schema, [e for e in events if e.id in fresh])
        return len(fresh)

    async def count(self, command_id: str) -> int:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(
                f"SELECT events FROM {self.schema}.applied_commands WHERE command_id = %s",
                (command_id,),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0


def event(causationid: str) -> Envelope:
    envelope = new_envelope(
        source="/things", type="ThingCreated", subject="t", dataschema="x", data={}
    )
    return replace(envelope, causationid=causationid)


@pytest.fixture
async def projection(database_url: str) -> AsyncIterator[Projection]:
    schema = f"ryw_{uuid.uuid4().hex[:12]}"
    async with aiopg.create_pool(database_url, minsize=1, maxsize=3) as pool:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"CREATE SCHEMA {schema}")
            await cur.execute(applied_commands_ddl(schema))
            await cur.execute(f"CREATE TABLE {schema}.processed_events (event_id text PRIMARY KEY)")
        try:
            yield Projection(pool, schema)
        finally:
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute(f"DROP SCHEMA {schema} CASCADE")


async def _listening(waiter: AppliedWaiter, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not waiter.listening:
        assert time.monotonic() < deadline, "the waiter never listened"
        await asyncio.sleep(0.02)


@pytest.fixture
async def waiter(database_url: str) -> AsyncIterator[AppliedWaiter]:
    applied = AppliedWaiter(database_url)
    await applied.start()
    await _listening(applied)
    yield applied
    await applied.stop()


async def test_a_waiter_registered_before_the_projection_wakes_on_its_notify(
    projection: Projection, waiter: AppliedWaiter
) -> None:
    latencies = []
    for _ in range(20):
        command = str(uuid.uuid4())
        woke_at: list[float] = []

        async def wait(command: str = command, woke_at: list[float] = woke_at) -> bool:
            shown = await waiter.wait(projection.schema, command, 2, 5.0)
            woke_at.append(time.perf_counter())
            return shown

        task = asyncio.create_task(wait())
        await asyncio.sleep(0.05)  # registered, looked once, now waiting
        assert not task.done()
        await projection.project(event(command))
        await asyncio.sleep(0.05)
        assert not task.done()  # one of two: not yet
        await projection.project(event(command))
        committed = time.perf_counter()
        assert await asyncio.wait_for(task, 5.0)
        latencies.append((woke_at[0] - committed) * 1000)
    latencies.sort()
    print(f"notify->wake latency ms: median {latencies[10]:.2f} max {latencies[-1]:.2f}")
    assert latencies[10] < 100


async def test_a_waiter_registered_after_the_projection_finds_the_row(
    projection: Projection, waiter: AppliedWaiter
) -> None:
    command = str(uuid.uuid4())
    await projection.project(event(command), event(command), event(command))
    started = time.perf_counter()
    assert await waiter.wait(projection.schema, command, 3, 2.0)
    assert time.perf_counter() - started < 0.5
    assert not await waiter.wait(projection.schema, command, 4, 0.3)  # bounded by its timeout


async def test_redelivered_events_do_not_count_twice(
    projection: Projection, waiter: AppliedWaiter
) -> None:
    command = str(uuid.uuid4())
    first, second = event(command), event(command)
    assert await projection.project(first, second) == 2
    assert await projection.project(first, second) == 0
    assert await projection.project(second) == 0
    assert await projection.count(command) == 2
    started = time.perf_counter()
    assert not await waiter.wait(projection.schema, command, 3, 0.4)
    assert 0.35 < time.perf_counter() - started < 1.0


async def test_many_commands_in_one_batch_are_notified_in_chunks(
    projection: Projection, waiter: AppliedWaiter
) -> None:
    # 600 ids of 36 characters: about 22 kB, three NOTIFY payloads under 8000 bytes each.
    commands = [str(uuid.uuid4()) for _ in range(600)]
    waits = [
        asyncio.create_task(waiter.wait(projection.schema, c, 1, 5.0))
        for c in (commands[0], commands[299], commands[-1])
    ]
    await asyncio.sleep(0.1)
    await projection.project(*(event(c) for c in commands))
    assert await asyncio.wait_for(asyncio.gather(*waits), 5.0) == [True, True, True]
