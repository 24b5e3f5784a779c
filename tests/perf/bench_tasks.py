"""Benchmark: N no-op tasks through the platform to K SDK agents, against Celery on Redis.

In one run:
  (a) Celery with a Redis broker: N no-op tasks to one worker with concurrency K x C
      (the baseline): enqueue them all, wait until every one has run;
  (b) the platform: K `dafnck agent run` processes, each with concurrency C, capability
      `bench`; N SubmitTask commands published to agent-commands, waiting until every
      TaskCompleted is on agent-events (the scheduler recorded the result);
  (c) the platform at a fixed rate (default 500 tasks/s): enqueue-to-start latency, from
      the moment a task is published to the moment its agent's handler starts it.

    python tests/perf/bench_tasks.py [--tasks 20000] [--agents 4] [--concurrency 8]
                                     [--rate 500] [--latency-seconds 10]

Infrastructure comes from the environment or the local stack (started if needed); the
platform is started with ``dafnck up`` in a temporary state directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import redis
from aiokafka.structs import ConsumerRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import topics
from streams.fanout import FanoutReader
from streams.producer import EventPublisher
from streams.tooling.stack import ensure_stack
from tests.e2e.identity.platform import Edge
from tests.perf.launch import REPO_ROOT, launch_platform, stop

# Per run: tasks left queued by an interrupted earlier run must not match this run's agents.
CAPABILITY = f"bench-{uuid.uuid4().hex[:8]}"
HANDLER = "tests.perf.bench_handlers:stamp"


class Completions:
    """TaskCompleted events of the tasks we are waiting for, as agent-events carries them."""

    def __init__(self) -> None:
        self.waiting: set[str] = set()
        self.outputs: dict[str, dict[str, Any]] = {}
        self.done = asyncio.Event()

    def expect(self, task_ids: list[str]) -> None:
        self.waiting.update(task_ids)
        self.done.clear()

    async def on_record(self, record: ConsumerRecord) -> None:
        if b"TaskCompleted" not in record.value:
            return
        envelope = orjson.loads(record.value)
        task_id = envelope["subject"]
        if envelope["type"] == "TaskCompleted" and task_id in self.waiting:
            self.waiting.discard(task_id)
            self.outputs[task_id] = envelope["data"]["output"]
            if not self.waiting:
                self.done.set()


def submit_data(project_id: str, user_id: str, task_input: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": str(uuid.uuid4()),
        "project_id": project_id,
        "capabilities": [CAPABILITY],
        "input": task_input,
        "priority": 5,
        "max_attempts": 3,
        "backoff_s": 1,
        "timeout_s": 300,
        "submitted_by": user_id,
    }


async def publish(publisher: EventPublisher, data: dict[str, Any]) -> asyncio.Future[Any]:
    envelope = publisher.build(topics.AGENT_COMMANDS, "SubmitTask", data, subject="scheduler")
    return await publisher.send_soon(topics.AGENT_COMMANDS, envelope)


async def run_batch(
    publisher: EventPublisher, completions: Completions, project: str, user: str, n: int
) -> float:
    """Publish n tasks as fast as the producer takes them; seconds until all completed."""
    batch = [submit_data(project, user, {}) for _ in range(n)]
    completions.expect([d["task_id"] for d in batch])
    started = time.perf_counter()
    acks = [await publish(publisher, d) for d in batch]
    await asyncio.gather(*acks)
    await asyncio.wait_for(completions.done.wait(), timeout=600)
    return time.perf_counter() - started


async def run_rate(
    publisher: EventPublisher,
    completions: Completions,
    project: str,
    user: str,
    rate: float,
    seconds: float,
) -> list[float]:
    """Tasks at a fixed rate; enqueue-to-start latencies in ms."""
    count = int(rate * seconds)
    ids: list[str] = []
    acks = []
    begin = time.perf_counter()
    for i in range(count):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        data = submit_data(project, user, {"sent_at": time.time()})
        ids.append(data["task_id"])
        completions.expect([data["task_id"]])
        acks.append(await publish(publisher, data))
    await asyncio.gather(*acks)
    await asyncio.wait_for(completions.done.wait(), timeout=600)
    outs = [completions.outputs[i] for i in ids]
    return [(o["started_at"] - o["sent_at"]) * 1000 for o in outs]


def created(edge: Edge, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST and return the created resource, following a 202 (a worker still recovering)."""
    answer = edge.call("POST", path, body, token=token)
    deadline = time.monotonic() + 120
    while answer.status == 202 and time.monotonic() < deadline:
        time.sleep(1)
        status = edge.call("GET", answer.body["status_url"], token=token)
        if status.body.get("resource"):
            return dict(status.body["resource"])
    assert answer.status == 201, answer.body
    return dict(answer.body)


def start_agents(
    edge: Edge, token: str, k: int, concurrency: int, logs: Path
) -> tuple[str, list[subprocess.Popen[str]]]:
    project = str(uuid.uuid4())
    procs = []
    for i in range(k):
        name = f"bench-{i}"
        body = {
            "project_id": project,
            "name": name,
            "capabilities": [CAPABILITY],
            "capacity": concurrency,
        }
        agent = created(edge, token, "/api/agents", body)
        key = created(edge, token, f"/api/agents/{agent['id']}/keys", {})
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streams",
                    "agent",
                    "run",
                    "--name",
                    name,
                    "--capabilities",
                    CAPABILITY,
                    "--handler",
                    HANDLER,
                    "--concurrency",
                    str(concurrency),
                    "--edge",
                    edge.url,
                ],
                env={**os.environ, "DAFNCK_AGENT_KEY": key["api_key"]},
                cwd=REPO_ROOT,
                stdout=(logs / f"{name}.log").open("w"),
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = edge.call("GET", f"/api/agents?project_id={project}&limit=100", token=token)
        online = [a for a in listed.body.get("items", []) if a["status"] in ("online", "busy")]
        if len(online) == k:
            return project, procs
        time.sleep(0.5)
    raise SystemExit(f"agents not online: {listed.body}")


def celery_throughput(broker: str, n: int, concurrency: int, logs: Path) -> float:
    """Seconds for n no-op Celery tasks at this concurrency (enqueue to last run)."""
    env = {**os.environ, "BENCH_CELERY_BROKER": broker}
    os.environ["BENCH_CELERY_BROKER"] = broker
    from tests.perf import celery_app

    client = redis.Redis.from_url(broker)
    client.flushdb()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.perf.celery_app",
            "worker",
            "-c",
            str(concurrency),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=REPO_ROOT,
        stdout=(logs / "celery.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for warm in (200, n):
            client.set(celery_app.COUNTER, 0)
            started = time.perf_counter()
            for _ in range(warm):
                celery_app.noop.delay()
            while int(client.get(celery_app.COUNTER) or 0) < warm:
                if worker.poll() is not None:
                    raise SystemExit(f"celery worker exited: {(logs / 'celery.log').read_text()}")
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
        return elapsed
    finally:
        worker.terminate()
        worker.wait(30)
        client.flushdb()


async def platform_figures(
    args: argparse.Namespace, bootstrap: str, edge: Edge, token: str, logs: Path
) -> tuple[float, list[float]]:
    project, procs = start_agents(edge, token, args.agents, args.concurrency, logs)
    user = str(uuid.uuid4())
    completions = Completions()
    reader = FanoutReader(bootstrap, [topics.AGENT_EVENTS.name], completions.on_record)
    await reader.start()
    try:
        async with EventPublisher(bootstrap, source="/dafnck/bench") as publisher:
            await run_batch(publisher, completions, project, user, 500)  # warm-up
            seconds = await run_batch(publisher, completions, project, user, args.tasks)
            latencies = await run_rate(
                publisher, completions, project, user, args.rate, args.latency_seconds
            )
        return seconds, latencies
    finally:
        await reader.stop()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(args: argparse.Namespace) -> None:
    """Run (a), (b) and (c); print the figures and the ratio."""
    endpoints = ensure_stack(progress=lambda _m: None)
    state = Path(tempfile.mkdtemp(prefix="dafnck-bench-tasks-"))
    total = args.agents * args.concurrency
    broker = endpoints.redis_url.rsplit("/", 1)[0] + "/15"
    celery_s = celery_throughput(broker, args.tasks, total, state)
    celery_rate = args.tasks / celery_s
    print(
        f"(a) Celery (Redis broker), concurrency {total}: {celery_rate:>8,.0f} tasks/s "
        f"({args.tasks} in {celery_s:.1f} s)"
    )
    platform, url, token = launch_platform(endpoints.as_env(), state, without=args.without)
    try:
        edge = Edge(platform, url, state, state / "up.log", "")  # type: ignore[arg-type]
        seconds, latencies = asyncio.run(
            platform_figures(args, endpoints.kafka_bootstrap, edge, token, state)
        )
    finally:
        stop(platform)
    ours = args.tasks / seconds
    print(
        f"(b) DafnckMachine, {args.agents} agents x {args.concurrency}:  {ours:>8,.0f} tasks/s "
        f"({args.tasks} in {seconds:.1f} s)"
    )
    print(f"ratio b/a = {ours / celery_rate:.2f}")
    print(
        f"(c) enqueue-to-start at {args.rate:.0f} tasks/s for {args.latency_seconds} s: "
        f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"max {max(latencies):.1f} ms ({len(latencies)} tasks)"
    )
    print(f"logs: {state}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20_000, help="N tasks for (a) and (b)")
    parser.add_argument("--agents", type=int, default=4, help="K agent processes")
    parser.add_argument("--concurrency", type=int, default=8, help="C tasks per agent")
    parser.add_argument("--rate", type=float, default=500, help="tasks/s for (c)")
    parser.add_argument(
        "--without", default="", help="workers `dafnck up` should not start (e.g. analytics)"
    )
    parser.add_argument("--latency-seconds", type=float, default=10, help="duration of (c)")
    main(parser.parse_args())
