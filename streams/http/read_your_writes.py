"""Read-your-writes at the edge: wait until a read model has applied a command's events.

Projectors count the events they apply per causationid in ``<schema>.applied_commands`` and
NOTIFY ``dafnck_applied`` in the same transaction (``streams.readmodel_applied``). One
LISTEN connection per app wakes the requests waiting on those ids, which re-read the count;
nothing polls. A waiter registers before its first look at the table, so a projection that
commits in between is seen by one or the other.

Postgres down is no error here: the listener reconnects on its own (and wakes every waiter
to look again, since notifications sent meanwhile are lost), and a wait that cannot be
satisfied returns False at its timeout; the route answers anyway, as it would have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiopg
import psycopg2
from aiohttp import web

from streams.readmodel_applied import CHANNEL, parse_payload, schema_name

# How long the LISTEN connection may stay silent before it is checked with a query (a
# connection cut without a reset would otherwise look like a quiet one forever).
PING_S = 10.0
RECONNECT_S = 1.0
CONNECT_TIMEOUT_S = 3.0

log = logging.getLogger("dafnck.edge.read_your_writes")

Key = tuple[str, str]  # (schema, causationid)


class AppliedWaiter:
    """Waits for ``<schema>.applied_commands`` to count enough events of a command."""

    def __init__(
        self,
        dsn: str,
        *,
        ping_s: float = PING_S,
        reconnect_s: float = RECONNECT_S,
        pool_size: int = 4,
    ) -> None:
        self._dsn = dsn
        self._ping_s = ping_s
        self._reconnect_s = reconnect_s
        self._pool_size = pool_size
        self._waiters: dict[Key, set[asyncio.Event]] = {}
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pool: aiopg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._stopped = False

    @property
    def listening(self) -> bool:
        """True while the LISTEN connection is up."""
        return self._listening.is_set()

    async def start(self) -> None:
        """Start listening in the background; Postgres may come up later."""
        self._stopped = False
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="read-your-writes listener")

    async def stop(self) -> None:
        """Stop listening and close the query pool; pending waits run out their timeouts."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                await self._pool.wait_closed()
                self._pool = None

    async def wait(self, schema: str, command_id: str, expected: int, timeout_s: float) -> bool:
        """True once ``schema`` applied ``expected`` events of ``command_id``; False at timeout."""
        if expected <= 0:
            return True
        key = (schema_name(schema), command_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        woken = asyncio.Event()
        self._waiters.setdefault(key, set()).add(woken)
        try:
            while True:
                # Cleared before looking: a notification during the look means look again.
                woken.clear()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                if await self._applied(key, remaining) >= expected:
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(woken.wait(), remaining)
                except TimeoutError:
                    return False
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiters[key]

    async def _applied(self, key: Key, within_s: float) -> int:
        """The count recorded for ``key``; 0 when there is none or Postgres cannot say."""
        schema, command_id = key
        try:
            return await asyncio.wait_for(self._count(schema, command_id), within_s)
        except (psycopg2.Error, OSError, TimeoutError) as exc:
            log.debug("applied count unavailable", extra={"schema": schema, "error": repr(exc)})
            return 0

    async def _count(self, schema: str, command_id: str) -> int:
        pool = await self._open()
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(
                f"SELECT events FROM {schema}.applied_commands WHERE command_id = %s",
                (command_id,),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _open(self) -> aiopg.Pool:
        async with self._pool_lock:
            if self._stopped:
                raise OSError("read-your-writes is stopped")  # no pool opened after stop
            if self._pool is None:
                self._pool = await aiopg.create_pool(
                    self._dsn, minsize=0, maxsize=self._pool_size, timeout=CONNECT_TIMEOUT_S
                )
            return self._pool

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                async with await aiopg.connect(self._dsn, timeout=CONNECT_TIMEOUT_S) as conn:
                    async with conn.cursor() as cur:
                        await cur.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    if failures:
                        log.info("listening for applied commands again")
                    failures = 0
                    # Whatever was notified while nobody listened is lost: everyone looks.
                    self._wake_all()
                    await self._receive(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.warning(
                        "not listening for applied commands; reconnecting",
                        extra={"error": repr(exc)},
                    )
            finally:
                self._listening.clear()
            await asyncio.sleep(self._reconnect_s)

    async def _receive(self, conn: Any) -> None:
        while True:
            try:
                message = await asyncio.wait_for(conn.notifies.get(), self._ping_s)
            except TimeoutError:
                async with conn.cursor() as cur:
                    await asyncio.wait_for(cur.execute("SELECT 1"), self._ping_s)
                continue
            self._notified(message.payload)

    def _notified(self, payload: str) -> None:
        schema, ids = parse_payload(payload)
        for command_id in ids:
            for woken in self._waiters.get((schema, command_id), ()):
                woken.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for woken in waiters:
                woken.set()


APPLIED = web.AppKey("applied_waiter", AppliedWaiter)


def install_read_your_writes(app: web.Application, dsn: str) -> AppliedWaiter:
    """Give the app its AppliedWaiter, started and stopped with it."""
    waiter = AppliedWaiter(dsn)
    app[APPLIED] = waiter

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await waiter.start()
        yield
        await waiter.stop()

    app.cleanup_ctx.append(lifecycle)
    return waiter
