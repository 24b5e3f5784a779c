"""The real users worker (``python -m users_svc``) as a subprocess, and its read model.

The worker runs under its real app id, ``users-svc``, on the catalog's real topics: what a
test creates must be unique to it (fresh ids and emails), and what it asserts must hold
whatever earlier runs (or a running platform) left in the group and the read model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiopg

import topics
from streams.stack import Endpoints
from streams.topic_admin import apply_topics
from tests.integration.support.harness import REPO_ROOT, free_port
from users_svc.migrations import migrate

USER_TOPICS = (
    topics.USER_COMMANDS,
    topics.USER_REGISTRATIONS,
    topics.USER_EVENTS,
    topics.USER_CREDENTIALS,
    topics.USER_REPLIES,
)


async def ensure_users_topics(bootstrap: str) -> None:
    """The users context's catalog topics and their dead-letter twins exist."""
    specs = [*USER_TOPICS, *(topics.by_name(t.dlq) for t in USER_TOPICS if t.has_dlq)]
    await apply_topics(bootstrap, specs, out=lambda _line: None, strict=False)


async def ensure_read_model(database_url: str) -> None:
    """The users schema exists, so tests may query it before the worker has migrated."""
    async with aiopg.create_pool(database_url, minsize=1, maxsize=1) as pool:
        await migrate(pool)


@dataclass
class UsersWorker:
    """One ``python -m users_svc`` process with its own state directory and port."""

    endpoints: Endpoints
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.workdir / "worker.log"

    def start(self, *, fresh_state: bool = False) -> None:
        """Start the worker (with ``fresh_state``: an empty local store) and wait for /ready."""
        self.starts += 1
        state = self.workdir / (f"state-{self.starts}" if fresh_state else "state")
        env = {
            **os.environ,
            **self.endpoints.as_env(),
            "DAFNCK_STATE_DIR": str(state),
            "DAFNCK_WORKER_PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "users_svc"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"users worker exited early:\n{self.tail()}")
            try:
                url = f"http://127.0.0.1:{self.port}/ready"
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"users worker not ready after {timeout}s:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; killed if it does not stop in 30 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def tail(self, lines: int = 60) -> str:
        """The end of the worker's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def unique_email() -> str:
    """An email no earlier run used."""
    return f"it-{uuid.uuid4().hex[:12]}@example.com"


async def rows(database_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of one query against the read model."""
    async with (
        aiopg.create_pool(database_url, minsize=1, maxsize=1) as pool,
        pool.acquire() as conn,
        conn.cursor() as cur,
    ):
        await cur.execute(sql, args)
        return list(await cur.fetchall())
