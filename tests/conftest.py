"""Shared fixtures: the Kafka, Postgres and Redis endpoints integration tests run against.

Resolution, per session and only when a test asks for them: external URLs from the
environment, else testcontainers when a Docker engine answers, else the embedded local
stack (`dafnck stack`), which is left running afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streams.state_dir import STATE_DIR_ENV
from streams.tooling.stack import Endpoints, ensure_stack, external_from_env

REPO_ROOT = Path(__file__).resolve().parents[1]
_STACK_USED = pytest.StashKey[str]()


@dataclass(frozen=True)
class StackInfo:
    """Which infrastructure the session's endpoints point at."""

    source: str  # "external", "testcontainers" or "local"
    endpoints: Endpoints
    state_dir: Path | None  # the local stack's state directory, when source == "local"


def _state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".dafnck"


def _docker_reachable() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@contextmanager
def _containers(needed: set[str]) -> Iterator[dict[str, str]]:
    """Start a container for each needed component; stop them all on exit."""
    addresses: dict[str, str] = {}
    with ExitStack() as stack:
        if "kafka" in needed:
            try:
                from testcontainers.community.kafka import KafkaContainer
            except ImportError:  # testcontainers < 4.15
                from testcontainers.kafka import KafkaContainer
            kafka = stack.enter_context(KafkaContainer().with_kraft())
            addresses["kafka"] = kafka.get_bootstrap_server()
        if "postgres" in needed:
            try:
                from testcontainers.community.postgres import PostgresContainer
            except ImportError:
                from testcontainers.postgres import PostgresContainer
            pg = stack.enter_context(
                PostgresContainer(
                    "postgres:16-alpine", username="dafnck", password="dafnck", dbname="dafnck"
                )
            )
            addresses["postgres"] = pg.get_connection_url(driver=None)
        if "redis" in needed:
            try:
                from testcontainers.community.redis import RedisContainer
            except ImportError:
                from testcontainers.redis import RedisContainer
            rd = stack.enter_context(RedisContainer("redis:7-alpine"))
            host, port = rd.get_container_host_ip(), rd.get_exposed_port(6379)
            addresses["redis"] = f"redis://{host}:{port}/0"
        yield addresses


def _terminal_writer(config: pytest.Config) -> Callable[[str], None]:
    """Write straight to the terminal, past pytest's output capture."""
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    capture: Any = config.pluginmanager.get_plugin("capturemanager")

    def write(message: str) -> None:
        if reporter is None:
            return
        if capture is None:
            reporter.write_line(message)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(message)

    return write


@pytest.fixture(scope="session")
def stack_info(request: pytest.FixtureRequest) -> Iterator[StackInfo]:
    """Resolve (and start if needed) Kafka, Postgres and Redis once per test run."""
    write = _terminal_writer(request.config)
    external = external_from_env()
    if len(external) == 3:
        info = StackInfo("external", Endpoints.from_components(external), None)
        request.config.stash[_STACK_USED] = "external servers from the environment"
        yield info
        return
    if _docker_reachable():
        write("\n[stack] Docker is reachable: starting testcontainers")
        with _containers({"kafka", "postgres", "redis"} - set(external)) as started:
            endpoints = Endpoints.from_components({**started, **external})
            request.config.stash[_STACK_USED] = f"testcontainers ({', '.join(sorted(started))})"
            yield StackInfo("testcontainers", endpoints, None)
        return
    state_dir = _state_dir()
    write("")
    endpoints = ensure_stack(state_dir, progress=lambda line: write(f"[stack] {line}"))
    down = "dafnck stack down"
    if state_dir != Path.cwd() / ".dafnck":
        down += f" --state-dir {state_dir}"
    request.config.stash[_STACK_USED] = f"local stack in {state_dir} (still running; `{down}`)"
    yield StackInfo("local", endpoints, state_dir)


@pytest.fixture(scope="session")
def endpoints(stack_info: StackInfo) -> Endpoints:
    """Kafka bootstrap, DATABASE_URL and REDIS_URL for this test run."""
    return stack_info.endpoints


@pytest.fixture(scope="session")
def kafka_bootstrap(endpoints: Endpoints) -> str:
    """Kafka bootstrap servers, e.g. 127.0.0.1:24001."""
    return endpoints.kafka_bootstrap


@pytest.fixture(scope="session")
def database_url(endpoints: Endpoints) -> str:
    """postgresql:// URL of a database tests may use."""
    return endpoints.database_url


@pytest.fixture(scope="session")
def redis_url(endpoints: Endpoints) -> str:
    """redis:// URL."""
    return endpoints.redis_url


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say which infrastructure the integration tests used, if any."""
    used = config.stash.get(_STACK_USED, None)
    if used is not None:
        terminalreporter.write_line(f"integration infrastructure: {used}")
