"""Recognising the servers `up` started, so `down` never kills an unrelated process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.tooling.stack import stop_stack
from streams.tooling.stack.component import StackContext
from streams.tooling.stack.kafka import KafkaComponent
from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.procs import is_alive, is_same_process, terminate
from streams.tooling.stack.state import StackState, save_state


def _sleeper(*marks: str) -> subprocess.Popen[bytes]:
    # The extra argv entries stand in for a server's command line.
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *marks])


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is none of our servers."""
    proc = _sleeper("unrelated")
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(autouse=True)
def _local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)


def test_process_is_recognised_by_its_command_line(stranger: subprocess.Popen[bytes]) -> None:
    assert is_same_process(stranger.pid, ["time.sleep", "unrelated"])
    assert not is_same_process(stranger.pid, ["kafka.Kafka"])
    assert not is_same_process(None, [])


def test_an_exited_process_is_not_alive() -> None:
    proc = _sleeper()
    assert is_alive(proc.pid)
    assert terminate(proc.pid, grace_seconds=5)
    assert not is_alive(proc.pid)
    assert not is_same_process(proc.pid, ["time.sleep"])


def test_down_leaves_recorded_pids_of_unrelated_processes_alone(
    tmp_path: Path, stranger: subprocess.Popen[bytes]
) -> None:
    paths = StackPaths(tmp_path)
    state = StackState()
    for name in ("kafka", "postgres", "redis"):
        state.component(name).pid = stranger.pid
        state.component(name).ports["main"] = 25000
    save_state(paths, state)
    paths.pg_data.mkdir(parents=True)
    (paths.pg_data / "postmaster.pid").write_text(f"{stranger.pid}\n")
    paths.redis_pidfile.parent.mkdir(parents=True)
    paths.redis_pidfile.write_text(f"{stranger.pid}\n")
    lines: list[str] = []
    stop_stack(tmp_path, progress=lines.append)
    assert stranger.poll() is None, "an unrelated process was killed"
    assert lines == [f"{n} was not running" for n in ("kafka", "postgres", "redis")]


def test_down_stops_the_process_that_is_our_broker(tmp_path: Path) -> None:
    paths = StackPaths(tmp_path)
    broker = _sleeper("kafka.Kafka", str(paths.kafka_config))
    try:
        state = StackState()
        state.component("kafka").pid = broker.pid
        ctx = StackContext(paths, state)
        assert KafkaComponent().running_pid(ctx) == broker.pid
        assert KafkaComponent().stop(ctx)
        assert broker.poll() is not None
        assert state.component("kafka").pid is None
    finally:
        broker.kill()
        broker.wait()
