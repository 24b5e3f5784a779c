"""Worker settings, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from streams import __version__


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class RetryPolicy:
    """How a failing handler is retried before its event is dead-lettered."""

    attempts: int = 3
    initial_backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(
                "handler attempts must be at least 1 (DAFNCK_HANDLER_ATTEMPTS), "
                f"got {self.attempts}"
            )
        if self.initial_backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("handler backoff must not be negative")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_backoff_s, self.initial_backoff_s * (2 ** (attempt - 1))))


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a service worker needs to know about where it runs."""

    service: str
    kafka_bootstrap: str
    environment: str = "development"
    version: str = __version__
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: Path = Path(".dafnck/workers")
    store: str = "rocksdb://"
    log_level: str = "INFO"
    processing_guarantee: str = "at_least_once"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Prefixed to the consumer group and so to Faust's internal topics (changelogs, leader):
    # several platforms can share one broker without sharing state.
    group_prefix: str = ""
    # A silent member keeps its partitions until its session expires. Long enough to outlast
    # a broker restart: a session that expires meanwhile made the worker re-join and then
    # consume nothing. A restarted worker gets its partitions back at once through static
    # membership (``group_instance_id``), not through a short session.
    session_timeout_s: float = 45.0
    # Static group membership: a worker restarted under the same id takes its old
    # partitions back without waiting for the session to expire. One id per replica.
    group_instance_id: str | None = None

    @property
    def app_id(self) -> str:
        """The Faust app id: the consumer group and the prefix of its internal topics."""
        return f"{self.group_prefix}{self.service}"

    @classmethod
    def from_env(cls, service: str, *, kafka_bootstrap: str | None = None) -> WorkerSettings:
        """Settings for ``service`` from ``DAFNCK_*`` variables and ``KAFKA_BOOTSTRAP_SERVERS``."""
        bootstrap = kafka_bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        if not bootstrap:
            raise ValueError(
                "no Kafka: set KAFKA_BOOTSTRAP_SERVERS or start the local stack (dafnck stack up)"
            )
        state = Path(os.environ.get("DAFNCK_STATE_DIR", ".dafnck"))
        return cls(
            service=service,
            kafka_bootstrap=bootstrap,
            environment=os.environ.get("DAFNCK_ENV", "development"),
            web_host=os.environ.get("DAFNCK_WORKER_HOST", "127.0.0.1"),
            web_port=_env_int("DAFNCK_WORKER_PORT", 6066),
            data_dir=Path(os.environ.get("DAFNCK_WORKER_DATA_DIR", str(state / "workers"))),
            store=os.environ.get("DAFNCK_TABLE_STORE", "rocksdb://"),
            log_level=os.environ.get("DAFNCK_LOG_LEVEL", "INFO").upper(),
            processing_guarantee=os.environ.get("DAFNCK_PROCESSING_GUARANTEE", "at_least_once"),
            retry=RetryPolicy(
                attempts=_env_int("DAFNCK_HANDLER_ATTEMPTS", 3),
                initial_backoff_s=_env_float("DAFNCK_HANDLER_BACKOFF_S", 0.2),
                max_backoff_s=_env_float("DAFNCK_HANDLER_MAX_BACKOFF_S", 5.0),
            ),
            group_prefix=os.environ.get("DAFNCK_GROUP_PREFIX", "").strip(),
            session_timeout_s=_env_float("DAFNCK_CONSUMER_SESSION_TIMEOUT_S", 45.0),
            group_instance_id=os.environ.get("DAFNCK_GROUP_INSTANCE_ID", "").strip() or None,
        )
