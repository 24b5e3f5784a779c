"""kill -9 of a worker under `dafnck up`: it is restarted, the stream resumes, nothing is lost.

Recovery time is measured from the kill to the first piece of work submitted after it being
done (a user created, a task completed); the figures are printed (pytest -s shows them).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

import topics
from streams.tooling.stack import Endpoints
from tests.e2e.identity.platform import Edge, eventually
from tests.support.agents_svc.e2e_client import AgentsApiClient as Agents
from tests.support.agents_svc.e2e_client import agent_process
from tests.support.platform_run import REPO_ROOT, running_platform

RESUME_WITHIN_S = 20.0


@pytest.fixture(scope="module")
def edge(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    # The default consumer groups, as a user's platform: their offsets are committed, so
    # the start does not replay the shared broker's history (a fresh DAFNCK_GROUP_PREFIX
    # would, from the earliest offsets).
    with running_platform(endpoints, tmp_path_factory.mktemp("kill-state"), {}) as up:
        yield up


@pytest.fixture(scope="module")
def admin(edge: Edge) -> str:
    return edge.admin_token()


def worker_pid(edge: Edge, name: str) -> int:
    """The pid `dafnck up` last started ``name`` under (it logs every start)."""
    found = re.findall(rf"started {name} \(pid (\d+)\)", edge.log.read_text())
    assert found, f"no start of {name} in the log"
    return int(found[-1])


def kill_worker(edge: Edge, name: str) -> float:
    pid = worker_pid(edge, name)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    restarted = eventually(lambda: worker_pid(edge, name) != pid, timeout=30, every=0.2)
    assert restarted, f"{name} was not restarted:\n{edge.log.read_text()[-3000:]}"
    said = re.findall(
        rf"{name} exited with code -9; restarting in \d+s \(restart \d+\)", edge.log.read_text()
    )
    assert said, f"no restart of {name} reported"
    assert edge.process.poll() is None, "dafnck up stopped"
    return killed_at


def completions(bootstrap: str, task_ids: set[str]) -> Counter[str]:
    """Distinct TaskCompleted events (by event id) on agent-events per task, from the beginning.

    A record written again after a crash carries the same event id (consumers drop the
    copy); a second completion would carry a new one.
    """

    async def read() -> Counter[str]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        seen: set[str] = set()
        found: Counter[str] = Counter()
        try:
            parts = [
                TopicPartition(topics.AGENT_EVENTS.name, p)
                for p in range(topics.AGENT_EVENTS.partitions)
            ]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records:
                        subject = record.key.decode() if record.key else ""
                        if subject not in task_ids:
                            continue
                        envelope = orjson.loads(record.value)
                        if envelope["type"] == "TaskCompleted" and envelope["id"] not in seen:
                            seen.add(envelope["id"])
                            found[subject] += 1
        finally:
            await consumer.stop()
        return found

    return asyncio.run(read())


def test_users_worker_killed_is_restarted_and_no_user_is_lost_or_doubled(
    edge: Edge, admin: str
) -> None:
    before = [edge.create_user(admin, ["viewer"]) for _ in range(5)]
    killed_at = kill_worker(edge, "users")
    first_after = edge.create_user(admin, ["viewer"])
    resumed_s = time.monotonic() - killed_at
    after = [edge.create_user(admin, ["viewer"]) for _ in range(5)]
    print(f"\nusers worker: kill -9 -> first user created in {resumed_s:.1f}s")

    def listed_once(user: dict[str, object]) -> bool:
        listed = edge.call("GET", f"/api/users?email={user['email']}", token=admin)
        return listed.status == 200 and [u["id"] for u in listed.body["items"]] == [user["id"]]

    for user in [*before, first_after, *after]:
        assert eventually(lambda: listed_once(user), timeout=30), user["email"]  # noqa: B023
    assert resumed_s < RESUME_WITHIN_S


def test_agents_worker_killed_is_restarted_and_every_task_completes_once(
    edge: Edge, admin: str, endpoints: Endpoints
) -> None:
    agents = Agents(edge, admin)
    agent = agents.create("steady", ["kill-test"], capacity=4)
    with agent_process(edge, "steady", ["kill-test"], agents.key(agent["id"]), concurrency=4):
        agents.until(f"/api/agents/{agent['id']}", lambda a: a["status"] == "online")

        def submit(n: int) -> str:
            body = {
                "project_id": agents.project_id,
                "capabilities": ["kill-test"],
                "input": {"n": n},
            }
            return str(agents.created("/api/tasks", body)["id"])

        def done(task_id: str, timeout: float = 60) -> None:
            agents.until(f"/api/tasks/{task_id}", lambda t: t["status"] == "completed", timeout)

        ids = [submit(n) for n in range(10)]
        killed_at = kill_worker(edge, "agents")
        first_after = submit(100)
        done(first_after)
        resumed_s = time.monotonic() - killed_at
        ids += [first_after, *(submit(n) for n in range(200, 210))]
        for task_id in ids:
            done(task_id)
    print(f"\nagents worker: kill -9 -> first task completed in {resumed_s:.1f}s")

    counts = completions(endpoints.kafka_bootstrap, set(ids))
    assert {t: counts[t] for t in ids} == {t: 1 for t in ids}
    assert resumed_s < RESUME_WITHIN_S


def test_status_and_deep_ready_report_every_worker_ready(edge: Edge) -> None:
    status = subprocess.run(
        [sys.executable, "-m", "streams", "status", "--state-dir", str(edge.state_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    for part in ("kafka", "postgres", "redis", "users", "agents", "analytics"):
        assert f"  {part:<10} ready" in lines, status.stdout
    deep = edge.call("GET", "/ready?deep=1")
    assert deep.status == 200, deep.body
    assert {name: w["ready"] for name, w in deep.body["workers"].items()} == {
        "users": True,
        "agents": True,
        "analytics": True,
    }


def test_each_request_is_logged_once(edge: Edge) -> None:
    marker = f"/health?probe={uuid.uuid4().hex}"
    assert edge.call("GET", marker).status == 200
    edge_log = edge.state_dir / "logs" / "edge.log"
    assert eventually(lambda: "/health" in edge_log.read_text(), timeout=10)
    records = [json.loads(line) for line in edge_log.read_text().splitlines()]
    assert [r for r in records if r["logger"] == "aiohttp.access"] == []
    health = [r for r in records if r.get("msg") == "request" and r.get("path") == "/health"]
    assert len(health) == 1, health
