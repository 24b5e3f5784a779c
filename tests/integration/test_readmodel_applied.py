"""Read-your-writes on a real Postgres: projectors record applied commands, the edge is notified.

A throwaway schema per test; a minimal projector (idempotent by event id, like the contexts')
records what it newly applied. The outage is a TCP proxy between the waiter and Postgres that
is cut and restored: the shared Postgres itself keeps running for everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit, urlunsplit

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


@dataclass
class CuttableProxy:
    """A TCP proxy to Postgres whose connections can all be cut, and then let through again."""

    target: tuple[str, int]
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def open(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()


def _through(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    userinfo, _, _hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def test_an_outage_ends_waits_at_their_timeout_and_later_waits_work_again(
    projection: Projection, database_url: str
) -> None:
    parts = urlsplit(database_url)
    proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    await proxy.open()
    applied = AppliedWaiter(_through(database_url, proxy.port), reconnect_s=0.2)
    await applied.start()
    try:
        await _listening(applied)
        before = str(uuid.uuid4())
        await projection.project(event(before))
        assert await applied.wait(projection.schema, before, 1, 2.0)  # pool connection made

        await proxy.cut()
        during = str(uuid.uuid4())
        waiting = asyncio.create_task(applied.wait(projection.schema, during, 1, 1.0))
        started = time.perf_counter()
        await projection.project(event(during))  # applied, but nobody can tell the waiter
        assert await waiting is False
        elapsed = time.perf_counter() - started
        print(f"wait during the outage returned False after {elapsed * 1000:.0f} ms (timeout 1000)")
        assert elapsed < 1.5
        assert not applied.listening

        await proxy.open()  # Postgres is back (same port)
        await _listening(applied)
        assert await applied.wait(projection.schema, during, 1, 2.0)  # the table, looked up again
        after = str(uuid.uuid4())
        waiting = asyncio.create_task(applied.wait(projection.schema, after, 1, 3.0))
        await asyncio.sleep(0.05)
        await projection.project(event(after))
        assert await asyncio.wait_for(waiting, 3.0)  # notified again
    finally:
        await applied.stop()
        with contextlib.suppress(Exception):
            await proxy.cut()


async def test_a_wait_registered_during_the_outage_sees_the_projection_once_back(
    projection: Projection, database_url: str
) -> None:
    parts = urlsplit(database_url)
    proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    await proxy.open()
    applied = AppliedWaiter(_through(database_url, proxy.port), reconnect_s=0.2)
    await applied.start()
    try:
        await _listening(applied)
        await proxy.cut()
        command = str(uuid.uuid4())
        waiting = asyncio.create_task(applied.wait(projection.schema, command, 1, 5.0))
        await asyncio.sleep(0.3)
        await projection.project(event(command))  # its NOTIFY is lost on nobody's connection
        await proxy.open()
        # Reconnected, the listener wakes every waiter to look at the table once more.
        assert await asyncio.wait_for(waiting, 5.0)
    finally:
        await applied.stop()
        with contextlib.suppress(Exception):
            await proxy.cut()


async def test_connections_killed_by_the_server_are_made_again(
    projection: Projection, database_url: str
) -> None:
    # What a Postgres restart looks like from here: the server ends every session.
    name = f"ryw-{uuid.uuid4().hex[:8]}"
    joiner = "&" if "?" in database_url else "?"
    applied = AppliedWaiter(f"{database_url}{joiner}application_name={name}", reconnect_s=0.2)
    await applied.start()
    try:
        await _listening(applied)
        first = str(uuid.uuid4())
        await projection.project(event(first))
        assert await applied.wait(projection.schema, first, 1, 2.0)
        async with projection.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            )
            (killed,) = await cur.fetchone()
        assert killed >= 2  # the LISTEN connection and the pool's
        second = str(uuid.uuid4())
        waiting = asyncio.create_task(applied.wait(projection.schema, second, 1, 5.0))
        await asyncio.sleep(0.1)
        await projection.project(event(second))
        started = time.perf_counter()
        assert await asyncio.wait_for(waiting, 5.0)
        shown_ms = (time.perf_counter() - started) * 1000
        print(f"after the sessions were killed, shown in {shown_ms:.0f} ms")
        third = str(uuid.uuid4())
        await _listening(applied)
        waiting = asyncio.create_task(applied.wait(projection.schema, third, 1, 3.0))
        await asyncio.sleep(0.05)
        await projection.project(event(third))
        assert await asyncio.wait_for(waiting, 3.0)
    finally:
        await applied.stop()
