"""``dafnck up``: the whole platform in the foreground — stack, topics, workers, edge."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from streams.tooling.cli.logview import LogPrinter
from streams.tooling.cli.platform_ready import PLATFORM_FILE, worker_urls_env, write_platform_file
from streams.tooling.cli.supervisor import Supervisor
from streams.tooling.cli.up_watch import supervise
from streams.tooling.stack import (
    Endpoints,
    default_state_dir,
    ensure_stack,
    stack_status,
    stop_stack,
)
from streams.tooling.topic_admin import apply_topics

STOP_GRACE_S = 15.0


@dataclass(frozen=True)
class Process:
    """One platform process ``up`` runs: a service worker or the edge."""

    name: str
    module: str
    port_env: str
    port: int

    def exists(self) -> bool:
        """True when the package has a runnable ``__main__`` (unbuilt services are skipped)."""
        try:
            return importlib.util.find_spec(f"{self.module}.__main__") is not None
        except ModuleNotFoundError:
            return False


WORKERS = (
    Process("users", "users_svc", "DAFNCK_WORKER_PORT", 6061),
    Process("agents", "agents_svc", "DAFNCK_WORKER_PORT", 6062),
    Process("projects", "projects_svc", "DAFNCK_WORKER_PORT", 6063),
    Process("notify", "notify_svc", "DAFNCK_WORKER_PORT", 6064),
    Process("analytics", "analytics_svc", "DAFNCK_WORKER_PORT", 6065),
)
EDGE = Process("edge", "edge", "DAFNCK_EDGE_PORT", 8080)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``up``."""
    up = subparsers.add_parser(
        "up",
        help="start the whole platform in the foreground (Ctrl-C stops it)",
        description=(
            "Start the local stack (Kafka, Postgres, Redis; or use KAFKA_BOOTSTRAP_SERVERS, "
            "DATABASE_URL, REDIS_URL), create the catalog's topics, then every service worker "
            "that exists and the edge, with their logs interleaved; it says when each is "
            "ready and restarts any that dies (with backoff). Ctrl-C stops them, and "
            "the stack components this command started."
        ),
    )
    up.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("DAFNCK_EDGE_PORT", EDGE.port)),
        help="edge HTTP port (default 8080 or $DAFNCK_EDGE_PORT)",
    )
    up.add_argument("--state-dir", type=Path, help="state directory (default .dafnck)")
    up.add_argument(
        "--json-logs", action="store_true", help="print the processes' JSON log lines as they are"
    )
    up.add_argument(
        "--without",
        default="",
        metavar="NAMES",
        help=(
            "comma-separated workers not to start (e.g. analytics): for a benchmark of one "
            "path, or a worker run elsewhere"
        ),
    )
    up.set_defaults(func=_up)


def _progress(message: str) -> None:
    print(f"[up] {message}", file=sys.stderr, flush=True)


def _pump(name: str, stream: IO[bytes], printer: LogPrinter, logfile: IO[bytes]) -> None:
    for line in iter(stream.readline, b""):
        logfile.write(line)
        logfile.flush()
        printer.print(name, line.decode("utf-8", "replace").rstrip("\n"))


def _up(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or default_state_dir()
    was_running = {s.name for s in stack_status(state_dir) if s.answering}
    timings: dict[str, float] = {}
    launched = began = time.monotonic()
    _progress("starting the stack (Kafka, Postgres, Redis)")
    endpoints = ensure_stack(state_dir, progress=_progress)
    timings["stack"] = time.monotonic() - began
    _progress("applying the topic catalog")
    began = time.monotonic()
    asyncio.run(
        apply_topics(
            endpoints.kafka_bootstrap,
            out=lambda line: None if line.startswith("ok ") else _progress(line),
            strict=False,
        )
    )
    timings["topics"] = time.monotonic() - began

    printer = LogPrinter(raw=args.json_logs)
    log_dir = state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    base = int(os.environ.get("DAFNCK_WORKER_PORT_BASE", "0") or 0)
    workers = [
        Process(w.name, w.module, w.port_env, base + i if base else w.port)
        for i, w in enumerate(WORKERS)
    ]
    unwanted = {n.strip() for n in args.without.split(",") if n.strip()}
    unknown = unwanted - {w.name for w in WORKERS}
    if unknown:
        names = ", ".join(w.name for w in WORKERS)
        _progress(f"--without names unknown workers {sorted(unknown)}; the workers are {names}")
        return 2
    procs = [p for p in workers if p.exists() and p.name not in unwanted]
    skipped = [p.name for p in workers if not p.exists()]
    if unwanted:
        _progress(f"not started (--without): {', '.join(sorted(unwanted))}")
    edge = Process(EDGE.name, EDGE.module, EDGE.port_env, args.port)
    worker_ports = {p.name: p.port for p in procs}
    extra_env = {"DAFNCK_WORKER_URLS": worker_urls_env(worker_ports)}
    supervisor: Supervisor[Process] = Supervisor(
        lambda proc: _spawn(proc, endpoints, state_dir, printer, log_dir, extra_env),
        lambda proc: proc.name,
        _progress,
    )
    platform_file = state_dir / PLATFORM_FILE
    try:
        for proc in [*procs, edge]:
            supervisor.start(proc)
        if skipped:
            _progress(f"not built yet, not started: {', '.join(skipped)}")
        write_platform_file(state_dir, f"http://127.0.0.1:{edge.port}", worker_ports)
        return supervise(
            supervisor,
            lambda proc: f"http://127.0.0.1:{proc.port}/ready",
            timings,
            lambda took: _print_urls(
                edge, procs, endpoints, f"in {time.monotonic() - launched:.1f}s ({took})"
            ),
            _progress,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        _progress("stopping")
        platform_file.unlink(missing_ok=True)
        supervisor.stop(STOP_GRACE_S)
        if not {"kafka", "postgres", "redis"} <= was_running:
            stop_stack(state_dir, progress=_progress)
        _progress("stopped")


def _spawn(
    proc: Process,
    endpoints: Endpoints,
    state_dir: Path,
    printer: LogPrinter,
    log_dir: Path,
    extra_env: dict[str, str],
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **endpoints.as_env(),
        **extra_env,
        proc.port_env: str(proc.port),
        "DAFNCK_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    }
    # Static membership: a restarted worker is the same group member and gets its
    # partitions back at once instead of after the old member's session expires. The
    # worker qualifies the id with its web address (see streams.app.static_member_id).
    env.setdefault("DAFNCK_GROUP_INSTANCE_ID", proc.name)
    child = subprocess.Popen(
        [sys.executable, "-m", proc.module],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us once; we stop children in order
    )
    logfile = (log_dir / f"{proc.name}.log").open("ab")
    assert child.stdout is not None
    threading.Thread(
        target=_pump, args=(proc.name, child.stdout, printer, logfile), daemon=True
    ).start()
    _progress(f"started {proc.name} (pid {child.pid}), log {log_dir / (proc.name + '.log')}")
    return child


def _print_urls(edge: Process, workers: list[Process], endpoints: Endpoints, took: str) -> None:
    lines = [
        "",
        f"DafnckMachine is up {took}:",
        f"  edge       http://127.0.0.1:{edge.port}  (/health /ready /metrics /openapi.json)",
        *(f"  {w.name:<10} http://127.0.0.1:{w.port}/health" for w in workers),
        f"  kafka      {endpoints.kafka_bootstrap}",
        f"  postgres   {endpoints.database_url}",
        f"  redis      {endpoints.redis_url}",
        "Press Ctrl-C to stop; `dafnck status` shows each part's readiness.",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
