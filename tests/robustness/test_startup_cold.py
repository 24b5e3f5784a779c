"""Cold starts under load: `dafnck up` on a fresh state directory, a CPU burner running.

Each start brings up its own fresh Kafka, Postgres and Redis (nothing exists yet: no
consumer-offsets topic, no changelog topics), as a new user's first `make run` does. Each
time the bootstrap administrator signs in, an agent is created and completes a task in
bounded time; no record is dead-lettered and no process logs at error level.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

import topics
from tests.support.agents_svc.e2e_client import AgentsApiClient as Agents
from tests.support.agents_svc.e2e_client import agent_process
from tests.support.platform_run import fresh_platform

STARTS = 3
TASK_DONE_WITHIN_S = 60.0
# 60 s on a warm, idle machine (stack included); this one is kept busy and starts cold.
PLATFORM_UP_WITHIN_S = 150.0


@pytest.fixture(scope="module")
def cpu_burner() -> Iterator[None]:
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


def dlq_ends(bootstrap: str) -> dict[str, int]:
    """Records so far on every dead-letter topic (a twin has its topic's partitions)."""
    parts = [
        TopicPartition(spec.dlq, p)
        for spec in topics.CATALOG
        if spec.has_dlq
        for p in range(spec.partitions)
    ]

    async def read() -> dict[str, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        try:
            totals: dict[str, int] = {}
            for tp, end in (await consumer.end_offsets(parts)).items():
                totals[tp.topic] = totals.get(tp.topic, 0) + end
            return totals
        finally:
            await consumer.stop()

    return asyncio.run(read())


def error_lines(state_dir: Path) -> list[str]:
    """Error-level records in every process log of the platform."""
    found: list[str] = []
    for log in sorted((state_dir / "logs").glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                found.append(f"{log.name}: not JSON: {line[:200]}")
                continue
            if record.get("level") in ("error", "critical"):
                found.append(f"{log.name}: {record.get('msg', '')[:300]}")
    return found


def up_timings(up_log: Path) -> tuple[float, str]:
    """How long `dafnck up` says it took, in all and per part."""
    match = re.search(r"DafnckMachine is up in ([\d.]+)s \((.*)\):", up_log.read_text())
    assert match, f"never announced as up:\n{up_log.read_text()[-3000:]}"
    return float(match.group(1)), match.group(2)


def kafka_of(up_log: Path) -> str:
    match = re.search(r"^  kafka +(\S+)$", up_log.read_text(), re.MULTILINE)
    assert match, "no Kafka address printed"
    return match.group(1)


def test_three_cold_starts_under_load_each_serve_a_task_cleanly(
    tmp_path_factory: pytest.TempPathFactory, cpu_burner: None
) -> None:
    report: list[str] = []
    for start in range(1, STARTS + 1):
        state_dir = tmp_path_factory.mktemp(f"cold-{start}")
        began = time.monotonic()
        with fresh_platform(state_dir) as edge:
            agents = Agents(edge, edge.admin_token())
            agent = agents.create(f"cold-{start}", ["cold"], capacity=1)
            with agent_process(edge, f"cold-{start}", ["cold"], agents.key(agent["id"])):
                body = {"project_id": agents.project_id, "capabilities": ["cold"], "input": {}}
                task_id = agents.created("/api/tasks", body)["id"]
                agents.until(
                    f"/api/tasks/{task_id}",
                    lambda t: t["status"] == "completed",
                    timeout=TASK_DONE_WITHIN_S,
                )
            served_s = time.monotonic() - began
            total, parts = up_timings(edge.log)
            dead_lettered = dlq_ends(kafka_of(edge.log))
        assert {n: c for n, c in dead_lettered.items() if c} == {}, f"start {start}"
        assert error_lines(state_dir) == [], f"start {start}"
        report.append(f"start {start}: up in {total}s ({parts}); task done after {served_s:.1f}s")
        assert total < PLATFORM_UP_WITHIN_S, report[-1]
    print("\n" + "\n".join(report))
