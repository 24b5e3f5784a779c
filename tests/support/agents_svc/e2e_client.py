"""Driving the agents context end to end: agents as real processes, raw connections, events."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from tests.e2e.identity.platform import Edge, eventually

REPO_ROOT = Path(__file__).resolve().parents[3]
HANDLER = "tests.e2e.agents.handlers:work"


@dataclass
class AgentsApiClient:
    """The agents API as an administrator calls it."""

    edge: Edge
    token: str
    project_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def create(self, name: str, capabilities: list[str], capacity: int = 2) -> dict[str, Any]:
        body = {
            "project_id": self.project_id,
            "name": name,
            "capabilities": capabilities,
            "capacity": capacity,
        }
        return self.created("/api/agents", body)

    def key(self, agent_id: str) -> str:
        # A 202's status URL never shows the secret (only the edge saw it): ask again.
        for _ in range(5):
            answer = self.edge.call("POST", f"/api/agents/{agent_id}/keys", {}, token=self.token)
            if answer.status == 201:
                return str(answer.body["api_key"])
            assert answer.status == 202, answer.body
        raise AssertionError(f"no key issued for agent {agent_id}: {answer.body}")

    def created(self, path: str, body: Any) -> dict[str, Any]:
        """POST, following a 202 (the scheduler still busy) to the created resource."""
        answer = self.edge.call("POST", path, body, token=self.token)
        if answer.status == 202:
            url = answer.body["status_url"]
            done = eventually(
                lambda: self.edge.call("GET", url, token=self.token).body.get("resource")
            )
            return dict(done)
        assert answer.status == 201, answer.body
        return dict(answer.body)

    def get(self, path: str) -> Any:
        answer = self.edge.call("GET", path, token=self.token)
        assert answer.status == 200, answer.body
        return answer.body

    def post(self, path: str, body: Any) -> Any:
        return self.edge.call("POST", path, body, token=self.token)

    def until(self, path: str, check: Any, timeout: float = 60) -> Any:
        """GET ``path`` until ``check(body)`` holds; the last body."""
        seen: list[Any] = []

        def probe() -> bool:
            answer = self.edge.call("GET", path, token=self.token)
            seen.append(answer.body)
            return answer.status == 200 and bool(check(answer.body))

        assert eventually(probe, timeout=timeout, every=0.3), f"{path}: {seen[-1:]}"
        return seen[-1]


@contextmanager
def agent_process(
    edge: Edge,
    name: str,
    capabilities: list[str],
    key: str,
    concurrency: int = 2,
    log_dir: Path | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """`dafnck agent run` as a user starts it; stopped (or already killed) afterwards."""
    log = (log_dir or edge.state_dir) / f"agent-{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streams",
                "agent",
                "run",
                "--name",
                name,
                "--capabilities",
                ",".join(capabilities),
                "--handler",
                HANDLER,
                "--concurrency",
                str(concurrency),
                "--edge",
                edge.url,
            ],
            env={**os.environ, "DAFNCK_AGENT_KEY": key, "PYTHONUNBUFFERED": "1"},
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def events_of(bootstrap: str, subject: str, types: set[str]) -> list[dict[str, Any]]:
    """Every event on agent-events about ``subject`` of the given types, from the start."""

    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        await consumer.start()
        found: list[dict[str, Any]] = []
        try:
            partitions = [TopicPartition("agent-events", p) for p in range(3)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for record in records:
                        if record.key != subject.encode():
                            continue
                        envelope = orjson.loads(record.value)
                        if envelope["type"] in types:
                            found.append(envelope)
        finally:
            await consumer.stop()
        return found

    return asyncio.run(read())


class RawAgent:
    """An agent speaking the connection protocol by hand (to do what the SDK never does)."""

    def __init__(self, edge: Edge, key: str, name: str) -> None:
        self.url = edge.url.replace("http", "ws", 1) + "/api/agents/connect"
        self.key = key
        self.name = name
        self.ref = 0
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def connect(self, capabilities: list[str] | None = None) -> dict[str, Any]:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(
            self.url, headers={"Authorization": f"AgentKey {self.key}"}
        )
        await self.send(
            {
                "type": "hello",
                "name": self.name,
                "capabilities": capabilities,
                "concurrency": 4,
                "running": [],
            }
        )
        welcome = await self.receive()
        assert welcome["type"] == "welcome", welcome
        return welcome

    async def send(self, frame: dict[str, Any]) -> int:
        assert self.ws is not None
        if frame["type"] not in ("hello", "heartbeat"):
            self.ref += 1
            frame = {**frame, "ref": self.ref}
        await self.ws.send_str(orjson.dumps(frame).decode())
        return self.ref

    async def receive(self, timeout: float = 30) -> dict[str, Any]:
        assert self.ws is not None
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return dict(orjson.loads(msg.data))

    async def next_of(self, kind: str, timeout: float = 30) -> dict[str, Any]:
        """The next frame of a kind, skipping others (acks, other deliveries)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            frame = await self.receive(timeout=max(left, 0.01))
            if frame["type"] == kind:
                return frame

    async def frames_within(self, seconds: float) -> list[dict[str, Any]]:
        """Every frame that arrives within ``seconds``."""
        got: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                got.append(await self.receive(timeout=left))
            except TimeoutError:
                break
        return got

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()
