"""A service read model's Postgres connection: an aiopg pool opened on first use.

Postgres may start after the edge, and a worker creates its schema when it starts, so the
edge opens the pool lazily and reports "not there yet" as ``ReadModelUnavailable`` (the
routes answer 503) rather than as a bug.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiopg
import psycopg2
from psycopg2 import errors as pg_errors

log = logging.getLogger("dafnck.readmodel")

# A missing schema or table means the worker has not migrated yet: not ready, not a bug.
NOT_READY = (
    psycopg2.OperationalError,
    pg_errors.UndefinedTable,
    pg_errors.InvalidSchemaName,
    OSError,
    TimeoutError,
)


class ReadModelUnavailable(Exception):
    """Postgres cannot answer, or the service's schema is not there yet."""


class LazyPgPool:
    """Runs read queries over a pool opened on first use; closes it on request."""

    def __init__(self, dsn: str, *, maxsize: int = 5, timeout_s: float = 5.0) -> None:
        self._dsn = dsn
        self._maxsize = maxsize
        self._timeout_s = timeout_s
        self._pool: aiopg.Pool | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            pool = await self._open()
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute(sql, params)
                return list(await cur.fetchall())
        except NOT_READY as exc:
            raise ReadModelUnavailable(str(exc).strip() or type(exc).__name__) from exc

    async def _open(self) -> aiopg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await aiopg.create_pool(
                    self._dsn, minsize=0, maxsize=self._maxsize, timeout=self._timeout_s
                )
            return self._pool

    async def close(self) -> None:
        """Close the pool, if it was opened."""
        if self._pool is not None:
            self._pool.close()
            await self._pool.wait_closed()
            self._pool = None


class ProjectorPool:
    """A projector's pool: opened and migrated once by ``start``, closed by ``stop``."""

    read_model = "read model"  # named in the log line once migrated

    def __init__(self, database_url: str, *, pool_size: int = 4) -> None:
        self.database_url = database_url
        self.pool_size = pool_size
        self._pool: Any = None
        self._lock = asyncio.Lock()

    async def migrate(self, pool: aiopg.Pool) -> None:
        """Create the schema and tables (idempotently)."""
        raise NotImplementedError

    async def start(self) -> None:
        """Open the pool and apply the migrations (once; later calls return at once)."""
        async with self._lock:
            if self._pool is None:
                pool = await aiopg.create_pool(self.database_url, minsize=1, maxsize=self.pool_size)
                try:
                    await self.migrate(pool)
                except BaseException:
                    pool.close()
                    await pool.wait_closed()
                    raise
                self._pool = pool
                log.info("%s migrated", self.read_model)

    async def stop(self) -> None:
        """Close the pool."""
        async with self._lock:
            if self._pool is not None:
                self._pool.close()
                await self._pool.wait_closed()
                self._pool = None
