"""Read-your-writes through Postgres outages: cut connections, and sessions the server ends.

The outage is a TCP proxy between the waiter and Postgres that is cut and restored, so the
stack's Postgres keeps running for the projector (and anyone else).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pytest

from streams.http.read_your_writes import AppliedWaiter
from tests.integration.test_readmodel_applied import Projection, _listening, event, projection

pytestmark = pytest.mark.integration
__all__ = ["projection"]  # the fixture, shared


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
