"""The local private Redis server as a stack component."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from streams.tooling.stack.component import StackContext
from streams.tooling.stack.endpoints import redis_url
from streams.tooling.stack.errors import ComponentError, StackError
from streams.tooling.stack.logs import mark_start
from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.ports import ensure_port
from streams.tooling.stack.probes import redis_answers
from streams.tooling.stack.procs import is_alive, is_same_process, read_pidfile, terminate
from streams.tooling.stack.state import ComponentState
from streams.tooling.stack.syspkg import REDIS_PACKAGE
from streams.tooling.stack.waiting import WaitResult, wait_for


def redis_argv(binary: str, port: int, workdir: Path, pidfile: Path, logfile: Path) -> list[str]:
    """redis-server command line: loopback only, daemonized, no snapshots (a cache, not a DB)."""
    return [
        binary,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--protected-mode", "yes",
        "--dir", str(workdir),
        "--daemonize", "yes",
        "--pidfile", str(pidfile),
        "--logfile", str(logfile),
        "--save", "",
        "--appendonly", "no",
    ]  # fmt: skip


class RedisComponent:
    """redis-server, daemonized, with its pid file and log under the state directory."""

    name = "redis"
    ready_timeout = 20.0

    def log_path(self, paths: StackPaths) -> Path:
        """The server log."""
        return paths.log_file(self.name)

    def address(self, state: ComponentState) -> str | None:
        """REDIS_URL, database 0."""
        port = state.ports.get("main")
        return redis_url(port) if port else None

    def _markers(self, state: ComponentState) -> list[str]:
        # Redis retitles itself "redis-server 127.0.0.1:<port>".
        return ["redis-server", f"127.0.0.1:{state.ports.get('main')}"]

    def running_pid(self, ctx: StackContext) -> int | None:
        """The daemon's pid (from its pid file) when it is our redis-server."""
        state = ctx.component(self.name)
        pid = read_pidfile(ctx.paths.redis_pidfile) or state.pid
        if not is_same_process(pid, self._markers(state)):
            return None
        state.pid = pid
        return pid

    def missing_packages(self, ctx: StackContext) -> list[str]:
        """redis-server, when its binary is not on PATH."""
        return [] if shutil.which("redis-server") else [REDIS_PACKAGE]

    def launch(self, ctx: StackContext) -> None:
        """Start redis-server as a daemon on a free loopback port."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError("redis-server not found (install redis-server)")
        paths, state = ctx.paths, ctx.component(self.name)
        workdir = paths.component_dir(self.name)
        workdir.mkdir(parents=True, exist_ok=True)
        paths.redis_pidfile.unlink(missing_ok=True)  # stale: running_pid said it is not ours
        port = ensure_port(
            state, "main", ctx.state.ports_in_use(except_component=self.name), report=ctx.report
        )
        ctx.report(f"starting redis on 127.0.0.1:{port}")
        log = self.log_path(paths)
        mark_start(log, self.name)
        argv = redis_argv(binary, port, workdir, paths.redis_pidfile, log)
        done = subprocess.run(
            argv, capture_output=True, text=True, cwd=workdir, start_new_session=True, check=False
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            raise ComponentError(self.name, output or f"exited {done.returncode}", log)
        ctx.save()

    def wait_ready(self, ctx: StackContext, timeout: float) -> None:
        """Wait for its pid file and a PING answer."""
        state = ctx.component(self.name)
        url = self.address(state)
        if url is None:
            raise StackError("redis has no port recorded; run `dafnck stack up`")
        result = wait_for(
            lambda: self.running_pid(ctx) is not None and redis_answers(url, timeout=2.0),
            timeout=timeout,
            interval=0.1,
            alive=lambda: self._daemon_alive(ctx),
        )
        if result is not WaitResult.READY:
            raise ComponentError(self.name, f"no answer on {url} within {timeout:.0f} s",
                                 self.log_path(ctx.paths))  # fmt: skip
        ctx.save()

    def _daemon_alive(self, ctx: StackContext) -> bool:
        # Before the pid file appears we cannot tell; a pid file naming a dead pid means it died.
        pid = read_pidfile(ctx.paths.redis_pidfile)
        return pid is None or is_alive(pid)

    def stop(self, ctx: StackContext) -> bool:
        """SIGTERM (redis shuts down cleanly on it), then SIGKILL after a grace period."""
        pid = self.running_pid(ctx)
        state = ctx.component(self.name)
        if pid is None:
            state.pid = None
            return False
        ctx.report(f"stopping redis (pid {pid})...")
        if not terminate(pid, grace_seconds=10.0):
            raise StackError(f"redis (pid {pid}) did not exit even after SIGKILL")
        state.pid = None
        ctx.save()
        return True
