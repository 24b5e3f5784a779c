"""Starting `dafnck up` for a test module: its own state directory, ports and administrator.

``running_platform`` uses the test run's shared servers; ``fresh_platform`` starts servers of
its own (a new user's first start, or a run whose leftovers must not reach other tests).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from streams.tooling.stack import Endpoints
from streams.tooling.stack.endpoints import ENV_VARS
from tests.e2e.identity.platform import Edge, admin_can_sign_in, answers, eventually
from tests.support.streams.harness import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _dafnck_up(env: Mapping[str, str], state_dir: Path, port: int, admin: str) -> Iterator[Edge]:
    """`dafnck up` on ``port`` with ``env``, its output in ``state_dir/up.log``; SIGINT after."""
    log = state_dir / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams", "up", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield Edge(process, f"http://127.0.0.1:{port}", state_dir, log, admin)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_platform(
    endpoints: Endpoints, state_dir: Path, extra_env: Mapping[str, str]
) -> Iterator[Edge]:
    """`dafnck up` ready to serve (edge, workers, bootstrap administrator), stopped after."""
    port, worker_base = free_port(), free_port()
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@e2e.test"
    env = {
        **os.environ,
        **endpoints.as_env(),
        "DAFNCK_STATE_DIR": str(state_dir),
        "DAFNCK_WORKER_PORT_BASE": str(worker_base),
        "DAFNCK_BOOTSTRAP_ADMIN_EMAIL": admin_email,
        "PYTHONUNBUFFERED": "1",
        # Each run's workers are new static members (their ports differ): the last run's
        # members hold up the group's rebalance until their sessions expire, so keep them short.
        "DAFNCK_CONSUMER_SESSION_TIMEOUT_S": "10",
        **extra_env,
    }
    env.pop("DAFNCK_BOOTSTRAP_ADMIN_PASSWORD", None)  # development: the edge generates one
    with _dafnck_up(env, state_dir, port, admin_email) as running:
        log, process = running.log, running.process
        ready = eventually(
            lambda: (
                process.poll() is None
                and answers(running, "/ready")
                # users and agents workers: tables recovered, consuming
                and answers(running, f"http://127.0.0.1:{worker_base}/ready")
                and answers(running, f"http://127.0.0.1:{worker_base + 1}/ready")
            ),
            timeout=180,
        )
        assert ready, f"platform not ready:\n{log.read_text()[-4000:]}"
        # The administrator exists once the users worker has processed its CreateUser.
        # Each early try is a failed sign-in (five lock the account): try every 3 s.
        signed_in = eventually(lambda: admin_can_sign_in(running), timeout=120, every=3)
        assert signed_in, f"bootstrap admin cannot sign in:\n{log.read_text()[-4000:]}"
        yield running

@contextmanager
def fresh_platform(
    state_dir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Edge]:
    """`dafnck up` with a stack of its own in ``state_dir`` (fresh servers), ready, signed in to."""
    port, worker_base = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS.values()}
    env.update(
        {
            "DAFNCK_STATE_DIR": str(state_dir),
            "DAFNCK_WORKER_PORT_BASE": str(worker_base),
            "DAFNCK_BOOTSTRAP_ADMIN_EMAIL": "admin@cold.test",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    env.pop("DAFNCK_BOOTSTRAP_ADMIN_PASSWORD", None)
    with _dafnck_up(env, state_dir, port, "admin@cold.test") as edge:
        log = edge.log
        up = eventually(lambda: "DafnckMachine is up" in log.read_text(), timeout=240)
        assert up, f"not up:\n{log.read_text()[-4000:]}"
        signed_in = eventually(lambda: admin_can_sign_in(edge), timeout=60, every=3)
        assert signed_in, log.read_text()[-4000:]
        yield edge
