"""Running the kernel test worker as a real process, and reading topics back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from streams.producer import EventPublisher
from streams.registry import SchemaRegistry
from tests.support.streams import kernel_topics as kt

REPO_ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m module`` from the repository root, its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    """Poll the worker's /ready until it answers 200; fail with its log if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"worker not ready after {timeout}s:\n{log_tail(log)}")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, as an orchestrator stops a worker; killed if it does not stop in 30 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_tail(log: Path, lines: int = 40) -> str:
    """The end of a worker's log."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class KernelRun:
    """One test run's topics, schemas and worker process."""

    bootstrap: str
    workdir: Path
    prefix: str = field(default_factory=lambda: f"kt-{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    worker_module: ClassVar[str] = "tests.support.streams.kernel_worker"

    @property
    def log(self) -> Path:
        return self.workdir / "worker.log"

    @property
    def schema_root(self) -> Path:
        return self.workdir / "schemas"

    @property
    def registry(self) -> SchemaRegistry:
        return SchemaRegistry(self.schema_root)

    def start_worker(self, **extra_env: str) -> None:
        """Start the worker and wait until its /ready says so."""
        env = {
            **os.environ,
            "IT_PREFIX": self.prefix,
            "IT_WEB_PORT": str(self.port),
            "IT_DATA_DIR": str(self.workdir / "data"),
            "IT_SCHEMA_ROOT": str(self.schema_root),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.process = spawn(self.worker_module, env, self.log)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Poll the worker's /ready until it answers 200."""
        assert self.process is not None
        wait_ready(self.process, self.port, self.log, timeout)

    def stop_worker(self) -> None:
        """Stop the worker gracefully (SIGTERM), killing it if it does not stop."""
        stop(self.process)
        self.process = None

    def effects(self) -> dict[str, int]:
        """The worker's effect table: how often each agent was applied."""
        import json

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/it/effects", timeout=5) as r:
            return dict(json.loads(r.read()))

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log, lines)

    async def publish_created(self, names: list[str]) -> list[str]:
        """Publish one valid AgentCreated per name; returns their event ids in order."""
        ids = []
        spec = kt.source_topic(self.prefix)
        async with EventPublisher(self.bootstrap, source="/it", registry=self.registry) as pub:
            for name in names:
                agent_id = str(uuid.uuid4())
                envelope = pub.build(
                    spec,
                    kt.SOURCE_TYPE,
                    agent_created(agent_id, name),
                    subject=agent_id,
                    actor="it-user",
                )
                await pub.publish(spec, envelope)
                ids.append(envelope.id)
        return ids


def agent_created(agent_id: str, name: str) -> dict[str, Any]:
    """Valid AgentCreated data."""
    return {
        "agent_id": agent_id,
        "project_id": str(uuid.uuid4()),
        "name": name,
        "capabilities": ["summarize"],
        "capacity": 2,
        "labels": {"team": "it"},
        "model_settings": {"model": "sim"},
        "created_by": str(uuid.uuid4()),
        "status": "registered",
    }


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord]], bool],
    timeout: float = 60.0,
) -> list[ConsumerRecord]:
    """Read a topic from the start (committed records only) until ``done`` or the timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(records):
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    """A record's headers as text (last value wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
