"""Readiness probes of the infrastructure the edge depends on."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiopg
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ProbeResult:
    """One dependency's answer: ok or the error, and how long it took."""

    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


async def _timed(name: str, probe: asyncio.Future | object) -> ProbeResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe, PROBE_TIMEOUT_S)  # type: ignore[arg-type]
        return ProbeResult(name, True, (time.perf_counter() - started) * 1000)
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        return ProbeResult(name, False, (time.perf_counter() - started) * 1000, detail)


async def _kafka(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2500)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()


async def _postgres(dsn: str) -> None:
    async with aiopg.connect(dsn, timeout=PROBE_TIMEOUT_S) as conn, conn.cursor() as cur:
        await cur.execute("SELECT 1")


async def _redis(url: str) -> None:
    client = aioredis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def probe_all(kafka: str, database_url: str, redis_url: str) -> list[ProbeResult]:
    """Probe Kafka, Postgres and Redis concurrently."""
    return list(
        await asyncio.gather(
            _timed("kafka", _kafka(kafka)),
            _timed("postgres", _postgres(database_url)),
            _timed("redis", _redis(redis_url)),
        )
    )
