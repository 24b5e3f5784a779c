"""What every local server (kafka, postgres, redis) offers to the stack manager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.state import ComponentState, StackState, save_state

Report = Callable[[str], None]


def quiet(_message: str) -> None:
    """A progress callback that shows nothing."""


@dataclass
class StackContext:
    """The state directory, its persisted state and where progress lines go."""

    paths: StackPaths
    state: StackState
    report: Report = quiet

    def component(self, name: str) -> ComponentState:
        """Persisted state of one component."""
        return self.state.component(name)

    def save(self) -> None:
        """Persist the state now, so a crash or Ctrl-C never loses a started pid."""
        save_state(self.paths, self.state)


class Component(Protocol):
    """One local server the stack can start, check and stop."""

    name: str
    ready_timeout: float

    def log_path(self, paths: StackPaths) -> Path:
        """The server's log file."""
        ...

    def address(self, state: ComponentState) -> str | None:
        """Its endpoint (bootstrap or URL), or None before a port was ever chosen."""
        ...

    def running_pid(self, ctx: StackContext) -> int | None:
        """Pid of the server we started when it is still running, else None."""
        ...

    def missing_packages(self, ctx: StackContext) -> list[str]:
        """Debian packages needed to start it that are not installed."""
        ...

    def launch(self, ctx: StackContext) -> None:
        """Start the server (it may still be getting ready when this returns)."""
        ...

    def wait_ready(self, ctx: StackContext, timeout: float) -> None:
        """Block until it answers; raise ComponentError when it dies or times out."""
        ...

    def stop(self, ctx: StackContext) -> bool:
        """Stop the server we started; True when something was stopped."""
        ...
