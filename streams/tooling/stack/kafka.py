"""The local single-node Kafka broker (KRaft mode) as a stack component."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from streams.tooling.stack import kafka_config, kafka_jars
from streams.tooling.stack.component import StackContext
from streams.tooling.stack.endpoints import kafka_address
from streams.tooling.stack.errors import ComponentError, StackError
from streams.tooling.stack.logs import mark_start
from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.ports import ensure_port
from streams.tooling.stack.probes import kafka_answers
from streams.tooling.stack.procs import (
    find_process,
    is_alive,
    is_same_process,
    spawn_detached,
    terminate,
)
from streams.tooling.stack.state import ComponentState
from streams.tooling.stack.syspkg import JAVA_PACKAGE, MAVEN_PACKAGE, find_java
from streams.tooling.stack.waiting import WaitResult, wait_for

STOP_GRACE_SECONDS = 30.0


class KafkaComponent:
    """Kafka broker + controller in one JVM, on two loopback ports."""

    name = "kafka"
    ready_timeout = 90.0

    def __init__(self) -> None:
        # The broker we spawned in this process, to read its exit code if it dies early.
        self._proc: subprocess.Popen[bytes] | None = None

    def log_path(self, paths: StackPaths) -> Path:
        """Broker stdout/stderr (log4j logs to stdout)."""
        return paths.log_file(self.name)

    def address(self, state: ComponentState) -> str | None:
        """Bootstrap address, e.g. 127.0.0.1:24001."""
        port = state.ports.get("broker")
        return kafka_address(port) if port else None

    def _markers(self, paths: StackPaths) -> list[str]:
        return ["kafka.Kafka", str(paths.kafka_config)]

    def running_pid(self, ctx: StackContext) -> int | None:
        """The recorded broker pid when that process is still our broker."""
        state = ctx.component(self.name)
        markers = self._markers(ctx.paths)
        if is_same_process(state.pid, markers):
            return state.pid
        # The record may be lost (state file deleted, crash mid-write): our config path in a
        # java command line still identifies our broker.
        state.pid = find_process(markers)
        return state.pid

    def missing_packages(self, ctx: StackContext) -> list[str]:
        """Java 17 always; Maven only while the jars are not cached yet."""
        missing = [] if find_java() else [JAVA_PACKAGE]
        if not kafka_jars.jars_ready(ctx.paths.kafka_jars) and shutil.which("mvn") is None:
            missing.append(MAVEN_PACKAGE)
        return missing

    def launch(self, ctx: StackContext) -> None:
        """Fetch jars if needed, render config, format storage once, spawn the broker."""
        java = find_java()
        if java is None:
            raise StackError("no Java 17+ runtime found (install openjdk-17-jre-headless)")
        paths, state = ctx.paths, ctx.component(self.name)
        jars = kafka_jars.ensure_jars(paths.kafka_jars, java, ctx.report)
        log4j = kafka_jars.log4j_config()
        avoid = ctx.state.ports_in_use(except_component=self.name)
        port = ensure_port(state, "broker", avoid, report=ctx.report)
        cport = ensure_port(state, "controller", avoid | {port}, report=ctx.report)
        paths.kafka_data.mkdir(parents=True, exist_ok=True)
        paths.kafka_config.write_text(
            kafka_config.render_server_properties(
                port=port, controller_port=cport, data_dir=paths.kafka_data
            )
        )
        log = self.log_path(paths)
        mark_start(log, self.name)
        if not (paths.kafka_data / "meta.properties").exists():
            cluster_id = kafka_config.new_cluster_id()
            ctx.report(f"formatting Kafka storage (cluster id {cluster_id})")
            argv = kafka_config.format_argv(java, jars, cluster_id, paths.kafka_config, log4j)
            with log.open("ab") as out:
                done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                raise ComponentError(self.name, f"storage format exited {done.returncode}", log)
            state.extra["cluster_id"] = cluster_id
        ctx.report(f"starting kafka on {kafka_address(port)} (controller port {cport})")
        argv = kafka_config.server_argv(java, jars, paths.kafka_config, log4j)
        self._proc = spawn_detached(argv, log, cwd=paths.component_dir(self.name))
        state.pid = self._proc.pid
        ctx.save()

    def _alive(self, pid: int | None) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        return pid is not None and is_alive(pid)

    def wait_ready(self, ctx: StackContext, timeout: float) -> None:
        """Wait until the broker answers a metadata request."""
        state = ctx.component(self.name)
        address, pid = self.address(state), state.pid
        if address is None:
            raise StackError("kafka has no port recorded; run `dafnck stack up`")
        result = wait_for(
            lambda: kafka_answers(address, timeout=2.0),
            timeout=timeout,
            interval=0.5,
            alive=lambda: self._alive(pid),
        )
        log = self.log_path(ctx.paths)
        if result is WaitResult.DIED:
            code = self._proc.returncode if self._proc is not None else None
            suffix = f" with code {code}" if code is not None else ""
            raise ComponentError(self.name, f"the broker process exited{suffix}", log)
        if result is WaitResult.TIMEOUT:
            raise ComponentError(self.name, f"no answer on {address} within {timeout:.0f} s", log)

    def stop(self, ctx: StackContext) -> bool:
        """SIGTERM (controlled shutdown), then SIGKILL after a grace period."""
        pid = self.running_pid(ctx)
        state = ctx.component(self.name)
        if pid is None:
            state.pid = None
            return False
        ctx.report(f"stopping kafka (pid {pid})...")
        if not terminate(pid, grace_seconds=STOP_GRACE_SECONDS):
            raise StackError(f"kafka (pid {pid}) did not exit even after SIGKILL")
        state.pid = None
        ctx.save()
        return True
