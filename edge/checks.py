"""Readiness probes of the infrastructure the edge depends on."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

import aiohttp
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


WORKER_URLS_ENV = "DAFNCK_WORKER_URLS"


@dataclass(frozen=True)
class WorkerReadiness:
    """One context worker's ``/ready`` answer, as the edge got it."""

    name: str
    ready: bool
    problems: list[str]


def worker_urls_from_env() -> dict[str, str]:
    """``DAFNCK_WORKER_URLS`` (``users=http://127.0.0.1:6061,...``, set by ``dafnck up``)."""
    urls: dict[str, str] = {}
    for pair in os.environ.get(WORKER_URLS_ENV, "").split(","):
        name, sep, url = pair.strip().partition("=")
        if sep and name and url:
            urls[name.strip()] = url.strip().rstrip("/")
    return urls


async def _worker(session: aiohttp.ClientSession, name: str, url: str) -> WorkerReadiness:
    try:
        async with session.get(f"{url}/ready") as answer:
            body = await answer.json(content_type=None)
            problems = [str(p) for p in (body or {}).get("problems", [])]
            if answer.status != 200 and not problems:
                problems = [f"/ready answered {answer.status}"]
            return WorkerReadiness(name, answer.status == 200, problems)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return WorkerReadiness(name, False, [f"not answering at {url} ({type(exc).__name__})"])


async def probe_workers(urls: dict[str, str]) -> list[WorkerReadiness]:
    """Ask every worker's ``/ready`` concurrently."""
    if not urls:
        return []
    timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return list(
            await asyncio.gather(*(_worker(session, name, url) for name, url in urls.items()))
        )
