"""Bringing the local stack up, reporting on it and taking it down again."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streams.tooling.stack.component import Component, StackContext, quiet
from streams.tooling.stack.endpoints import ENV_VARS, Endpoints, external_from_env
from streams.tooling.stack.kafka import KafkaComponent
from streams.tooling.stack.paths import StackPaths, resolve_state_dir
from streams.tooling.stack.postgres import PostgresComponent
from streams.tooling.stack.probes import answers
from streams.tooling.stack.redis_server import RedisComponent
from streams.tooling.stack.state import StackState, load_state, state_lock
from streams.tooling.stack.syspkg import ensure_packages

Progress = Callable[[str], None]


def _components() -> dict[str, Component]:
    return {"kafka": KafkaComponent(), "postgres": PostgresComponent(), "redis": RedisComponent()}


# Kafka is launched first and awaited last: its JVM takes longest, the others start meanwhile.
LAUNCH_ORDER = ("kafka", "redis", "postgres")
READY_ORDER = ("redis", "postgres", "kafka")


def stderr_progress(message: str) -> None:
    """Default progress output: one line per step on stderr."""
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def ensure_stack(state_dir: Path | None = None, *, progress: Progress | None = None) -> Endpoints:
    """Start whatever is not running (idempotent), wait until ready, return the endpoints."""
    report = progress or stderr_progress
    external = external_from_env()
    if len(external) == len(ENV_VARS):
        return Endpoints.from_components(external)
    paths = StackPaths(resolve_state_dir(state_dir))
    components = _components()
    local = [name for name in LAUNCH_ORDER if name not in external]
    with state_lock(paths, on_wait=lambda: report("waiting for another dafnck using this stack")):
        ctx = StackContext(paths, load_state(paths) or StackState(), report)
        try:
            _start_missing(ctx, components, local, external)
        finally:
            ctx.save()  # chosen ports and started pids survive a failure or Ctrl-C
        addresses = {n: components[n].address(ctx.component(n)) or "" for n in local}
    return Endpoints.from_components({**addresses, **external})


def _start_missing(
    ctx: StackContext, components: dict[str, Component], local: list[str], external: dict[str, str]
) -> None:
    report = ctx.report
    running = {name: components[name].running_pid(ctx) for name in local}
    to_start = [name for name in local if running[name] is None]
    missing = [pkg for name in to_start for pkg in components[name].missing_packages(ctx)]
    ensure_packages(missing, report, ctx.paths.root / "apt.log")
    started: dict[str, float] = {}
    for name in local:
        if name in to_start:
            started[name] = time.monotonic()
            components[name].launch(ctx)
        else:
            address = components[name].address(ctx.component(name))
            report(f"{name} already running (pid {running[name]}) on {address}")
    for name in READY_ORDER:
        if name in local:
            component = components[name]
            component.wait_ready(ctx, component.ready_timeout)
            if name in started:
                report(f"{name} ready ({time.monotonic() - started[name]:.1f} s)")
    for name in external:
        report(f"{name} is external: {ENV_VARS[name]}")


def current_endpoints(state_dir: Path | None = None) -> Endpoints | None:
    """Endpoints from env vars and the state file, starting nothing; None if never started."""
    external = external_from_env()
    if len(external) == len(ENV_VARS):
        return Endpoints.from_components(external)
    state = load_state(StackPaths(resolve_state_dir(state_dir)))
    if state is None:
        return None
    components = _components()
    addresses = dict(external)
    for name, component in components.items():
        if name not in external:
            address = component.address(state.component(name))
            if address is None:
                return None
            addresses[name] = address
    return Endpoints.from_components(addresses)


def stop_stack(state_dir: Path | None = None, *, progress: Progress | None = None) -> None:
    """Stop the servers this state directory's `up` started; leave everything else alone."""
    report = progress or stderr_progress
    paths = StackPaths(resolve_state_dir(state_dir))
    external = external_from_env()
    if load_state(paths) is None:
        report(f"no local stack in {paths.root}; nothing to stop")
        return
    with state_lock(paths, on_wait=lambda: report("waiting for another dafnck using this stack")):
        state = load_state(paths) or StackState()
        ctx = StackContext(paths, state, report)
        for name, component in _components().items():
            if name in external:
                report(f"{name} is external ({ENV_VARS[name]}); leaving it alone")
            elif component.stop(ctx):
                report(f"{name} stopped")
            else:
                report(f"{name} was not running")
        ctx.save()


@dataclass(frozen=True)
class ComponentStatus:
    """What `dafnck stack status` shows for one component."""

    name: str
    mode: str  # "local", "external" or "never started"
    address: str | None
    pid: int | None
    answering: bool
    log_path: Path | None


def stack_status(state_dir: Path | None = None, *, timeout: float = 3.0) -> list[ComponentStatus]:
    """Each component's mode, address, pid and whether it answers right now."""
    paths = StackPaths(resolve_state_dir(state_dir))
    external = external_from_env()
    state = load_state(paths) or StackState()
    ctx = StackContext(paths, state, quiet)
    result = []
    for name, component in _components().items():
        if name in external:
            ok = answers(name, external[name], timeout)
            result.append(ComponentStatus(name, "external", external[name], None, ok, None))
            continue
        local = component.address(state.component(name))
        pid = component.running_pid(ctx)
        ok = local is not None and answers(name, local, timeout)
        mode = "local" if local is not None else "never started"
        result.append(ComponentStatus(name, mode, local, pid, ok, component.log_path(paths)))
    return result
