"""The real users worker (``python -m users_svc``) as a subprocess, and its read model.

The worker runs under its real app id, ``users-svc``, on the catalog's real topics: what a
test creates must be unique to it (fresh ids and emails), and what it asserts must hold
whatever earlier runs (or a running platform) left in the group and the read model.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiopg

import topics
from streams.tooling.stack import Endpoints
from streams.tooling.topic_admin import apply_topics
from tests.support.streams.harness import free_port, log_tail, spawn, stop, wait_ready
from users_svc.worker.migrations import migrate

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
        self.process = spawn("users_svc", env, self.log)
        wait_ready(self.process, self.port, self.log, timeout=120.0)

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; killed if it does not stop in 30 s."""
        stop(self.process)
        self.process = None

    def tail(self, lines: int = 60) -> str:
        """The end of the worker's log."""
        return log_tail(self.log, lines)


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
