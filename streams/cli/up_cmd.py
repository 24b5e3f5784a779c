"""``dafnck up``: the whole platform in the foreground — stack, topics, workers, edge."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from streams.cli.logview import LogPrinter
from streams.stack import Endpoints, default_state_dir, ensure_stack, stack_status, stop_stack
from streams.topic_admin import apply_topics

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
            "that exists and the edge, with their logs interleaved. Ctrl-C stops them, and "
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
    _progress("starting the stack (Kafka, Postgres, Redis)")
    endpoints = ensure_stack(state_dir, progress=_progress)
    _progress("applying the topic catalog")
    asyncio.run(
        apply_topics(
            endpoints.kafka_bootstrap,
            out=lambda line: None if line.startswith("ok ") else _progress(line),
            strict=False,
        )
    )

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
    children: list[tuple[Process, subprocess.Popen[bytes]]] = []
    try:
        for proc in [*procs, edge]:
            children.append((proc, _spawn(proc, endpoints, state_dir, printer, log_dir)))
        if skipped:
            _progress(f"not built yet, not started: {', '.join(skipped)}")
        _print_urls(edge, procs, endpoints)
        return _supervise(children)
    except KeyboardInterrupt:
        return 0
    finally:
        _progress("stopping")
        _stop_children(children)
        if not {"kafka", "postgres", "redis"} <= was_running:
            stop_stack(state_dir, progress=_progress)
        _progress("stopped")


def _spawn(
    proc: Process, endpoints: Endpoints, state_dir: Path, printer: LogPrinter, log_dir: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **endpoints.as_env(),
        proc.port_env: str(proc.port),
        "DAFNCK_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    }
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


def _print_urls(edge: Process, workers: list[Process], endpoints: Endpoints) -> None:
    lines = [
        "",
        "DafnckMachine is up:",
        f"  edge       http://127.0.0.1:{edge.port}  (/health /ready /metrics /openapi.json)",
        *(f"  {w.name:<10} http://127.0.0.1:{w.port}/health" for w in workers),
        f"  kafka      {endpoints.kafka_bootstrap}",
        f"  postgres   {endpoints.database_url}",
        f"  redis      {endpoints.redis_url}",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _supervise(children: list[tuple[Process, subprocess.Popen[bytes]]]) -> int:
    stop = threading.Event()
    # Handled explicitly: a shell starting `dafnck up` in the background leaves SIGINT
    # ignored, and a closed terminal sends SIGHUP; every one of them stops the platform.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        for proc, child in children:
            code = child.poll()
            if code is not None:
                _progress(f"{proc.name} exited with code {code}; stopping the platform")
                return 1
        stop.wait(0.5)
    return 0


def _stop_children(children: list[tuple[Process, subprocess.Popen[bytes]]]) -> None:
    # The edge first so no new requests arrive, then the workers.
    for _proc, child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc, child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _progress(f"{proc.name} did not stop in {STOP_GRACE_S:.0f}s; killing it")
            child.kill()
            child.wait()
