"""The agents worker killed in the middle of a stream of commands loses and doubles nothing.

A real `python -m agents_svc` process on the real broker: an agent connects, tasks are
submitted, the worker is SIGKILLed halfway and started again. Every task is queued and
assigned exactly once: commands redelivered after the crash are re-applied from their
journal entries, so what they emit again carries the very same event ids.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

import topics
from streams.producer import EventPublisher
from streams.tooling.stack import Endpoints
from streams.tooling.topic_admin import apply_topics
from tests.support.streams.harness import free_port, spawn, stop, wait_ready

TASKS = 400


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topics.AGENT_EVENTS.name, p) for p in range(3)]
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def events_since(
    bootstrap: str, start: dict[TopicPartition, int], wanted: set[str], timeout: float
) -> dict[str, list[dict[str, Any]]]:
    """agent-events from ``start`` on, by subject, until every wanted subject was assigned."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + timeout
        assigned: set[str] = set()
        while assigned != wanted and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    envelope = orjson.loads(record.value)
                    if envelope["subject"] in wanted:
                        found[envelope["subject"]].append(envelope)
                        if envelope["type"] == "TaskAssigned":
                            assigned.add(envelope["subject"])
    finally:
        await consumer.stop()
    return found


def test_a_killed_worker_neither_loses_nor_doubles_a_task(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        **endpoints.as_env(),
        "DAFNCK_STATE_DIR": str(tmp_path),
        "DAFNCK_WORKER_PORT": str(port),
        "DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S": "3600",
    }
    log = tmp_path / "agents.log"
    capability = f"crash-{uuid.uuid4().hex[:8]}"
    agent_id, project, user = (str(uuid.uuid4()) for _ in range(3))
    # The catalog's topics (on a fresh broker nothing else may have created them yet).
    asyncio.run(apply_topics(endpoints.kafka_bootstrap, out=lambda _line: None, strict=False))
    start = asyncio.run(end_offsets(endpoints.kafka_bootstrap))
    task_ids = [str(uuid.uuid4()) for _ in range(TASKS)]

    async def send(publisher: EventPublisher, type_name: str, data: dict[str, Any]) -> None:
        envelope = publisher.build(topics.AGENT_COMMANDS, type_name, data, subject="scheduler")
        await (await publisher.send_soon(topics.AGENT_COMMANDS, envelope))

    async def submit(ids: list[str]) -> None:
        async with EventPublisher(endpoints.kafka_bootstrap, source="/test") as publisher:
            for task_id in ids:
                await send(
                    publisher,
                    "SubmitTask",
                    {
                        "task_id": task_id,
                        "project_id": project,
                        "capabilities": [capability],
                        "input": {},
                        "priority": 5,
                        "max_attempts": 1,
                        "backoff_s": 0,
                        "timeout_s": 3600,
                        "submitted_by": user,
                    },
                )

    async def register() -> None:
        async with EventPublisher(endpoints.kafka_bootstrap, source="/test") as publisher:
            await send(
                publisher,
                "CreateAgent",
                {
                    "agent_id": agent_id,
                    "project_id": project,
                    "name": capability,
                    "capabilities": [capability],
                    "capacity": 1000,
                    "labels": {},
                    "model_settings": {},
                    "created_by": user,
                },
            )
            await send(
                publisher,
                "ConnectAgent",
                {
                    "agent_id": agent_id,
                    "session_id": str(uuid.uuid4()),
                    "capabilities": None,
                    "concurrency": 1000,
                    "running": [],
                },
            )

    worker = spawn("agents_svc", env, log)
    try:
        wait_ready(worker, port, log, timeout=180)
        asyncio.run(register())
        asyncio.run(submit(task_ids[: TASKS // 2]))
        worker.kill()  # SIGKILL: no shutdown, no final commit
        worker.wait()
        asyncio.run(submit(task_ids[TASKS // 2 :]))
        worker = spawn("agents_svc", env, log)
        wait_ready(worker, port, log, timeout=180)
        found = asyncio.run(
            events_since(endpoints.kafka_bootstrap, start, set(task_ids), timeout=120)
        )
    finally:
        stop(worker)

    assert set(found) == set(task_ids), f"{TASKS - len(found)} tasks never reached the stream"
    for task_id in task_ids:
        ids_by_type: dict[str, set[str]] = defaultdict(set)
        for envelope in found[task_id]:
            ids_by_type[envelope["type"]].add(envelope["id"])
        # Re-sent after the crash is fine (same id, dropped by consumers); decided twice is not.
        assert len(ids_by_type["TaskQueued"]) == 1, task_id
        assert len(ids_by_type["TaskAssigned"]) == 1, task_id
        attempts = {e["data"]["attempt"] for e in found[task_id] if e["type"] == "TaskAssigned"}
        assert attempts == {1}
