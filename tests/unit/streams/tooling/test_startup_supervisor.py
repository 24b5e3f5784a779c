"""`dafnck up`'s supervisor: a dead process is restarted with backoff, the rest keep running."""

from __future__ import annotations

import subprocess
from typing import Any, cast

from streams.tooling.cli.supervisor import MAX_BACKOFF_S, Supervisor, backoff


class FakeProcess:
    """A child process whose exit the test decides."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.code: int | None = None
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)
        self.code = -signum

    def wait(self, timeout: float | None = None) -> int:
        assert self.code is not None
        return self.code

    def kill(self) -> None:
        self.code = -9


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _supervisor() -> tuple[Supervisor[str], list[str], list[FakeProcess], Clock]:
    said: list[str] = []
    spawned: list[FakeProcess] = []
    clock = Clock()

    def spawn(name: str) -> subprocess.Popen[bytes]:
        spawned.append(FakeProcess(100 + len(spawned)))
        return cast(Any, spawned[-1])

    return Supervisor(spawn, lambda name: name, said.append, clock), said, spawned, clock


def test_a_killed_worker_is_restarted_after_a_second_and_the_others_keep_running() -> None:
    supervisor, said, spawned, clock = _supervisor()
    agents, users = supervisor.start("agents"), supervisor.start("users")
    spawned[0].code = -9
    clock.now = 5.0
    supervisor.check()
    assert said == ["agents exited with code -9; restarting in 1s (restart 1)"]
    assert len(spawned) == 2 and spawned[1].code is None  # users untouched

    clock.now = 5.5
    assert supervisor.check() == []
    clock.now = 6.0
    assert supervisor.check() == [agents]
    assert agents.popen is cast(Any, spawned[2]) and agents.restarts == 1
    assert users.restarts == 0


def test_a_worker_that_keeps_dying_waits_longer_each_time_up_to_the_cap() -> None:
    supervisor, said, spawned, clock = _supervisor()
    supervisor.start("agents")
    for _ in range(8):
        spawned[-1].code = 1
        supervisor.check()
        clock.now += MAX_BACKOFF_S
        supervisor.check()
    delays = [line.split("restarting in ")[1].split("s")[0] for line in said]
    assert delays == ["1", "2", "4", "8", "16", "30", "30", "30"]


def test_a_worker_that_ran_a_minute_starts_again_from_a_short_backoff() -> None:
    assert backoff(1) == 1.0 and backoff(3) == 4.0
    supervisor, said, spawned, clock = _supervisor()
    supervisor.start("users")
    for _ in range(3):
        spawned[-1].code = 1
        supervisor.check()
        clock.now += 10
        supervisor.check()
    clock.now += 120  # stable for two minutes
    spawned[-1].code = -9
    supervisor.check()
    assert said[-1] == "users exited with code -9; restarting in 1s (restart 4)"


def test_stop_terminates_everything_and_restarts_nothing() -> None:
    supervisor, _said, spawned, clock = _supervisor()
    supervisor.start("users")
    supervisor.start("edge")
    spawned[0].code = 1
    supervisor.check()
    supervisor.stop(grace_s=1)
    for _ in range(3):
        clock.now += 100
        assert supervisor.check() == []
    assert len(spawned) == 2
    assert spawned[1].signals  # the running one got SIGTERM


def test_a_configuration_error_is_not_restarted() -> None:
    supervisor, said, spawned, clock = _supervisor()
    supervisor.start("users")
    edge = supervisor.start("edge")
    spawned[1].code = 2  # e.g. production without DAFNCK_BOOTSTRAP_ADMIN_PASSWORD
    supervisor.check()
    clock.now += 100
    supervisor.check()
    assert supervisor.gave_up is edge
    assert said == ["edge exited with code 2: it cannot start as configured"]
    assert len(spawned) == 2
