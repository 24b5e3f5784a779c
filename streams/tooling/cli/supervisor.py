"""Keeping ``dafnck up``'s processes running: a dead worker or edge is restarted with backoff.

One process dying does not stop the platform: the servers (Kafka, Postgres, Redis) and the
other processes keep running, and the dead one is started again after 1 s, then 2 s, 4 s...
up to 30 s while it keeps dying; a process that stayed up a minute starts again from 1 s.
One exiting with status 2 (a configuration error) is not restarted: ``gave_up`` names it.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

# A process exiting 2 says it cannot start as configured: starting it again changes nothing.
CONFIGURATION_ERROR = 2
INITIAL_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0

P = TypeVar("P")


@dataclass
class Child(Generic[P]):
    """One supervised process and its restart bookkeeping."""

    what: P
    name: str
    popen: subprocess.Popen[bytes]
    started_at: float
    restarts: int = 0
    failures_in_a_row: int = 0
    restart_at: float | None = None
    exit_codes: list[int] = field(default_factory=list)


def backoff(failures_in_a_row: int) -> float:
    """Seconds before restarting a process that died ``failures_in_a_row`` times in a row."""
    return min(MAX_BACKOFF_S, INITIAL_BACKOFF_S * 2 ** max(0, failures_in_a_row - 1))


class Supervisor(Generic[P]):
    """Starts processes with ``spawn`` and restarts any that exit until ``stop``."""

    def __init__(
        self,
        spawn: Callable[[P], subprocess.Popen[bytes]],
        name_of: Callable[[P], str],
        report: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spawn = spawn
        self.name_of = name_of
        self.report = report
        self.clock = clock
        self.children: list[Child[P]] = []
        self.stopping = False
        self.gave_up: Child[P] | None = None

    def start(self, what: P) -> Child[P]:
        """Start one process and supervise it."""
        child = Child(what, self.name_of(what), self.spawn(what), self.clock())
        self.children.append(child)
        return child

    def check(self) -> list[Child[P]]:
        """Notice exits and restart what is due (returned); call it every fraction of a second."""
        now = self.clock()
        restarted: list[Child[P]] = []
        if self.stopping or self.gave_up is not None:
            return restarted
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restart_at = None
                    child.restarts += 1
                    child.popen = self.spawn(child.what)
                    child.started_at = now
                    restarted.append(child)
                continue
            code = child.popen.poll()
            if code is None:
                continue
            child.exit_codes.append(code)
            if code == CONFIGURATION_ERROR:
                self.report(f"{child.name} exited with code {code}: it cannot start as configured")
                self.gave_up = child
                return restarted
            if now - child.started_at >= STABLE_AFTER_S:
                child.failures_in_a_row = 0
            child.failures_in_a_row += 1
            delay = backoff(child.failures_in_a_row)
            child.restart_at = now + delay
            self.report(
                f"{child.name} exited with code {code}; "
                f"restarting in {delay:g}s (restart {child.restarts + 1})"
            )
        return restarted

    def stop(self, grace_s: float) -> None:
        """SIGTERM every running process, last started first; SIGKILL what outlives ``grace_s``."""
        self.stopping = True
        for child in reversed(self.children):
            child.restart_at = None
            if child.popen.poll() is None:
                child.popen.send_signal(signal.SIGTERM)
        deadline = self.clock() + grace_s
        for child in self.children:
            try:
                child.popen.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                self.report(f"{child.name} did not stop in {grace_s:.0f}s; killing it")
                child.popen.kill()
                child.popen.wait()
