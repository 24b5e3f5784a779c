"""Stopping and restarting one server of the local stack, as an outage would."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from streams.tooling.stack import Endpoints, ensure_stack
from streams.tooling.stack.component import Component, StackContext
from streams.tooling.stack.kafka import KafkaComponent
from streams.tooling.stack.paths import StackPaths, resolve_state_dir
from streams.tooling.stack.postgres import PostgresComponent
from streams.tooling.stack.procs import wait_gone
from streams.tooling.stack.redis_server import RedisComponent
from streams.tooling.stack.state import StackState, load_state, state_lock

COMPONENTS: dict[str, type[Component]] = {
    "kafka": KafkaComponent,
    "postgres": PostgresComponent,
    "redis": RedisComponent,
}


def stop_component(state_dir: Path, name: str) -> None:
    """Stop one server the stack in ``state_dir`` started; the others keep running."""
    paths = StackPaths(resolve_state_dir(state_dir))
    with state_lock(paths):
        ctx = StackContext(paths, load_state(paths) or StackState())
        stopped = COMPONENTS[name]().stop(ctx)
        ctx.save()
    assert stopped, f"{name} was not running in {state_dir}"


def restart_stack(state_dir: Path) -> Endpoints:
    """Start whatever is stopped again (on its old port and data) and wait until ready."""
    return ensure_stack(state_dir, progress=lambda _line: None)


def kill_component(state_dir: Path, name: str) -> int:
    """SIGKILL one server the stack in ``state_dir`` started (no shutdown at all); its pid."""
    paths = StackPaths(resolve_state_dir(state_dir))
    with state_lock(paths):
        ctx = StackContext(paths, load_state(paths) or StackState())
        pid = COMPONENTS[name]().running_pid(ctx)
        assert pid is not None, f"{name} is not running in {state_dir}"
        os.kill(pid, signal.SIGKILL)
        assert wait_gone(pid, 10.0), f"{name} (pid {pid}) survived SIGKILL"
        ctx.component(name).pid = None
        ctx.save()
    return pid
