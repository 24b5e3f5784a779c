"""Benchmark: the kernel pipeline in a Faust agent vs a bare aiokafka consumer loop.

Produces N realistic AgentStatusChanged envelopes (~400 bytes) to a fresh 3-partition topic, then
in the same process measures
  (a) a bare aiokafka consumer loop reading them (the baseline), and
  (b) the kernel path in a Faust agent: consume, decode, validate, handle, produce an
      output event (stateless handler), and
  (b') the same with aggregate state (the default ``consume(..., stateful=True)``),
and prints events/s for each and the ratios b/a and b'/a. With --typed it also runs
  (c) and (c'): (b) and (b') with the handler opted in to typed payloads
      (``streams.payloads.typed``: data converted to its msgspec Struct once per event),
each plain and typed run twice in ABBA order, and prints µs/event for each (the mean).

    python tests/perf/bench_pipeline.py [--events 200000] [--typed] [--keep-topics]

Kafka comes from KAFKA_BOOTSTRAP_SERVERS or the local stack (started if needed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from streams.envelope import Envelope, encode, now_rfc3339
from streams.kafka_admin.cluster import admin_session, delete
from streams.tooling.stack import ensure_stack, external_from_env
from streams.tooling.topic_admin import apply_topics
from tests.perf.kernel_app import run_kernel_path
from tests.perf.validators import compare_validators
from tests.support.streams import kernel_topics as kt

_STATUSES = ("registered", "online", "busy", "draining", "offline")


def _event(i: int, schema_id: str) -> bytes:
    agent_id = str(uuid.uuid4())
    data = {
        "agent_id": agent_id,
        "from": _STATUSES[i % 5],
        "to": _STATUSES[(i + 1) % 5],
    }
    envelope = Envelope(
        id=str(uuid.uuid4()),
        source="/dafnck/agents-svc",
        type=kt.STATUS_TYPE,
        subject=agent_id,
        time=now_rfc3339(),
        dataschema=schema_id,
        data=data,
        correlationid=str(uuid.uuid4()),
    )
    return encode(envelope)


async def produce(bootstrap: str, topic: str, count: int, schema_id: str) -> float:
    """Produce ``count`` events; returns the mean record size in bytes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1
    )
    await producer.start()
    total = 0
    try:
        started = time.perf_counter()
        for i in range(count):
            value = _event(i, schema_id)
            total += len(value)
            # The subject is the key, as the contract requires.
            key = value[value.index(b'"subject":"') + 11 :][:36]
            await producer.send(topic, value, key=key)
            if i and i % 50_000 == 0:
                print(f"  produced {i:,}", file=sys.stderr)
        await producer.flush()
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    print(f"produced {count:,} events in {elapsed:.1f}s ({count / elapsed:,.0f}/s)")
    return total / count


async def bare_loop(bootstrap: str, topic: str, count: int) -> float:
    """(a) A bare aiokafka consumer reading every record; returns records/s."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    seen = 0
    started: float | None = None
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batch.values():
                if started is None:
                    started = time.perf_counter()
                seen += len(records)
        assert started is not None
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def main(args: argparse.Namespace) -> None:
    """Run the whole benchmark and print the figures."""
    external = external_from_env()
    bootstrap = external.get("kafka") or ensure_stack().kafka_bootstrap
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="dafnck-bench-"))
    schema_root = kt.write_schema_tree(prefix, workdir / "schemas")
    specs = kt.all_specs(prefix)
    await apply_topics(bootstrap, specs, out=lambda _line: None)
    schema_id = f"urn:dafnck:schema:{kt.source_topic(prefix).name}/{kt.STATUS_TYPE}/v1"
    status_schema = json.loads(
        (schema_root / kt.source_topic(prefix).name / kt.STATUS_TYPE / "v1.json").read_text()
    )
    samples = [orjson.loads(_event(i, schema_id))["data"] for i in range(20_000)]
    pure, compiled = compare_validators(status_schema, samples)
    print(
        f"validation: jsonschema {pure:,.0f}/s, jsonschema-rs {compiled:,.0f}/s "
        f"({compiled / pure:.0f}x; the kernel uses jsonschema-rs)"
    )
    try:
        size = await produce(bootstrap, kt.source_topic(prefix).name, args.events, schema_id)
        print(f"mean event size: {size:.0f} bytes")
        bare = await bare_loop(bootstrap, kt.source_topic(prefix).name, args.events)
        print(f"(a) bare aiokafka loop:            {bare:>10,.0f} events/s")
        runs = [("b", False, False), ("b'", True, False)]
        if args.typed:
            # ABBA: each plain run has a typed twin before or after it, so a broker or a
            # machine that gets slower during the run weighs on both alike.
            plain, typed = ("b", False, False), ("c", False, True)
            plain_state, typed_state = ("b'", True, False), ("c'", True, True)
            runs = [plain, typed, typed, plain, plain_state, typed_state, typed_state, plain_state]
        labels = {
            "b": "(b) kernel path in a Faust agent: ",
            "c": "(c) = (b), typed payloads:        ",
            "b'": "(b') same, with aggregate state:  ",
            "c'": "(c') = (b'), typed payloads:      ",
        }
        micros: dict[str, list[float]] = {}
        for name, stateful, typed_payload in runs:
            rate = await run_kernel_path(
                bootstrap,
                prefix,
                schema_root,
                workdir,
                args.events,
                stateful=stateful,
                typed_payload=typed_payload,
            )
            micros.setdefault(name, []).append(1e6 / rate)
            print(f"{labels[name]} {rate:>10,.0f} events/s")
        mean = {name: sum(values) / len(values) for name, values in micros.items()}
        print(f"ratio b/a  = {1e6 / mean['b'] / bare:.3f}")
        stateful_us = mean["b'"]
        print(f"ratio b'/a = {1e6 / stateful_us / bare:.3f}")
        for name, values in micros.items():
            runs_us = ", ".join(f"{v:.1f}" for v in values)
            print(f"µs/event ({name}): {mean[name]:.1f} (runs: {runs_us})")
    finally:
        if not args.keep_topics:
            async with admin_session(bootstrap) as client:
                await delete(client, [s.name for s in specs])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events to produce")
    parser.add_argument("--typed", action="store_true", help="also run with typed payloads")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    asyncio.run(main(parser.parse_args()))
