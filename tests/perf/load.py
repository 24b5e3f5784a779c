"""HTTP load generation for the edge benchmark: closed-loop throughput, open-loop latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Throughput:
    """Requests completed per second and how many of them failed."""

    rps: float
    requests: int
    errors: int


@dataclass(frozen=True)
class Latency:
    """Latency percentiles (milliseconds) of requests sent at a fixed rate."""

    rate: float
    sent: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float


async def closed_loop(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    concurrency: int = 32,
    duration_s: float = 10.0,
    expect: int = 200,
) -> Throughput:
    """Keep ``concurrency`` GET requests in flight for ``duration_s``; count completions."""
    done = errors = 0
    deadline = time.perf_counter() + duration_s
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                async with session.get(url) as response:
                    await response.read()
                    done += 1
                    errors += response.status != expect

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Throughput(done / elapsed, done, errors)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def open_loop(
    method: str,
    url: str,
    *,
    rate: float,
    duration_s: float,
    headers: Mapping[str, str] | None = None,
    body: Callable[[int], Any] | None = None,
    expect: tuple[int, ...] = (200,),
) -> Latency:
    """Send requests at a fixed rate regardless of responses (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    count = int(rate * duration_s)
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(i: int, scheduled: float) -> None:
            nonlocal errors
            payload = body(i) if body else None
            async with session.request(method, url, json=payload) as response:
                await response.read()
                if response.status not in expect:
                    errors += 1
            # Measured from when the request was due, so a stalled sender shows up as latency.
            latencies.append((time.perf_counter() - scheduled) * 1000)

        start = time.perf_counter()
        tasks = []
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return Latency(
        rate, count, errors, _percentile(ordered, 0.5), _percentile(ordered, 0.99), ordered[-1]
    )
