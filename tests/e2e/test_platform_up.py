"""The platform as a user meets it: `dafnck up`, then the CLI and HTTP against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streams.tooling.stack import Endpoints
from tests.support.streams.harness import free_port

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Platform:
    """A running `dafnck up` and how to reach it."""

    process: subprocess.Popen[str]
    edge: str
    analytics: str
    env: dict[str, str]
    log: Path

    def dafnck(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a dafnck command against the platform."""
        return subprocess.run(
            [sys.executable, "-m", "streams", *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_for(url: str, process: subprocess.Popen[str], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dafnck up exited:\n{log.read_text()[-4000:]}")
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def platform(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    state_dir = tmp_path_factory.mktemp("up-state")
    edge_port, worker_base = free_port(), free_port()
    env = {
        **os.environ,
        **endpoints.as_env(),  # the session's servers: `up` starts none of its own
        "DAFNCK_STATE_DIR": str(state_dir),
        "DAFNCK_WORKER_PORT_BASE": str(worker_base),
        # Not the default administrator: that one belongs to whoever runs `make run` on
        # this stack, and its generated password lives in their state directory.
        "DAFNCK_BOOTSTRAP_ADMIN_EMAIL": f"e2e-{uuid.uuid4().hex[:8]}@dafnck.local",
        "PYTHONUNBUFFERED": "1",
        # Its workers are static members the next test's platform must outwait: keep it short.
        "DAFNCK_CONSUMER_SESSION_TIMEOUT_S": "10",
    }
    log = state_dir / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams", "up", "--port", str(edge_port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    analytics = f"http://127.0.0.1:{worker_base + 4}"
    running = Platform(process, f"http://127.0.0.1:{edge_port}", analytics, env, log)
    try:
        _wait_for(f"{running.edge}/ready", process, log)
        _wait_for(f"{analytics}/ready", process, log)
        # `up` announces the platform once every worker is ready, not just these two.
        deadline = time.monotonic() + 120
        while "DafnckMachine is up" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def _consumed(platform: Platform, outcome: str) -> float:
    _, body = _get(f"{platform.analytics}/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        wanted = (
            line.startswith("dafnck_events_consumed_total{")
            and f'outcome="{outcome}"' in line
            and 'topic="agent-events"' in line
        )
        if wanted:
            total += float(line.rsplit(" ", 1)[1])
    return total


# Generous: on a shared broker the analytics-consumers group may first work through a
# backlog other runs left on its topics (thousands of user-events), in fetch order.
def _eventually(check: object, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_up_serves_health_ready_openapi_and_prints_urls(platform: Platform) -> None:
    status, body = _get(f"{platform.edge}/ready")
    checks = json.loads(body)["checks"]
    assert status == 200 and all(checks[name]["ok"] for name in ("kafka", "postgres", "redis"))
    assert json.loads(_get(f"{platform.edge}/openapi.json")[1])["openapi"].startswith("3.1")
    assert f"edge       {platform.edge}" in platform.log.read_text()


def test_self_sign_up_is_off_by_default(platform: Platform) -> None:
    body = json.dumps({"email": "x@e2e.test", "password": "Whatever-Pass-1", "display_name": "X"})
    request = urllib.request.Request(
        f"{platform.edge}/api/auth/signup",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404


def test_topics_list_shows_every_catalog_topic(platform: Platform) -> None:
    result = platform.dafnck("topics", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert listed["agent-events"]["partitions"] == 3
    assert listed["user-events"]["partitions"] == 2
    assert "agent-events.dlq" in listed


def test_published_event_is_consumed_and_poison_lands_on_the_dlq(platform: Platform) -> None:
    handled_before = _consumed(platform, "handled")
    dead_before = _consumed(platform, "dead-lettered")
    agent_id = str(uuid.uuid4())
    data = {
        "agent_id": agent_id,
        "project_id": str(uuid.uuid4()),
        "name": "e2e agent",
        "capabilities": ["summarize"],
        "capacity": 1,
        "labels": {},
        "model_settings": {},
        "created_by": str(uuid.uuid4()),
        "status": "registered",
    }
    published = platform.dafnck(
        "publish", "agent-events", "--type", "AgentCreated", "--data", json.dumps(data)
    )
    assert published.returncode == 0, published.stderr
    assert "published AgentCreated" in published.stdout

    invalid = platform.dafnck(
        "publish", "agent-events", "--type", "AgentCreated", "--data", '{"agent_id": "x"}'
    )
    assert invalid.returncode == 1
    assert "agent_id" in invalid.stderr or "required" in invalid.stderr

    poison_key = f"e2e-{uuid.uuid4().hex[:8]}"
    raw = platform.dafnck("publish", "agent-events", "--raw", "{not json", "--key", poison_key)
    assert raw.returncode == 0, raw.stderr

    _eventually(lambda: _consumed(platform, "handled") >= handled_before + 1)
    _eventually(lambda: _consumed(platform, "dead-lettered") >= dead_before + 1)
    tail = platform.dafnck(
        "tail", "agent-events.dlq", "--from-beginning", "--timeout", "5", timeout=90
    )
    assert tail.returncode == 0, tail.stderr
    block = tail.stdout.split(f"key={poison_key}")[1].split("--- ")[0]
    assert "dlq.reason: not-json" in block
    assert "dlq.original.topic: agent-events" in block
    assert "{not json" in block
