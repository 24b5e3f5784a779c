"""Poison records of every kind, and reading back what the workers made of them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

import topics
from streams.envelope import encode, new_envelope
from streams.registry import default_registry

REPO_ROOT = Path(__file__).resolve().parents[2]
# Under the broker's 1 MiB message limit (with room for the dead-letter headers), far over
# anything a command needs.
OVERSIZED_BYTES = 900_000
# orjson refuses JSON nested deeper than 1024; the data one stays under it.
DEEP = 5_000
DEEP_DATA = 900


@dataclass(frozen=True)
class Poison:
    """One unusable record: its kind, key and value, and the reason its DLQ copy must give."""

    kind: str
    key: bytes | None
    value: bytes | None
    reason: str | None  # None: any reason will do, as long as one is given


def _envelope(topic: str, type_name: str, subject: str, data: dict[str, Any]) -> bytes:
    entry_id = f"urn:dafnck:schema:{topic}/{type_name}/v1"
    return encode(
        new_envelope(
            source="/poison", type=type_name, subject=subject, dataschema=entry_id, data=data
        )
    )


def poisons(spec: topics.TopicSpec, key: str) -> list[Poison]:
    """Every kind of unusable record for ``spec``, all on ``key`` (so on one partition)."""
    k = key.encode()
    known = spec.types[0]
    # Deeper than orjson can write, shallower than it reads: spliced in as text.
    deep_data = _envelope(spec.name, known, key, {"n": "@deep@"}).replace(
        b'"@deep@"', b'{"n":' * DEEP_DATA + b"1" + b"}" * DEEP_DATA
    )
    return [
        Poison("not-json", k, b"{not json", "not-json"),
        Poison("json-array", k, b"[1, 2, 3]", "not-envelope"),
        Poison("tombstone", k, None, "not-envelope"),
        Poison("missing-attributes", k, orjson.dumps({"id": "x", "data": {}}), "not-envelope"),
        Poison(
            "key-not-subject", k, _envelope(spec.name, known, key + "-other", {}), "not-envelope"
        ),
        Poison("unknown-type", k, _envelope(spec.name, "NoSuchCommand", key, {}), "unknown-type"),
        Poison(
            "schema-invalid", k, _envelope(spec.name, known, key, {"bogus": True}), "schema-invalid"
        ),
        Poison("deep-json", k, b'{"a":' * DEEP + b"1" + b"}" * DEEP, "not-json"),
        Poison("deep-data", k, deep_data, None),
        Poison(
            "oversized",
            k,
            _envelope(spec.name, known, key, {"blob": "x" * OVERSIZED_BYTES}),
            None,
        ),
    ]


async def send(
    bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None]]
) -> list[tuple[int, int]]:
    """Produce ``(key, value)`` records in order; their (partition, offset)s."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=1_048_576)
    await producer.start()
    try:
        out = []
        for key, value in records:
            meta = await producer.send_and_wait(topic, value, key=key)
            out.append((meta.partition, meta.offset))
        return out
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """The next offset of every partition of ``topic``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not parts:
            spec = topics.by_name(topic)
            parts = [TopicPartition(topic, p) for p in range(spec.partitions)]
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def read_until(
    bootstrap: str,
    start: dict[TopicPartition, int],
    done: Callable[[list[Any]], bool],
    timeout: float,
) -> list[Any]:
    """Records from ``start`` on, until ``done(records so far)`` or the timeout."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        fetch_max_bytes=4_194_304,
        max_partition_fetch_bytes=2_097_152,
    )
    await consumer.start()
    seen: list[Any] = []
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(seen) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                seen.extend(records)
        return seen
    finally:
        await consumer.stop()


async def committed(bootstrap: str, group: str, tp: TopicPartition) -> int:
    """The group's committed offset on one partition (-1 when none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=[tp])
        meta = offsets.get(tp)
        return meta.offset if meta is not None else -1
    finally:
        await admin.close()


def headers_of(record: Any) -> dict[str, str]:
    """A consumed record's headers as text."""
    return {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}


def valid_command(spec: topics.TopicSpec, key: str) -> tuple[str, bytes]:
    """A well-formed command for ``spec`` on ``key``: its id and the record value."""
    fresh = str(uuid.uuid4())
    data: dict[str, Any]
    if spec is topics.AGENT_COMMANDS:
        type_name, data = (
            "CreateAgent",
            {
                "agent_id": fresh,
                "project_id": str(uuid.uuid4()),
                "name": f"poison-{fresh[:8]}",
                "capabilities": ["poison"],
                "capacity": 1,
                "labels": {},
                "model_settings": {},
                "created_by": str(uuid.uuid4()),
            },
        )
    elif spec is topics.AGENT_CLOCK:
        type_name, data = "Tick", {"now": "2026-01-01T00:00:00Z"}
    elif spec is topics.USER_COMMANDS:
        type_name, data = "CreateUser", _user(fresh, key.removeprefix("email:"))
    elif spec is topics.USER_REGISTRATIONS:
        data = _user(key, f"{fresh[:12]}@poison.test")
        type_name, data = (
            "UserRegistration",
            {"command_id": fresh, "command_type": "CreateUser", **data, "created_by": None},
        )
    else:
        raise KeyError(spec.name)
    entry = default_registry().latest(spec.name, type_name)
    envelope = new_envelope(
        source="/poison", type=type_name, subject=key, dataschema=entry.id, data=data
    )
    default_registry().check(spec, envelope)
    return envelope.id, encode(envelope)


def _user(user_id: str, email: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "email": email,
        "display_name": "Poison Probe",
        "password_hash": "$argon2id$v=19$m=32768,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
        "3Y5vGm7Jq1m0Hq7J5m8p2Yc0Vw8mXq4c9rWb1x6Fz0k",
        "roles": ["member"],
        "created_by": str(uuid.uuid4()),
    }


def consumed_command_topics() -> set[str]:
    """The catalog's command topics a worker of this repository consumes (apps built only)."""
    script = (
        "import json, agents_svc.worker.app as a, users_svc.worker.app as u\n"
        "import analytics_svc.worker.app as n\n"
        "names = set()\n"
        "for m in (a, u, n):\n"
        "    for agent in m.build_app().agents.values():\n"
        "        names |= set(agent.channel.topics)\n"
        "print(json.dumps(sorted(names)))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    commands = {t.name for t in topics.all_topics() if t.kind is topics.TopicKind.COMMANDS}
    return commands & set(orjson.loads(done.stdout))
