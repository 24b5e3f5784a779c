"""Starting the platform for a benchmark and signing in to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.support.streams.harness import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Wait until ``url`` answers 200 (SystemExit when the process dies or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} not ready after {timeout}s")


def wait_for_user(database_url: str, email: str, timeout: float = 120) -> None:
    """Wait until the read model knows ``email`` (signing in earlier would count failures)."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1 FROM users.credentials WHERE email_normalized = %s", (email,))
                if cur.fetchone():
                    return
        except psycopg2.Error:
            pass  # the schema may not exist yet
        time.sleep(0.5)
    raise SystemExit(f"{email} never appeared in the read model")


def login(edge: str, email: str, password: str, timeout: float = 90) -> str:
    """An access token for the bootstrap administrator."""
    body = json.dumps({"email": email, "password": password}).encode()
    # Sign-in failures while the administrator is still being created count against the
    # caller's address; a per-run address keeps earlier runs' counts out of this one.
    client = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{edge}/api/auth/login", body, headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return str(json.loads(response.read())["access_token"])
        except urllib.error.HTTPError as exc:
            if exc.code not in (401, 503):  # the read model may lag the creation briefly
                raise
        time.sleep(1)
    raise SystemExit("could not sign in as the bootstrap administrator")


def launch_platform(
    endpoints_env: dict[str, str],
    state: Path,
    extra_env: dict[str, str] | None = None,
    without: str = "",
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `dafnck up` in ``state``; returns the process, the edge URL and an admin token."""
    edge_port, worker_base = free_port(), free_port()
    admin_email = f"bench-{uuid.uuid4().hex[:8]}@dafnck.local"
    admin_password = f"Bench-{uuid.uuid4().hex}-Pw!"
    env = {
        **os.environ,
        **endpoints_env,
        "DAFNCK_STATE_DIR": str(state),
        "DAFNCK_WORKER_PORT_BASE": str(worker_base),
        "DAFNCK_BOOTSTRAP_ADMIN_EMAIL": admin_email,
        "DAFNCK_BOOTSTRAP_ADMIN_PASSWORD": admin_password,
        "DAFNCK_LOG_LEVEL": "WARNING",
        "DAFNCK_TRUSTED_PROXY_HOPS": "1",
        **(extra_env or {}),
    }
    up_log = (state / "up.log").open("wb")
    platform = subprocess.Popen(
        [sys.executable, "-m", "streams", "up", "--port", str(edge_port), "--without", without],
        env=env,
        cwd=REPO_ROOT,
        stdout=up_log,
        stderr=subprocess.STDOUT,
    )
    edge = f"http://127.0.0.1:{edge_port}"
    wait_ready(f"{edge}/ready", platform)
    wait_for_user(endpoints_env["DATABASE_URL"], admin_email)
    return platform, edge, login(edge, admin_email, admin_password)


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGINT, then SIGKILL if it does not stop in time."""
    process.send_signal(2)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
