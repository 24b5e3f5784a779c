"""Benchmark: the edge against a bare aiohttp server, and a command round trip's latency.

In one run:
  (a) a bare aiohttp hello-world handler (the baseline),
  (b) an authenticated ``GET /api/me`` on the running platform (JWT verification, deny
      list and rate limit in Redis, RBAC, the Postgres read model),
both driven by wrk (one thread, 32 connections) so the load generator is the same native
program for both; then
  (c) ``PATCH /api/me`` — a command over Kafka to the users worker, its reply, and the read
      model catching up — at a fixed request rate, reporting p50/p99 latency.

    python tests/perf/bench_edge.py [--duration 10] [--rate 200]

Infrastructure comes from the environment or the local stack (started if needed); the
platform itself is started with ``dafnck up`` in a temporary state directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from streams.tooling.stack import ensure_stack
from tests.perf.launch import launch_platform, stop, wait_ready
from tests.perf.load import open_loop
from tests.support.streams.harness import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
HELLO_SERVER = """
import sys
from aiohttp import web
async def hello(request):
    return web.Response(text="hello")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        print("installing wrk (Debian package) for the load generator", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        return shutil.which("wrk") or "wrk"
    raise SystemExit("this benchmark needs wrk: apt-get install wrk")


def wrk_rps(url: str, duration: int, headers: dict[str, str] | None = None) -> float:
    """Requests/s wrk sustains against ``url`` with 1 thread and 32 connections."""
    cmd = [_wrk(), "-t1", "-c32", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url} answered {non2xx.group(1)} errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return float(match.group(1))


def main(args: argparse.Namespace) -> None:
    """Start the servers, run (a), (b) and (c), print the figures."""
    endpoints = ensure_stack(progress=lambda _m: None)
    state = Path(tempfile.mkdtemp(prefix="dafnck-bench-edge-"))
    hello_port = free_port()
    hello = subprocess.Popen([sys.executable, "-c", HELLO_SERVER, str(hello_port)])
    # Limits high enough that the benchmark measures the limiter, not its refusals.
    limits = {"DAFNCK_RATE_LIMITS": "/api/users/*=10000000/hour,/api/me=10000000/hour"}
    platform, edge, token = launch_platform(endpoints.as_env(), state, limits)
    try:
        wait_ready(f"http://127.0.0.1:{hello_port}/", hello)
        auth = {"Authorization": f"Bearer {token}"}
        bare = wrk_rps(f"http://127.0.0.1:{hello_port}/", args.duration)
        print(f"(a) bare aiohttp hello world:     {bare:>9,.0f} requests/s")
        me = wrk_rps(f"{edge}/api/me", args.duration, auth)
        print(f"(b) authenticated GET /api/me:    {me:>9,.0f} requests/s")
        print(f"ratio b/a = {me / bare:.2f}")
        latency = asyncio.run(
            open_loop(
                "PATCH",
                f"{edge}/api/me",
                rate=args.rate,
                duration_s=args.duration,
                headers=auth,
                body=lambda i: {"display_name": f"Bench admin {i}"},
            )
        )
        print(
            f"(c) PATCH /api/me at {latency.rate:.0f}/s for {args.duration}s: "
            f"p50 {latency.p50_ms:.1f} ms, p99 {latency.p99_ms:.1f} ms, "
            f"max {latency.max_ms:.1f} ms, {latency.errors} errors of {latency.sent}"
        )
    finally:
        hello.terminate()
        stop(platform)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rate", type=float, default=200, help="requests/s for (c)")
    main(parser.parse_args())
